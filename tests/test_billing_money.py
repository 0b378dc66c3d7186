"""The ledger's arithmetic: exact to the minor unit, VAT rounded once per line, every
total the sum of its lines, instalments and package credits adding up to the price."""

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from mesoclinic.billing import money

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)
rates = st.sampled_from([Decimal(r) for r in ("0", "2.1", "5", "5.5", "10", "20")])
quantities = st.integers(min_value=-50, max_value=50).filter(bool)


@given(st.lists(st.tuples(quantities, prices, rates), min_size=1, max_size=30))
def test_totals_are_the_sums_of_their_lines_and_each_line_adds_up(lines):
    amounts = [money.line_amounts(quantity=q, unit_price=p, vat_rate=r) for q, p, r in lines]
    total = money.sum_amounts(amounts)
    assert total.total == sum(a.total for a in amounts)
    assert total.vat == sum(a.vat for a in amounts)
    assert total.net + total.vat == total.total
    for (quantity, price, _rate), line in zip(lines, amounts, strict=True):
        assert line.net + line.vat == line.total == quantity * price
        assert line.vat == line.vat.quantize(money.MINOR_UNIT)
        assert line.net == line.net.quantize(money.MINOR_UNIT)


@given(prices, rates)
def test_a_credit_note_line_is_the_invoice_line_negated(price, rate):
    line = money.line_amounts(quantity=2, unit_price=price, vat_rate=rate)
    assert money.line_amounts(quantity=-2, unit_price=price, vat_rate=rate) == line.negated()


def test_vat_is_the_tax_part_of_a_price_that_includes_it():
    # 150.00 at 20 %: 25.00 of it is VAT; 99.99 at 5.5 %: 5.2127… rounds to 5.21.
    assert money.line_amounts(quantity=1, unit_price=Decimal("150.00"),
                              vat_rate=Decimal("20")) == money.Amounts(
        Decimal("125.00"), Decimal("25.00"), Decimal("150.00"))
    assert money.line_amounts(quantity=1, unit_price=Decimal("99.99"),
                              vat_rate=Decimal("5.5")).vat == Decimal("5.21")


@given(prices, st.integers(min_value=1, max_value=12))
def test_instalments_add_up_to_the_price_and_differ_by_a_cent_at_most(total, count):
    parts = money.split_in_instalments(total, count)
    assert len(parts) == count and sum(parts) == total
    assert max(parts) - min(parts) <= Decimal("0.01")
    assert parts == sorted(parts, reverse=True)


@given(prices, st.integers(min_value=2, max_value=15))
def test_package_credits_used_one_by_one_are_worth_the_price(price, sessions):
    values = [money.unused_share(price=price, sessions=sessions, used=n)
              - money.unused_share(price=price, sessions=sessions, used=n + 1)
              for n in range(sessions)]
    assert sum(values) == price
    assert all(v >= 0 for v in values)


def test_instalments_fall_on_the_same_day_or_the_month_end():
    assert money.instalment_days(date(2027, 1, 31), 4) == [
        date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]
    assert money.instalment_days(date(2026, 11, 15), 3) == [
        date(2026, 11, 15), date(2026, 12, 15), date(2027, 1, 15)]
