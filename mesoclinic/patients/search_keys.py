"""Normalised search keys for patients, and prefix ranges over them. Pure: no Django.

Keys hold only ``[a-z0-9]`` so that a prefix can be searched as a B-tree range
``key >= prefix AND key < upper``; for such strings the order is the same under the C
collation and under the usual linguistic collations, on SQLite and on PostgreSQL.
Phone numbers are stored reversed, so that "ends with these digits" (a number typed
without its country code) is a prefix search too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

_ALNUM = re.compile(r"[^a-z0-9]")
_DIGITS = re.compile(r"\D")
_NEXT_CHAR = {**{c: chr(ord(c) + 1) for c in "abcdefghijklmnopqrstuvwxy012345678"}, "9": "a"}

# The last digits compared when matching phone numbers: long enough to be specific,
# short enough to ignore country codes and trunk prefixes.
PHONE_MATCH_DIGITS = 9


def name_key(text: str) -> str:
    """'Zoë O'Brien-Smith' -> 'zoeobriensmith'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _ALNUM.sub("", ascii_only.replace("ß", "ss").replace("æ", "ae").replace("ø", "o"))


def phone_key(text: str) -> str:
    """Digits of a phone number, reversed: '+44 7700 900123' -> '321009007744'."""
    return _DIGITS.sub("", text)[::-1]


def phone_query_key(text: str) -> str:
    """The reversed last digits of a typed number, to match as a prefix of ``phone_key``."""
    digits = _DIGITS.sub("", text).lstrip("0")
    return digits[-PHONE_MATCH_DIGITS:][::-1]


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest key greater than every key starting with ``prefix``, or None when no
    such key exists in the alphabet (a prefix of only 'z')."""
    chars = list(prefix)
    while chars:
        last = chars.pop()
        if last in _NEXT_CHAR:
            return "".join(chars) + _NEXT_CHAR[last]
    return None


_DATE_FORMATS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<d>\d{1,2})[/.](?P<m>\d{1,2})[/.](?P<y>\d{4})$"),
)


def parse_date(token: str) -> date | None:
    """A date of birth typed as 1984-03-27 or 27/03/1984 (day first, as in clinics in
    Europe)."""
    for pattern in _DATE_FORMATS:
        if match := pattern.match(token):
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return None
    return None


@dataclass(frozen=True)
class SearchTerms:
    names: tuple[str, ...] = ()
    dates: tuple[date, ...] = ()
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.names or self.dates or self.phones or self.emails)


def parse_query(query: str) -> SearchTerms:
    """Split what a user typed into name prefixes, dates of birth, phone and email."""
    names: list[str] = []
    dates: list[date] = []
    phones: list[str] = []
    emails: list[str] = []
    rest: list[str] = []
    for token in query.split():
        if (parsed := parse_date(token)) is not None:
            dates.append(parsed)
        else:
            rest.append(token)
    # A phone number is often typed in groups ("06 12 34 56 78"): join digit groups.
    text = re.sub(r"(?<=\d)\s+(?=\d)", "", " ".join(rest))
    for token in text.split():
        if "@" in token:
            emails.append(token.lower())
        elif sum(c.isdigit() for c in token) >= 6:
            if key := phone_query_key(token):
                phones.append(key)
        elif key := name_key(token):
            names.append(key)
    return SearchTerms(tuple(names), tuple(dates), tuple(phones), tuple(emails))
