"""Reads of billing: the country's rates, a clinic's policy and prices, a patient's
account (balance, packages and their credits, invoices, payments, fees), the day's
cash-up, revenue, and the accountant's ledger."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from mesoclinic.billing.models import (
    BillingPolicy,
    CreditUse,
    Deposit,
    DepositStatus,
    Fee,
    Instalment,
    Invoice,
    InvoiceLine,
    Package,
    PackageStatus,
    Payment,
    PriceItem,
    PriceKind,
)
from mesoclinic.billing.money import ZERO, to_minor
from mesoclinic.core import moments
from mesoclinic.core.audit import audit_listing, audit_record
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import NotFound
from mesoclinic.core.models import Clinic
from mesoclinic.core.roles import require_money_handler
from mesoclinic.core.selectors import clinic_row
from mesoclinic.patients.models import Patient


def billing_policy(clinic: Clinic) -> BillingPolicy:
    """The clinic's policy, or the defaults (nothing charged, unused sessions refunded,
    deposits taken at the clinic) for one that has not set it."""
    found = BillingPolicy.objects.filter(clinic=clinic).first() or BillingPolicy()
    found.clinic = clinic
    return found


def deposit_due_for(*, policy: BillingPolicy, price: Decimal | None) -> Decimal:
    """The deposit an online booking asks: the fixed amount, else the share of the price
    (nothing when the price is not known)."""
    if policy.deposit_amount > 0:
        return policy.deposit_amount
    if policy.deposit_percent > 0 and price:
        return to_minor(price * policy.deposit_percent / 100)
    return ZERO


def price_list(*, clinic: Clinic, offered_only: bool = False) -> list[PriceItem]:
    rows = PriceItem.objects.filter(clinic=clinic).select_related("indication")
    if offered_only:
        rows = rows.filter(active=True)
    return list(rows)


def access_price(*, actor: Actor, price_id: int) -> PriceItem:
    return clinic_row(PriceItem.objects.all(), actor=actor, pk=price_id,
                      missing=_("No such price."))


def price_for(*, clinic: Clinic, indication_id: int | None) -> PriceItem | None:
    """The offered price of a treatment session: for its indication, else the clinic's
    general treatment price. (An appointment's price is its type's, set with the
    clinic's availability.)"""
    rows = PriceItem.objects.filter(clinic=clinic, kind=PriceKind.TREATMENT, active=True)
    specific = rows.filter(indication_id=indication_id).order_by("-id").first() \
        if indication_id else None
    return specific or rows.filter(indication__isnull=True).order_by("-id").first()


# Accounts --------------------------------------------------------------------------


@dataclass
class PackageView:
    package: Package
    used: int
    invoice: Invoice | None
    paid: Decimal
    instalments: list[InstalmentView] = field(default_factory=list)

    @property
    def left(self) -> int:
        return max(self.package.sessions - self.used, 0)


@dataclass(frozen=True, slots=True)
class InstalmentView:
    instalment: Instalment
    paid: Decimal  # of this instalment, reading the payments in order
    overdue: bool

    @property
    def state(self) -> str:
        if self.paid >= self.instalment.amount:
            return "paid"
        return "overdue" if self.overdue else ("part" if self.paid > 0 else "due")


@dataclass
class InvoiceView:
    invoice: Invoice
    credited: Decimal  # the credit notes' totals (negative)
    paid: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.invoice.total + self.credited - self.paid


@dataclass
class Account:
    patient: Patient
    currency: str
    balance: Decimal  # what the patient owes (negative: their credit): patient_balance
    invoices: list[InvoiceView]
    credit_notes: list[Invoice]
    payments: list[Payment]
    packages: list[PackageView]
    fees: list[Fee]
    deposits: list[Deposit]



def _paid_by_invoice(invoice_ids: list[int]) -> dict[int, Decimal]:
    return {row["invoice_id"]: row["total"] for row in
            Payment.objects.filter(invoice_id__in=invoice_ids).values("invoice_id")
            .annotate(total=Sum("amount"))}


def _instalment_views(package: Package, instalments: list[Instalment], paid: Decimal,
                      today: date) -> list[InstalmentView]:
    views, left = [], paid
    for instalment in instalments:
        share = min(max(left, ZERO), instalment.amount)
        left -= share
        views.append(InstalmentView(instalment=instalment, paid=share,
                                    overdue=share < instalment.amount
                                    and instalment.due_on < today))
    return views


def patient_account(*, actor: Actor, patient: Patient, audit: bool = True) -> Account:
    """A patient's account at the actor's clinic: every role of the clinic reads it (the
    clinical staff see balances and credits), only money handlers change it."""
    invoices = list(Invoice.objects.filter(patient=patient, clinic_id=actor.clinic_id)
                    .order_by("-issued_at", "-id"))
    payments = list(Payment.objects.filter(patient=patient, clinic_id=actor.clinic_id)
                    .select_related("invoice", "recorded_by").order_by("-at", "-id"))
    fees = list(Fee.objects.filter(patient=patient, clinic_id=actor.clinic_id)
                .select_related("appointment", "waived_by"))
    packages = list(Package.objects.filter(patient=patient, clinic_id=actor.clinic_id)
                    .select_related("plan__indication")
                    .annotate(used=Count("uses")).prefetch_related("instalments"))
    deposits = list(Deposit.objects.filter(patient=patient, clinic_id=actor.clinic_id)
                    .select_related("appointment"))
    paid_by_invoice: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for payment in payments:
        if payment.invoice_id:
            paid_by_invoice[payment.invoice_id] += payment.amount
    credited: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for invoice in invoices:
        if invoice.corrects_id:
            credited[invoice.corrects_id] += invoice.total
    today = moments.today(actor.clinic)
    package_invoice = {i.package_id: i for i in invoices
                       if i.package_id and not i.corrects_id}
    views = []
    for package in packages:
        invoice = package_invoice.get(package.pk)
        paid = paid_by_invoice[invoice.pk] if invoice else ZERO
        views.append(PackageView(
            package=package, used=package.used, invoice=invoice, paid=paid,
            instalments=_instalment_views(package, list(package.instalments.all()), paid,
                                          today)))
    if audit:
        audit_record(actor=actor, action="billing.account", object_type="patient",
                     object_id=patient.pk, patient_id=patient.pk)
    return Account(
        patient=patient, currency=billing_policy(actor.clinic).currency,
        balance=patient_balance(patient_id=patient.pk, clinic_id=actor.clinic_id),
        invoices=[InvoiceView(invoice=i, credited=credited[i.pk], paid=paid_by_invoice[i.pk])
                  for i in invoices if not i.corrects_id],
        credit_notes=[i for i in invoices if i.corrects_id],
        payments=payments, packages=views, fees=fees, deposits=deposits)


def _total(rows: QuerySet[Any], field: str) -> Coalesce:
    """The sum of one patient's rows, as a subquery of the patient's row (0 without any)."""
    return Coalesce(Subquery(rows.filter(patient_id=OuterRef("pk")).order_by()
                             .values("patient_id").annotate(total=Sum(field))
                             .values("total")[:1]),
                    Value(ZERO), output_field=DecimalField(max_digits=14, decimal_places=2))


def patient_balance(*, patient_id: int, clinic_id: int) -> Decimal:
    """What a patient owes the clinic (negative: their credit), in one statement: every
    invoice and credit note, and every fee not waived, less every payment and refund. The
    one definition of a balance, for the account, the space, the export and the payments'
    checks."""
    found = Patient.objects.filter(pk=patient_id, clinic_id=clinic_id).annotate(
        charged=_total(Invoice.objects.filter(clinic_id=clinic_id), "total"),
        fees=_total(Fee.objects.filter(clinic_id=clinic_id, waived_at__isnull=True),
                    "amount"),
        paid=_total(Payment.objects.filter(clinic_id=clinic_id), "amount"),
    ).values("charged", "fees", "paid").first()
    if found is None:
        return ZERO
    # SQLite hands back sums as numbers of its own: to the minor unit again.
    return to_minor(found["charged"] + found["fees"] - found["paid"])


def invoice_outstanding(invoice: Invoice) -> tuple[Decimal, Decimal]:
    """(what is still owed on an invoice after its credit notes and payments, what was
    paid on it)."""
    credited = Invoice.objects.filter(corrects=invoice).aggregate(s=Sum("total"))["s"] or ZERO
    paid = _paid_by_invoice([invoice.pk]).get(invoice.pk, ZERO)
    return invoice.total + credited - paid, paid


@dataclass(frozen=True, slots=True)
class PlanCredits:
    sessions: int
    used: int
    package_id: int

    @property
    def left(self) -> int:
        return max(self.sessions - self.used, 0)


def plan_credits(*, plan_ids: list[int]) -> dict[int, PlanCredits]:
    """The package credits of each plan that has a package: one query, for the record and
    the plan pages."""
    found = {}
    for package in (Package.objects.filter(plan_id__in=plan_ids)
                    .exclude(status=PackageStatus.ENDED).annotate(used=Count("uses"))
                    .order_by("sold_at", "id")):
        previous = found.get(package.plan_id)
        found[package.plan_id] = PlanCredits(
            sessions=package.sessions + (previous.sessions if previous else 0),
            used=package.used + (previous.used if previous else 0), package_id=package.pk)
    return found


def active_package_for(*, patient_id: int, plan_id: int, indication_id: int
                       ) -> Package | None:
    """The package a completed session draws on, in one statement: one sold for its plan
    first, else one sold for its indication or for any treatment; the oldest first."""
    return (Package.objects.filter(patient_id=patient_id, status=PackageStatus.ACTIVE)
            .filter(Q(plan_id=plan_id) | Q(plan__isnull=True) & (
                Q(price_item__indication_id=indication_id)
                | Q(price_item__indication__isnull=True)))
            .order_by(Case(When(plan_id=plan_id, then=0), default=1), "sold_at", "id")
            .first())


# Loaders -------------------------------------------------------------------------------


def access_invoice(*, actor: Actor, invoice_id: int,
                   audit_action: str | None = "invoice.view") -> Invoice:
    """An invoice of the actor's clinic, for those who handle money; its opening (or its
    PDF's, ``invoice.pdf``) audited against the patient."""
    require_money_handler(actor.role)
    return clinic_row(Invoice.objects.select_related("patient", "corrects", "clinic"),
                      actor=actor, pk=invoice_id, missing=_("No such invoice."),
                      audit_action=audit_action, object_type="invoice")


def access_package(*, actor: Actor, package_id: int) -> Package:
    return clinic_row(Package.objects.select_related("patient"), actor=actor, pk=package_id,
                      missing=_("No such package."))


def access_fee(*, actor: Actor, fee_id: int) -> Fee:
    return clinic_row(Fee.objects.select_related("patient"), actor=actor, pk=fee_id,
                      missing=_("No such fee."))


def invoice_lines(invoice: Invoice) -> list[InvoiceLine]:
    return list(invoice.lines.select_related("practitioner", "indication"))


# The day, the month, the accountant -----------------------------------------------------


def _day_bounds(day: date, clinic: Clinic) -> tuple[datetime, datetime]:
    return (moments.local_midnight(day, clinic),
            moments.local_midnight(day + timedelta(days=1), clinic))


@dataclass
class MethodTotal:
    method: str
    label: str
    received: Decimal = ZERO
    refunded: Decimal = ZERO
    count: int = 0

    @property
    def net(self) -> Decimal:
        return self.received + self.refunded


# The cash-up page lists this many of the day's payments; the ledger export has them all.
PAYMENTS_SHOWN = 300


@dataclass
class CashUp:
    day: date
    currency: str
    methods: list[MethodTotal]
    payments: list[Payment]  # the first PAYMENTS_SHOWN of the day
    credits_used: int
    credits_value: Decimal
    invoiced: Decimal
    invoices: int
    credit_notes: Decimal
    fees_charged: Decimal
    fees_waived: Decimal

    @property
    def takings(self) -> Decimal:
        return sum((m.net for m in self.methods), ZERO)

    @property
    def payment_count(self) -> int:
        return sum(m.count for m in self.methods)


def cash_up(*, actor: Actor, day: date) -> CashUp:
    """The closing figures of a clinic day (its own calendar): what came in and went out
    by payment method, the package credits used, what was invoiced and credited, and the
    fees charged and waived; every payment listed."""
    from mesoclinic.billing.models import PaymentMethod

    require_money_handler(actor.role)
    first, last = _day_bounds(day, actor.clinic)
    days_payments = Payment.objects.filter(clinic_id=actor.clinic_id, at__gte=first,
                                           at__lt=last)
    methods = {m: MethodTotal(method=m, label=str(label)) for m, label in PaymentMethod.choices}
    # The sums are the database's: a busy day's thousands of payments are added there.
    for row in days_payments.values("method").annotate(
            n=Count("id"), received=Sum("amount", filter=Q(amount__gt=0)),
            refunded=Sum("amount", filter=Q(amount__lt=0))).order_by():
        total = methods[row["method"]]
        total.count, total.received = row["n"], row["received"] or ZERO
        total.refunded = row["refunded"] or ZERO
    payments = list(days_payments.select_related("patient", "invoice", "recorded_by")
                    .order_by("at", "id")[:PAYMENTS_SHOWN])
    credits = CreditUse.objects.filter(package__clinic_id=actor.clinic_id, used_at__gte=first,
                                       used_at__lt=last).aggregate(n=Count("id"),
                                                                   v=Sum("value"))
    issued = Invoice.objects.filter(clinic_id=actor.clinic_id, issued_at__gte=first,
                                    issued_at__lt=last).aggregate(
        invoiced=Sum("total", filter=Q(corrects__isnull=True)),
        invoices=Count("id", filter=Q(corrects__isnull=True)),
        credited=Sum("total", filter=Q(corrects__isnull=False)))
    fees = Fee.objects.filter(clinic_id=actor.clinic_id).aggregate(
        charged=Sum("amount", filter=Q(created_at__gte=first, created_at__lt=last)),
        waived=Sum("amount", filter=Q(waived_at__gte=first, waived_at__lt=last)))
    audit_listing(actor=actor, action="billing.cash_up",
                  patient_ids=[p.patient_id for p in payments])
    return CashUp(day=day, currency=billing_policy(actor.clinic).currency,
                  methods=list(methods.values()), payments=payments,
                  credits_used=credits["n"] or 0, credits_value=credits["v"] or ZERO,
                  invoiced=issued["invoiced"] or ZERO, invoices=issued["invoices"] or 0,
                  credit_notes=issued["credited"] or ZERO,
                  fees_charged=fees["charged"] or ZERO, fees_waived=fees["waived"] or ZERO)


@dataclass
class RevenueRow:
    key: str
    net: Decimal = ZERO
    vat: Decimal = ZERO
    total: Decimal = ZERO

    def add(self, line: InvoiceLine) -> None:
        self.net += line.net
        self.vat += line.vat
        self.total += line.total


@dataclass
class Revenue:
    first: date
    last: date
    currency: str
    by_month: list[RevenueRow]
    by_practitioner: list[RevenueRow]
    by_treatment: list[RevenueRow]
    total: RevenueRow


def _lines_between(actor: Actor, first: date, last: date) -> QuerySet[InvoiceLine]:
    start, _end = _day_bounds(first, actor.clinic)
    _start, end = _day_bounds(last, actor.clinic)
    return (InvoiceLine.objects.filter(invoice__clinic_id=actor.clinic_id,
                                       invoice__issued_at__gte=start,
                                       invoice__issued_at__lt=end)
            .select_related("invoice", "practitioner", "indication", "price_item")
            .order_by("invoice__issued_at", "invoice_id", "position"))


def revenue(*, actor: Actor, first: date, last: date) -> Revenue:
    """Invoiced revenue (credit notes deducted) between two clinic days, by month of issue,
    by practitioner and by treatment, net, VAT and total."""
    require_money_handler(actor.role)
    months: dict[str, RevenueRow] = {}
    people: dict[str, RevenueRow] = {}
    treatments: dict[str, RevenueRow] = {}
    total = RevenueRow(key=_("Total"))
    for line in _lines_between(actor, first, last):
        month = moments.local_day(line.invoice.issued_at, actor.clinic).strftime("%Y-%m")
        person = line.practitioner.full_name if line.practitioner else _("Not attributed")
        treatment = (line.indication.name if line.indication
                     else (line.price_item.name if line.price_item else _("Other")))
        for table, key in ((months, month), (people, person), (treatments, treatment)):
            table.setdefault(key, RevenueRow(key=key)).add(line)
        total.add(line)
    return Revenue(first=first, last=last, currency=billing_policy(actor.clinic).currency,
                   by_month=sorted(months.values(), key=lambda r: r.key),
                   by_practitioner=sorted(people.values(), key=lambda r: -r.total),
                   by_treatment=sorted(treatments.values(), key=lambda r: -r.total),
                   total=total)


LEDGER_HEADER = ["date", "document", "number", "corrects", "patient", "description",
                 "quantity", "unit_price", "vat_rate", "net", "vat", "total", "method",
                 "currency"]


def ledger_rows(*, actor: Actor, first: date, last: date) -> list[list[object]]:
    """The accountant's export: every invoice and credit-note line, and every payment and
    refund, between two clinic days, in the order they happened."""
    require_money_handler(actor.role)
    currency = billing_policy(actor.clinic).currency
    start, _end = _day_bounds(first, actor.clinic)
    _start, end = _day_bounds(last, actor.clinic)
    entries: list[tuple[datetime, int, list[object]]] = []
    patients: set[int] = set()
    for line in _lines_between(actor, first, last):
        invoice = line.invoice
        patients.add(invoice.patient_id)
        entries.append((invoice.issued_at, 0, [
            moments.local_day(invoice.issued_at, actor.clinic).isoformat(), invoice.kind,
            invoice.number, invoice.corrects.number if invoice.corrects_id else "",
            invoice.buyer.get("name", ""), line.description, line.quantity, line.unit_price,
            line.vat_rate, line.net, line.vat, line.total, "", currency]))
    for payment in (Payment.objects.filter(clinic_id=actor.clinic_id, at__gte=start,
                                           at__lt=end)
                    .select_related("invoice", "patient").order_by("at", "id")):
        patients.add(payment.patient_id)
        entries.append((payment.at, 1, [
            moments.local_day(payment.at, actor.clinic).isoformat(),
            "refund" if payment.amount < 0 else "payment",
            payment.invoice.number if payment.invoice_id else "", "",
            payment.patient.full_name, payment.note or payment.reference, 1, payment.amount,
            "", "", "", payment.amount, payment.method, currency]))
    audit_listing(actor=actor, action="billing.export", patient_ids=sorted(patients))
    return [row for _at, _order, row in sorted(entries, key=lambda e: (e[0], e[1]))]


@dataclass(frozen=True, slots=True)
class BookingTerms:
    """What the online booking form tells the patient before they commit."""

    currency: str
    price: Decimal | None
    deposit: Decimal
    late_cancel_fee: Decimal
    no_show_fee: Decimal
    pay_at_clinic: bool


def booking_terms(*, clinic: Clinic, price: Decimal | None) -> BookingTerms:
    from mesoclinic.billing.providers import PayAtClinic

    policy = billing_policy(clinic)
    return BookingTerms(currency=policy.currency, price=price,
                        deposit=deposit_due_for(policy=policy, price=price),
                        late_cancel_fee=policy.late_cancel_fee,
                        no_show_fee=policy.no_show_fee,
                        pay_at_clinic=policy.provider == PayAtClinic.code)


@dataclass(frozen=True, slots=True)
class Statement:
    """What a patient reads of their own account in their space."""

    currency: str
    balance: Decimal
    invoices: list[Invoice]
    packages: list[Package]  # each with ``used``


def patient_statement(*, patient: Patient) -> Statement | None:
    """The patient's own account at their clinic, or None when nothing was ever billed."""
    invoices = list(Invoice.objects.filter(patient=patient).select_related("corrects")
                    .order_by("-issued_at", "-id"))
    balance = patient_balance(patient_id=patient.pk, clinic_id=patient.clinic_id)
    if not invoices and not balance:
        return None
    packages = list(Package.objects.filter(patient=patient).annotate(used=Count("uses"))
                    .order_by("-sold_at", "-id"))
    return Statement(currency=billing_policy(patient.clinic).currency, balance=balance,
                     invoices=invoices, packages=packages)


def own_invoice(*, patient: Patient, invoice_id: int, ip: str | None) -> Invoice:
    """One of the patient's invoices, taken away as a PDF by the patient (audited)."""
    invoice = Invoice.objects.filter(pk=invoice_id, patient=patient).select_related(
        "clinic", "corrects", "patient").first()
    if invoice is None:
        raise NotFound(_("No such invoice."))
    audit_record(actor=None, clinic=patient.clinic, ip=ip, action="invoice.pdf",
                 object_type="invoice", object_id=invoice.pk, patient_id=patient.pk,
                 detail={"by": "patient"})
    return invoice


def clinic_invoices(*, actor: Actor, patient_id: int | None = None, limit: int = 200
                    ) -> list[Invoice]:
    """The clinic's newest invoices and credit notes (one patient's, with ``patient_id``),
    for the desk; the listing names every patient shown."""
    require_money_handler(actor.role)
    rows = Invoice.objects.filter(clinic_id=actor.clinic_id).select_related("corrects")
    if patient_id is not None:
        rows = rows.filter(patient_id=patient_id)
    found = list(rows.order_by("-issued_at", "-id")[:limit])
    audit_listing(actor=actor, action="invoice.list", patient_ids=[i.patient_id for i in found])
    return found


def deposits_due(*, appointment_ids: list[int]) -> dict[int, Deposit]:
    """The deposits still due on these appointments, in one statement: for the desk, where
    a deposit paid at the clinic is taken."""
    return {d.appointment_id: d for d in Deposit.objects.filter(
        appointment_id__in=appointment_ids, status=DepositStatus.DUE)}
