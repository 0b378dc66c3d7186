"""Billing at the desk: the time to issue an invoice (the gap-free number, its lines, the
audit event) and to render a day's cash-up over 10,000 payments, through the whole page.
Beside each, a bare reference: the same rows written with no numbering lock or audit, and
the day's payments read with .values() and summed. Targets: an invoice in ≤ 50 ms, the
cash-up in ≤ 2 s.

    python bench/billing.py --payments 10000
"""

from __future__ import annotations

import argparse
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from common import progress, setup_django, summary, timed, write

setup_django()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Max, Sum  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from mesoclinic.billing.models import Invoice, InvoiceLine, Payment  # noqa: E402
from mesoclinic.billing.schemas import ManualInvoiceIn  # noqa: E402
from mesoclinic.billing.services import invoice_issue_manual  # noqa: E402
from mesoclinic.core import moments  # noqa: E402
from mesoclinic.core.context import Actor  # noqa: E402
from mesoclinic.core.models import Clinic, Membership, Role, User  # noqa: E402
from mesoclinic.core.services import clinic_create  # noqa: E402
from mesoclinic.patients.models import Patient  # noqa: E402

PATIENTS = 300
METHODS = ["cash", "card", "transfer"]


def _clinic() -> tuple[Clinic, Membership]:
    owner = User.objects.filter(email="bench-billing@example.test").first() or \
        User.objects.create_user(email="bench-billing@example.test", password=None,
                                 full_name="Billing Owner")
    clinic = Clinic.objects.filter(slug="bench-billing").first() or clinic_create(
        name="Billing Clinic", slug="bench-billing", city="Lyon", country="FR",
        timezone_name="Europe/Paris", owner=owner)
    desk_user = User.objects.filter(email="bench-desk@example.test").first() or \
        User.objects.create_user(email="bench-desk@example.test", password=None,
                                 full_name="Desk")
    desk, _created = Membership.objects.get_or_create(user=desk_user, clinic=clinic,
                                                      defaults={"role": Role.RECEPTION})
    return clinic, desk


@transaction.atomic
def _payments(clinic: Clinic, desk: Membership, day: date, count: int) -> None:
    """``count`` payments spread over the clinic's day (and patients to pay them)."""
    if Payment.objects.filter(clinic=clinic).count() >= count:
        return
    patients = Patient.objects.bulk_create([
        Patient(clinic=clinic, first_name="Bench", last_name=f"Payer {n}", first_key="bench",
                last_key=f"payer {n}", date_of_birth=date(1980, 1, 1), sex="female")
        for n in range(PATIENTS)])
    rng = random.Random(16)
    opening = datetime.combine(day, time(8), tzinfo=clinic.zoneinfo)
    batch = 1000
    for start in range(0, count, batch):
        Payment.objects.bulk_create([
            Payment(clinic=clinic, patient=patients[rng.randrange(PATIENTS)],
                    method=rng.choice(METHODS),
                    amount=Decimal(rng.randrange(2000, 60000)) / 100,
                    at=opening + timedelta(seconds=rng.randrange(11 * 3600)),
                    recorded_by=desk.user)
            for _ in range(min(batch, count - start))])
        progress(min(start + batch, count), count, "payments")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--payments", type=int, default=10_000)
    parser.add_argument("--invoices", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    clinic, desk = _clinic()
    day = moments.today(clinic) - timedelta(days=1)
    _payments(clinic, desk, day, args.payments)
    actor = Actor(user=desk.user, membership=desk, ip=None)
    patient = Patient.objects.filter(clinic=clinic).first()
    lines = ManualInvoiceIn(lines=[
        {"description": "Mesotherapy session", "quantity": 1, "unit_price": "90.00",
         "vat_rate": "20"},
        {"description": "Vitamin cocktail", "quantity": 2, "unit_price": "35.50",
         "vat_rate": "20"}])

    def issue() -> None:
        invoice_issue_manual(actor=actor, patient=patient, data=lines)

    with CaptureQueriesContext(connection) as queries:
        issue()
    issue_statements = len(queries)
    issue_times = timed(issue, args.invoices)

    # The bare rows go in a year of their own, numbered on from the last run's.
    last = Invoice.objects.filter(clinic=clinic, year=1999).aggregate(m=Max("sequence"))["m"]
    bare_sequence = iter(range((last or 0) + 1, 10**9))

    @transaction.atomic
    def bare_issue() -> None:
        sequence = next(bare_sequence)
        invoice = Invoice.objects.create(
            clinic=clinic, patient=patient, year=1999, sequence=sequence,
            number=f"bare-{sequence}", currency="EUR", net=Decimal("134.17"),
            vat=Decimal("26.83"), total=Decimal("161.00"), source="manual", language="fr")
        InvoiceLine.objects.bulk_create([
            InvoiceLine(invoice=invoice, position=1, description="Mesotherapy session",
                        quantity=1, unit_price=Decimal("90"), vat_rate=Decimal("20"),
                        net=Decimal("75"), vat=Decimal("15"), total=Decimal("90")),
            InvoiceLine(invoice=invoice, position=2, description="Vitamin cocktail",
                        quantity=2, unit_price=Decimal("35.5"), vat_rate=Decimal("20"),
                        net=Decimal("59.17"), vat=Decimal("11.83"), total=Decimal("71"))])

    bare_issue_times = timed(bare_issue, args.invoices)

    client = Client()
    client.force_login(desk.user)
    session = client.session
    session["clinic_id"] = clinic.pk
    session.save()

    def page() -> None:
        response = client.get(f"/billing/?day={day.isoformat()}")
        assert response.status_code == 200, response.content[:300]

    with CaptureQueriesContext(connection) as queries:
        page()
    page_statements = len(queries)
    cash_times = timed(page, args.runs)
    first = datetime.combine(day, time(0), tzinfo=clinic.zoneinfo)

    def bare_cash_up() -> None:
        rows = list(Payment.objects.filter(clinic=clinic, at__gte=first,
                                           at__lt=first + timedelta(days=1))
                    .values("method", "amount", "patient__first_name",
                            "patient__last_name", "at"))
        totals: dict[str, Decimal] = {}
        for row in rows:
            totals[row["method"]] = totals.get(row["method"], Decimal(0)) + row["amount"]
        Payment.objects.filter(clinic=clinic).aggregate(Sum("amount"))

    bare_cash_times = timed(bare_cash_up, args.runs)
    issue_s, bare_issue_s = summary(issue_times), summary(bare_issue_times)
    cash_s, bare_cash_s = summary(cash_times), summary(bare_cash_times)
    write(f"billing_{connection.vendor}", {
        "benchmark": "issuing an invoice through billing.services (gap-free number, two "
                     "lines, audit) and GET /billing/ (the cash-up page) over a day of "
                     "payments; bare references write the same rows without the number's "
                     "lock or the audit, and read the day's payments with .values()",
        "database": connection.vendor,
        "payments_in_the_day": Payment.objects.filter(
            clinic=clinic, at__gte=first, at__lt=first + timedelta(days=1)).count(),
        "invoice_issue": {**issue_s, "statements": issue_statements},
        "invoice_bare_reference": bare_issue_s,
        "invoice_ratio_to_bare": round(issue_s["p50_s"] / max(bare_issue_s["p50_s"], 1e-6),
                                       1),
        "cash_up_page": {**cash_s, "statements": page_statements},
        "cash_up_bare_reference": bare_cash_s,
        "cash_up_ratio_to_bare": round(cash_s["p50_s"] / max(bare_cash_s["p50_s"], 1e-6), 1),
        "targets_s": {"invoice_issue": 0.05, "cash_up_page": 2.0},
    })


if __name__ == "__main__":
    main()
