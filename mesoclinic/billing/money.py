"""Money as the ledger counts it: ``Decimal`` amounts exact to the minor unit (the cent,
the penny), VAT rounded once per line, and every total the sum of its lines.

Prices are quoted to patients with VAT included, as clinics in France and the UK show
them; a line's VAT is the part of its total that is tax, rounded half up to the minor unit,
and its net is the rest, so that net + VAT = total holds on every line, exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

MINOR_UNIT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def to_minor(amount: Decimal | int | str) -> Decimal:
    """An amount rounded half up (away from zero) to the minor unit."""
    return Decimal(amount).quantize(MINOR_UNIT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Amounts:
    net: Decimal
    vat: Decimal
    total: Decimal

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(self.net + other.net, self.vat + other.vat, self.total + other.total)

    def negated(self) -> Amounts:
        return Amounts(-self.net, -self.vat, -self.total)


NOTHING = Amounts(ZERO, ZERO, ZERO)


def line_amounts(*, quantity: int, unit_price: Decimal, vat_rate: Decimal) -> Amounts:
    """One line: ``quantity`` times a price including VAT at ``vat_rate`` percent."""
    total = to_minor(unit_price * quantity)
    vat = to_minor(total * vat_rate / (HUNDRED + vat_rate))
    return Amounts(net=total - vat, vat=vat, total=total)


def sum_amounts(lines: Iterable[Amounts]) -> Amounts:
    result = NOTHING
    for line in lines:
        result = result + line
    return result


def split_in_instalments(total: Decimal, count: int) -> list[Decimal]:
    """``total`` in ``count`` parts that differ by at most one minor unit, the larger ones
    first, and add up to ``total`` exactly."""
    if count < 1:
        raise ValueError("At least one instalment.")
    units = int(to_minor(total) / MINOR_UNIT)
    base, extra = divmod(units, count)
    return [(base + (1 if i < extra else 0)) * MINOR_UNIT for i in range(count)]


def instalment_days(first: date, count: int) -> list[date]:
    """The same day of each following month, or that month's last day when it is shorter
    (31 January, 28 February, 31 March…)."""
    days = []
    for i in range(count):
        month_index = first.month - 1 + i
        year, month = first.year + month_index // 12, month_index % 12 + 1
        for day in range(first.day, 27, -1):
            try:
                days.append(date(year, month, day))
                break
            except ValueError:
                continue
        else:
            days.append(date(year, month, first.day))
    return days


def unused_share(*, price: Decimal, sessions: int, used: int) -> Decimal:
    """What the sessions not used of a package are worth, pro rata, to the minor unit."""
    if sessions <= 0 or used >= sessions:
        return ZERO
    return to_minor(price * (sessions - max(used, 0)) / sessions)
