"""Properties of the search keys: a prefix range finds exactly the keys starting with it."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from mesoclinic.patients.search_keys import (
    name_key,
    parse_query,
    phone_key,
    phone_query_key,
    prefix_upper_bound,
)

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
keys = st.text(alphabet=ALPHABET, min_size=0, max_size=12)
prefixes = st.text(alphabet=ALPHABET, min_size=1, max_size=6)


def in_range(key: str, prefix: str) -> bool:
    upper = prefix_upper_bound(prefix)
    return key >= prefix and (upper is None or key < upper)


@given(key=keys, prefix=prefixes)
def test_the_prefix_range_holds_exactly_the_keys_that_start_with_the_prefix(key, prefix):
    assert in_range(key, prefix) == key.startswith(prefix)


@given(text=st.text(max_size=40))
def test_a_name_key_holds_only_lowercase_letters_and_digits_and_is_stable(text):
    key = name_key(text)
    assert set(key) <= set(ALPHABET)
    assert name_key(key) == key


def test_accents_case_and_punctuation_do_not_matter_in_names():
    assert name_key("Zoë O'Brien-Smith") == name_key("zoe obriensmith") == "zoeobriensmith"
    assert name_key("Lefèvre") == "lefevre"


@given(local=st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_a_number_typed_without_its_country_code_matches_the_stored_number(local):
    stored = phone_key(f"+33 {local[0]} {local[1:]}")
    assert stored.startswith(phone_query_key("0" + local))


def test_a_query_is_split_into_names_dates_phones_and_emails():
    terms = parse_query("Dupont camille 14/02/1985 06 12 34 56 78 C.Dupont@Example.com")
    assert terms.names == ("dupont", "camille")
    assert terms.dates == (date(1985, 2, 14),)
    assert terms.phones == (phone_query_key("0612345678"),)
    assert terms.emails == ("c.dupont@example.com",)


def test_an_impossible_date_is_not_taken_for_a_date():
    assert parse_query("31/02/1985").dates == ()
