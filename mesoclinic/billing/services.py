"""Writes of billing. Every one is audited against its patient, and none changes what an
issued row says about money: corrections are new rows (credit notes, refunds, waivers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, F, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from mesoclinic.billing import money, providers
from mesoclinic.billing.models import (
    BillingPolicy,
    CreditUse,
    Deposit,
    DepositStatus,
    Fee,
    FeeKind,
    Instalment,
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceLine,
    InvoiceSource,
    Package,
    PackageStatus,
    Payment,
    PaymentMethod,
    PriceItem,
    PriceKind,
    Termination,
)
from mesoclinic.billing.schemas import (
    CreditNoteIn,
    ManualInvoiceIn,
    PackageEndIn,
    PackageSaleIn,
    PaymentIn,
    PolicyIn,
    PriceIn,
)
from mesoclinic.billing.selectors import (
    access_price,
    active_package_for,
    billing_policy,
    deposit_due_for,
    invoice_outstanding,
    patient_balance,
    price_for,
)
from mesoclinic.booking.models import Appointment, AppointmentKind
from mesoclinic.catalog.models import Indication
from mesoclinic.core import clock, moments
from mesoclinic.core.audit import audit_record
from mesoclinic.core.context import Actor
from mesoclinic.core.countries import country_rules
from mesoclinic.core.errors import Conflict, InvalidInput, NotFound
from mesoclinic.core.languages import patient_language
from mesoclinic.core.models import Clinic
from mesoclinic.core.roles import require_money_handler, require_owner
from mesoclinic.courses.models import Session, SessionStatus, TreatmentPlan
from mesoclinic.patients.models import Patient

# The policy and the price list -----------------------------------------------------------


def _rate_offered(clinic: Clinic, rate: Decimal) -> Decimal:
    rates = country_rules(clinic.country).rates
    if rate not in rates.values():
        raise InvalidInput(_("Choose one of this country's VAT rates: %(rates)s.") % {
            "rates": ", ".join(f"{r}%" for r in sorted(set(rates.values()), reverse=True))},
            field="vat_rate")
    return rate


@transaction.atomic
def billing_policy_set(*, actor: Actor, data: PolicyIn) -> BillingPolicy:
    require_owner(actor.role)
    if data.provider not in providers.PROVIDERS:
        raise InvalidInput(_("This payment provider is not installed."), field="provider")
    if data.deposit_amount > 0 and data.deposit_percent > 0:
        raise InvalidInput(_("Ask for a fixed deposit or a share of the price, not both."),
                           field="deposit_amount")
    policy = billing_policy(actor.clinic)
    for name, value in data.model_dump().items():
        setattr(policy, name, value)
    policy.updated_at = clock.now()
    policy.save()
    audit_record(actor=actor, action="billing.policy", object_type="clinic",
                 object_id=actor.clinic_id, detail=data.model_dump(mode="json"))
    return policy


def _price_fields(actor: Actor, data: PriceIn) -> dict[str, object]:
    _rate_offered(actor.clinic, data.vat_rate)
    indication = None
    if data.indication:
        indication = Indication.objects.filter(code=data.indication).first()
        if indication is None:
            raise InvalidInput(_("No such indication in the catalogue."), field="indication")
    if data.kind == PriceKind.PACKAGE and data.sessions < 2:
        raise InvalidInput(_("A package holds two sessions or more."), field="sessions")
    return {"kind": data.kind, "name": data.name, "indication": indication,
            "sessions": data.sessions if data.kind == PriceKind.PACKAGE else 1,
            "price": data.price, "vat_rate": data.vat_rate}


@transaction.atomic
def price_save(*, actor: Actor, data: PriceIn, price_id: int | None = None) -> PriceItem:
    """Add a price, or change one: invoices keep the amounts they were issued with."""
    require_owner(actor.role)
    fields = _price_fields(actor, data)
    if price_id is None:
        item = PriceItem.objects.create(clinic_id=actor.clinic_id, created_at=clock.now(),
                                        **fields)
    else:
        item = access_price(actor=actor, price_id=price_id)
        for name, value in fields.items():
            setattr(item, name, value)
        item.save()
    audit_record(actor=actor, action="price.save", object_type="price", object_id=item.pk,
                 detail={"name": item.name, "price": str(item.price),
                         "vat_rate": str(item.vat_rate)})
    return item


@transaction.atomic
def price_offer_set(*, actor: Actor, price: PriceItem, offered: bool) -> PriceItem:
    """Retire a price (or offer it again): never deleted, invoices and packages name it."""
    require_owner(actor.role)
    PriceItem.objects.filter(pk=price.pk).update(active=offered)
    price.active = offered
    audit_record(actor=actor, action="price.offer", object_type="price", object_id=price.pk,
                 detail={"offered": offered})
    return price


# Invoices ------------------------------------------------------------------------------


def _next_sequence(clinic_id: int, year: int) -> int:
    """The clinic's next number in the year. The counter's UPDATE takes the row's write
    lock (PostgreSQL) or the database's (SQLite, in immediate transactions): a concurrent
    issue waits for this transaction, then counts on from its number, so numbers never
    repeat and, a rolled-back issue giving its number back with it, never skip."""
    counters = InvoiceCounter.objects.filter(clinic_id=clinic_id, year=year)
    if not counters.update(last=F("last") + 1):
        try:
            with transaction.atomic():
                InvoiceCounter.objects.create(clinic_id=clinic_id, year=year, last=1)
            return 1
        except IntegrityError:
            counters.update(last=F("last") + 1)  # another issue opened the year first
    return counters.values_list("last", flat=True).get()


@dataclass(frozen=True, slots=True)
class Line:
    description: str
    quantity: int
    unit_price: Decimal
    vat_rate: Decimal
    price_item_id: int | None = None
    practitioner_id: int | None = None
    indication_id: int | None = None


def _issue(*, actor: Actor, patient: Patient, lines: list[Line], source: str,
           kind: str = InvoiceKind.INVOICE, corrects: Invoice | None = None,
           appointment_id: int | None = None, session_id: int | None = None,
           package_id: int | None = None, reason: str = "") -> Invoice:
    require_money_handler(actor.role)
    clinic = actor.clinic
    policy = billing_policy(clinic)
    now = clock.now()
    year = moments.local_day(now, clinic).year  # the clinic's year, not the server's
    amounts = [money.line_amounts(quantity=line.quantity, unit_price=line.unit_price,
                                  vat_rate=line.vat_rate) for line in lines]
    totals = money.sum_amounts(amounts)
    sequence = _next_sequence(clinic.pk, year)
    invoice = Invoice.objects.create(
        clinic=clinic, patient=patient, kind=kind, year=year, sequence=sequence,
        number=f"{policy.invoice_prefix}{year}-{sequence:05d}", issued_at=now,
        issued_by=actor.user, currency=policy.currency, net=totals.net, vat=totals.vat,
        total=totals.total, source=source, corrects=corrects, appointment_id=appointment_id,
        session_id=session_id, package_id=package_id,
        language=patient_language(patient, clinic),
        buyer={"name": patient.full_name, "address": patient.address, "email": patient.email},
        seller={"name": clinic.name, "address": clinic.address, "city": clinic.city,
                "phone": clinic.phone, "legal_name": policy.legal_name,
                "legal_details": policy.legal_details},
        reason=reason)
    InvoiceLine.objects.bulk_create([
        InvoiceLine(invoice=invoice, position=n, description=line.description[:200],
                    quantity=line.quantity, unit_price=line.unit_price,
                    vat_rate=line.vat_rate, net=a.net, vat=a.vat, total=a.total,
                    price_item_id=line.price_item_id, practitioner_id=line.practitioner_id,
                    indication_id=line.indication_id)
        for n, (line, a) in enumerate(zip(lines, amounts, strict=True), 1)])
    audit_record(actor=actor, action="credit_note.issue" if corrects else "invoice.issue",
                 object_type="invoice", object_id=invoice.pk, patient_id=patient.pk,
                 detail={"number": invoice.number, "total": str(invoice.total),
                         "source": source, **({"corrects": corrects.number, "reason": reason}
                                              if corrects else {})})
    return invoice


@transaction.atomic
def invoice_issue_manual(*, actor: Actor, patient: Patient, data: ManualInvoiceIn
                         ) -> Invoice:
    lines = [Line(description=line.description, quantity=line.quantity,
                  unit_price=line.unit_price,
                  vat_rate=_rate_offered(actor.clinic, line.vat_rate))
             for line in data.lines]
    return _issue(actor=actor, patient=patient, lines=lines, source=InvoiceSource.MANUAL)


def _already_invoiced(**care: object) -> bool:
    """An appointment or a session is invoiced once, unless that invoice was credited in
    full since."""
    return Invoice.objects.filter(corrects__isnull=True, **care).annotate(
        left=F("total") + Coalesce(Sum("credit_notes__total"), Value(money.ZERO),
                                   output_field=DecimalField(max_digits=14, decimal_places=2))
    ).exclude(left=0).exists()


@transaction.atomic
def invoice_issue_for_care(*, actor: Actor, appointment: Appointment | None = None,
                           session: Session | None = None) -> Invoice:
    """The invoice of an appointment or of a course session: a treatment at the price
    list's price for its indication (else the appointment type's), any other appointment
    at its type's price. A session paid by a package credit is not invoiced again."""
    require_money_handler(actor.role)
    if appointment is not None and session is None and appointment.session_id:
        session = appointment.session
    if appointment is None and session is None:
        raise InvalidInput(_("Choose the appointment or the session to invoice."),
                           field="appointment")
    if session is not None and CreditUse.objects.filter(session=session).exists():
        raise Conflict(_("This session was paid by a package credit."), code="package-credit")
    if session is not None and session.status != SessionStatus.COMPLETED:
        raise InvalidInput(_("A session is invoiced once it is completed."), field="session")
    if _already_invoiced(**({"session": session} if session else
                            {"appointment": appointment})):
        raise Conflict(_("This is invoiced already: correct that invoice with a credit note "
                         "instead."), code="invoiced")
    if session is not None:
        patient, practitioner_id = session.patient, session.practitioner_id
        when, indication_id = session.started_at or clock.now(), session.plan.indication_id
    else:
        patient, practitioner_id = appointment.patient, appointment.practitioner_id
        when, indication_id = appointment.starts_at, None
    treatment = session is not None or appointment.kind == AppointmentKind.TREATMENT
    item = price_for(clinic=actor.clinic, indication_id=indication_id) if treatment else None
    day = moments.day_text(moments.local_day(when, actor.clinic))
    if item is not None:
        line = Line(description=f"{item.name} — {day}", quantity=1, unit_price=item.price,
                    vat_rate=item.vat_rate, price_item_id=item.pk,
                    practitioner_id=practitioner_id,
                    indication_id=indication_id or item.indication_id)
    elif appointment is not None and appointment.type.price:
        line = Line(description=f"{appointment.type.name} — {day}", quantity=1,
                    unit_price=appointment.type.price,
                    vat_rate=country_rules(actor.clinic.country).standard_rate,
                    practitioner_id=practitioner_id, indication_id=indication_id)
    else:
        raise InvalidInput(_("There is no price for this yet: add it to the price list."),
                           field="price")
    return _issue(actor=actor, patient=patient, lines=[line],
                  source=InvoiceSource.SESSION if session else InvoiceSource.APPOINTMENT,
                  appointment_id=appointment.pk if appointment else None,
                  session_id=session.pk if session else None)


@transaction.atomic
def credit_note_issue(*, actor: Actor, invoice: Invoice, data: CreditNoteIn) -> Invoice:
    """Correct an issued invoice: a credit note of what is left to credit (or part of it),
    referring to it. The invoice itself never changes."""
    require_money_handler(actor.role)
    # Locked (the invoice's row alone): two corrections of one invoice never credit more
    # than it was.
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related(
        "patient__clinic").get(pk=invoice.pk)
    if invoice.corrects_id:
        raise InvalidInput(_("A credit note is not corrected: issue a new invoice."),
                           field="invoice")
    lines = list(invoice.lines.all())
    outstanding, paid = invoice_outstanding(invoice)
    left = outstanding + paid  # the invoice's total less what was credited already
    amount = data.amount if data.amount is not None else left
    if amount <= 0 or left <= 0:
        raise InvalidInput(_("This invoice is credited in full already."), field="amount")
    if amount > left:
        raise InvalidInput(_("At most %(left)s is left to credit on this invoice.") % {
            "left": left}, field="amount")
    if amount == invoice.total:
        credit = [Line(description=line.description, quantity=-line.quantity,
                       unit_price=line.unit_price, vat_rate=line.vat_rate,
                       price_item_id=line.price_item_id,
                       practitioner_id=line.practitioner_id,
                       indication_id=line.indication_id) for line in lines]
    else:
        rates = {line.vat_rate for line in lines}
        if len(rates) > 1:
            raise InvalidInput(_("This invoice has several VAT rates: credit it whole."),
                               field="amount")
        first = lines[0]
        credit = [Line(description=_("Correction of %(number)s: %(reason)s") % {
            "number": invoice.number, "reason": data.reason}, quantity=-1,
            unit_price=amount, vat_rate=first.vat_rate, price_item_id=first.price_item_id,
            practitioner_id=first.practitioner_id, indication_id=first.indication_id)]
    return _issue(actor=actor, patient=invoice.patient, lines=credit, source=invoice.source,
                  kind=InvoiceKind.CREDIT_NOTE, corrects=invoice,
                  package_id=invoice.package_id, appointment_id=invoice.appointment_id,
                  session_id=invoice.session_id,
                  reason=data.reason)


@transaction.atomic
def invoice_email(*, actor: Actor, invoice: Invoice) -> None:
    """Queue the invoice's email to the patient, with its PDF, in the same transaction as
    the audit event that says it was sent."""
    require_money_handler(actor.role)
    if not invoice.patient.email:
        raise InvalidInput(_("The patient has no email address."), field="email")
    from mesoclinic.billing.tasks import send_invoice

    send_invoice.enqueue(invoice.pk)
    audit_record(actor=actor, action="invoice.email", object_type="invoice",
                 object_id=invoice.pk, patient_id=invoice.patient_id,
                 detail={"number": invoice.number})


def invoice_email_send(*, invoice_id: int) -> bool:
    from django.core.mail import EmailMessage
    from django.template.loader import render_to_string

    from mesoclinic.billing.pdf import invoice_pdf

    invoice = Invoice.objects.select_related("patient", "clinic").filter(pk=invoice_id).first()
    if invoice is None or not invoice.patient.email:
        return False
    with override(invoice.language):
        subject = (_("Credit note %(number)s") if invoice.corrects_id
                   else _("Invoice %(number)s")) % {"number": invoice.number}
        body = render_to_string("billing/invoice_email.txt", {"invoice": invoice})
    message = EmailMessage(subject=f"{subject} · {invoice.clinic.name}", body=body,
                           to=[invoice.patient.email])
    message.attach(f"{invoice.number}.pdf", invoice_pdf(invoice), "application/pdf")
    message.send()
    return True


# Packages ------------------------------------------------------------------------------


@transaction.atomic
def package_sell(*, actor: Actor, patient: Patient, data: PackageSaleIn) -> Package:
    """Sell a course package: its invoice at the package price, and its instalments (the
    first due today, the others on the same day of the following months)."""
    require_money_handler(actor.role)
    item = access_price(actor=actor, price_id=data.price)
    if item.kind != PriceKind.PACKAGE or not item.active:
        raise InvalidInput(_("Choose a package of the price list."), field="price")
    plan = None
    if data.plan is not None:
        plan = TreatmentPlan.objects.filter(pk=data.plan, patient=patient).first()
        if plan is None:
            raise NotFound(_("No such plan for this patient."), field="plan")
    now = clock.now()
    package = Package.objects.create(
        clinic_id=actor.clinic_id, patient=patient, price_item=item, plan=plan,
        name=item.name, sessions=item.sessions, price=item.price, vat_rate=item.vat_rate,
        sold_at=now, sold_by=actor.user)
    if data.instalments > 1:
        instalments = Instalment.objects.bulk_create([
            Instalment(package=package, number=n, due_on=day, amount=amount)
            for n, (day, amount) in enumerate(zip(
                money.instalment_days(moments.local_day(now, actor.clinic), data.instalments),
                money.split_in_instalments(item.price, data.instalments), strict=True), 1)])
        if patient.email:
            _queue_instalment_reminders(package, instalments)
    _issue(actor=actor, patient=patient, source=InvoiceSource.PACKAGE, package_id=package.pk,
           lines=[Line(description=_("Course package: %(name)s") % {"name": item.name},
                       quantity=1, unit_price=item.price, vat_rate=item.vat_rate,
                       price_item_id=item.pk,
                       indication_id=plan.indication_id if plan else item.indication_id)])
    audit_record(actor=actor, action="package.sell", object_type="package",
                 object_id=package.pk, patient_id=patient.pk,
                 detail={"name": package.name, "sessions": package.sessions,
                         "price": str(package.price), "instalments": data.instalments})
    return package


# An instalment's reminder goes this many days before it is due, at this hour, clinic time.
REMINDER_DAYS_BEFORE = 3
REMINDER_HOUR = 9


def _queue_instalment_reminders(package: Package, instalments: list[Instalment]) -> None:
    """Queued with the sale, in its transaction: a reminder before each later instalment
    (the first is due the day of the sale)."""
    from mesoclinic.billing.tasks import send_instalment_reminder

    now = clock.now()
    for instalment in instalments:
        when = moments.local_midnight(
            instalment.due_on - timedelta(days=REMINDER_DAYS_BEFORE), package.clinic
        ) + timedelta(hours=REMINDER_HOUR)
        if instalment.number > 1 and when > now:
            send_instalment_reminder.using(run_after=when).enqueue(instalment.pk)


def instalment_reminder_send(*, instalment_id: int) -> bool:
    """Sent by the worker: skipped when the instalment is paid by then (the package's
    payments, read in order), or the package was ended."""
    from django.core.mail import EmailMessage
    from django.template.loader import render_to_string

    instalment = Instalment.objects.select_related(
        "package__patient", "package__clinic").filter(pk=instalment_id).first()
    if instalment is None:
        return False
    package = instalment.package
    invoice = Invoice.objects.filter(package=package, corrects__isnull=True).first()
    if package.status == PackageStatus.ENDED or invoice is None or not package.patient.email:
        return False
    _outstanding, paid = invoice_outstanding(invoice)
    due_by_then = sum((i.amount for i in package.instalments.all()
                       if i.number <= instalment.number), money.ZERO)
    left = min(due_by_then - paid, instalment.amount)
    if left <= 0:
        return False
    policy = billing_policy(package.clinic)
    with override(patient_language(package.patient, package.clinic)):
        body = render_to_string("billing/instalment_email.txt", {
            "package": package, "instalment": instalment, "left": left,
            "count": package.instalments.count(), "currency": policy.currency,
            "clinic": package.clinic})
        subject = _("Your instalment due on %(day)s") % {
            "day": moments.day_text(instalment.due_on, "date")}
    EmailMessage(subject=f"{subject} · {package.clinic.name}", body=body,
                 to=[package.patient.email]).send()
    return True


def package_credit_use(*, session: Session, actor: Actor | None = None) -> CreditUse | None:
    """A completed session uses one credit of the patient's package, when they have one
    (run inside the session's completion: courses.signals)."""
    if session.status != SessionStatus.COMPLETED:
        return None
    # The plan is the one courses locked and loaded to complete the session.
    found = active_package_for(patient_id=session.patient_id, plan_id=session.plan_id,
                               indication_id=session.plan.indication_id)
    if found is None:
        return None
    # Locked: two sessions completed at once never take the same last credit.
    package = Package.objects.select_for_update().get(pk=found.pk)
    used = CreditUse.objects.filter(package=package).count()
    if used >= package.sessions:
        return None
    # The credits' values add up to the package's price exactly.
    value = (money.unused_share(price=package.price, sessions=package.sessions, used=used)
             - money.unused_share(price=package.price, sessions=package.sessions,
                                  used=used + 1))
    use = CreditUse.objects.create(package=package, session=session, used_at=clock.now(),
                                   value=value)
    if used + 1 >= package.sessions:
        Package.objects.filter(pk=package.pk).update(status=PackageStatus.USED)
    audit_record(actor=actor, clinic=package.clinic, action="package.credit",
                 object_type="package", object_id=package.pk, patient_id=package.patient_id,
                 detail={"session": session.pk, "used": used + 1, "of": package.sessions})
    return use


@transaction.atomic
def package_end(*, actor: Actor, package: Package, data: PackageEndIn) -> Package:
    """End a package before its sessions are used: its unused sessions, pro rata, are
    credited on its invoice; under a refund policy what was paid beyond what is now owed
    is given back, else it stays on the patient's account as credit."""
    require_money_handler(actor.role)
    # Locked (the package's row alone): a package ends once, and no session takes a
    # credit meanwhile.
    package = Package.objects.select_for_update(of=("self",)).select_related(
        "patient__clinic").get(pk=package.pk)
    if package.status != PackageStatus.ACTIVE:
        raise InvalidInput(_("Only an active package can be ended."), field="status")
    used = CreditUse.objects.filter(package=package).count()
    invoice = Invoice.objects.filter(package=package, corrects__isnull=True).first()
    charged = package.price
    if invoice is not None:
        # The price as corrected since (a discount's credit note): what is taken off
        # already is not credited twice.
        outstanding, paid = invoice_outstanding(invoice)
        charged = min(charged, outstanding + paid)
    unused = money.unused_share(price=charged, sessions=package.sessions, used=used)
    refunded = money.ZERO
    if invoice is not None and unused > 0:
        credit_note_issue(actor=actor, invoice=invoice, data=CreditNoteIn(
            reason=(_("%(n)s unused sessions of %(name)s") % {
                "n": package.sessions - used, "name": package.name})[:300],
            amount=unused))
        outstanding, _paid = invoice_outstanding(invoice)
        if outstanding < 0 and billing_policy(actor.clinic).termination == Termination.REFUND:
            refunded = -outstanding
            _payment_write(actor=actor, patient=package.patient, amount=-refunded,
                           method=data.refund_method, invoice=invoice, refund=True,
                           note=_("Package ended early"))
    package.status = PackageStatus.ENDED
    package.ended_at = clock.now()
    package.end_reason = data.reason
    package.save(update_fields=["status", "ended_at", "end_reason"])
    audit_record(actor=actor, action="package.end", object_type="package",
                 object_id=package.pk, patient_id=package.patient_id,
                 detail={"used": used, "credited": str(unused), "refunded": str(refunded),
                         "reason": data.reason})
    return package


# Payments ------------------------------------------------------------------------------


def _payment_write(*, actor: Actor | None, patient: Patient, amount: Decimal, method: str,
                   invoice: Invoice | None = None, fee: Fee | None = None,
                   deposit: Deposit | None = None, refund: bool = False, reference: str = "",
                   note: str = "") -> Payment:
    payment = Payment.objects.create(
        clinic_id=patient.clinic_id, patient=patient, invoice=invoice, fee=fee,
        deposit=deposit, method=method, amount=amount, refund=refund, at=clock.now(),
        recorded_by=actor.user if actor else None, reference=reference, note=note)
    audit_record(actor=actor, clinic=patient.clinic, action="payment.refund" if refund
                 else "payment.record", object_type="payment", object_id=payment.pk,
                 patient_id=patient.pk,
                 detail={"amount": str(amount), "method": method,
                         "invoice": invoice.number if invoice else None,
                         "fee": fee.pk if fee else None,
                         "deposit": deposit.pk if deposit else None})
    return payment


def _owed(*, patient: Patient, data: PaymentIn, clinic_id: int
          ) -> tuple[Decimal, Invoice | None, Fee | None, Deposit | None]:
    """What the payment may be at most (a refund: what may be given back), and what it
    is for. Each is locked: two payments of one thing at once never pay it twice."""
    invoice = fee = deposit = None
    if data.invoice is not None:
        invoice = Invoice.objects.select_for_update().filter(
            pk=data.invoice, clinic_id=clinic_id, patient=patient).first()
        if invoice is None:
            raise NotFound(_("No such invoice for this patient."), field="invoice")
        if invoice.corrects_id:
            raise InvalidInput(_("A credit note is not paid: pay the invoice it corrects."),
                               field="invoice")
        outstanding, paid = invoice_outstanding(invoice)
        return (paid if data.refund else outstanding), invoice, None, None
    if data.fee is not None:
        # Locked: a fee is not waived while it is being paid (fee_waive locks it too).
        fee = Fee.objects.select_for_update().filter(pk=data.fee, clinic_id=clinic_id,
                                                     patient=patient).first()
        if fee is None:
            raise NotFound(_("No such fee for this patient."), field="fee")
        paid = sum((p.amount for p in fee.payments.all()), money.ZERO)
        if fee.waived_at is not None and not data.refund:
            raise InvalidInput(_("This fee was waived."), field="fee")
        return (paid if data.refund else fee.amount - paid), None, fee, None
    if data.deposit is not None:
        # Locked: a deposit is not paid at the desk while its provider confirms it.
        deposit = Deposit.objects.select_for_update().filter(
            pk=data.deposit, clinic_id=clinic_id, patient=patient).first()
        if deposit is None:
            raise NotFound(_("No such deposit for this patient."), field="deposit")
        paid = sum((p.amount for p in deposit.payments.all()), money.ZERO)
        return (paid if data.refund else deposit.amount - paid), None, None, deposit
    balance = patient_balance(patient_id=patient.pk, clinic_id=clinic_id)
    return (-balance if data.refund else balance), None, None, None


@transaction.atomic
def payment_record(*, actor: Actor, patient: Patient, data: PaymentIn) -> Payment:
    """Money taken at the desk (or given back, with ``refund``): for an invoice, a fee, a
    deposit, or on the patient's account; never more than is owed, nor a refund of more
    than was paid."""
    require_money_handler(actor.role)
    if sum(x is not None for x in (data.invoice, data.fee, data.deposit)) > 1:
        raise InvalidInput(_("A payment is for one invoice, fee or deposit."),
                           field="invoice")
    # Locked: the patient's payments are written one at a time, so that a balance read
    # here is still the balance when the payment is written.
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    limit, invoice, fee, deposit = _owed(patient=patient, data=data,
                                         clinic_id=actor.clinic_id)
    if data.amount > limit:
        if data.refund:
            message = _("At most %(limit)s can be given back here.")
        elif limit <= 0:
            message = _("Nothing is owed here. To give money back, record a refund.")
        else:
            message = _("Only %(limit)s is owed here. To give money back, record a refund.")
        raise InvalidInput(message % {"limit": max(limit, money.ZERO)}, field="amount")
    payment = _payment_write(actor=actor, patient=patient,
                             amount=-data.amount if data.refund else data.amount,
                             method=data.method, invoice=invoice, fee=fee, deposit=deposit,
                             refund=data.refund, reference=data.reference, note=data.note)
    if deposit is not None:
        paid = deposit.amount - limit + payment.amount
        Deposit.objects.filter(pk=deposit.pk).update(
            status=DepositStatus.PAID if paid >= deposit.amount else DepositStatus.DUE)
    return payment


# Deposits and fees ---------------------------------------------------------------------


def deposit_ask(*, appointment: Appointment) -> Deposit | None:
    """An online booking's deposit under the clinic's policy, handed to its payment
    provider (run inside the booking: booking.signals)."""
    clinic = appointment.clinic
    policy = billing_policy(clinic)
    amount = deposit_due_for(policy=policy, price=appointment.type.price)
    if amount <= 0:
        return None
    provider = providers.provider_for(policy.provider)
    deposit = Deposit.objects.create(clinic=clinic, patient=appointment.patient,
                                     appointment=appointment, amount=amount,
                                     currency=policy.currency, provider=provider.code,
                                     created_at=clock.now())
    start = provider.start(providers.DepositRequest(
        reference=f"deposit-{deposit.pk}", amount=amount, currency=policy.currency,
        description=appointment.type.name, patient_email=appointment.patient.email,
        return_url=settings.SITE_URL.rstrip("/") + reverse("home")))
    Deposit.objects.filter(pk=deposit.pk).update(provider_reference=start.provider_reference,
                                                 payment_url=start.redirect_url)
    deposit.provider_reference = start.provider_reference
    deposit.payment_url = start.redirect_url
    audit_record(actor=None, clinic=clinic, action="deposit.ask", object_type="deposit",
                 object_id=deposit.pk, patient_id=appointment.patient_id,
                 detail={"amount": str(amount), "provider": provider.code})
    return deposit


def deposit_notification(*, provider_code: str, body: bytes, headers: dict[str, str]
                         ) -> Payment:
    """A payment provider's notification: its adapter says which payment it confirms."""
    provider = providers.PROVIDERS.get(provider_code)
    if provider is None:
        raise NotFound(_("No such payment provider."))
    confirmed = provider.confirmation(body=body, headers=headers)
    if confirmed is None:
        raise InvalidInput(_("This notification is not the provider's."), field="signature")
    return deposit_payment_confirm(provider=provider.code,
                                   reference=confirmed.provider_reference,
                                   amount=confirmed.amount)


@transaction.atomic
def deposit_payment_confirm(*, provider: str, reference: str, amount: Decimal) -> Payment:
    """A provider's confirmation that a deposit was paid online: the payment is recorded
    once, whatever the number of times the provider confirms it."""
    # Locked: two confirmations of one payment record it once.
    deposit = Deposit.objects.select_for_update().filter(
        provider=provider, provider_reference=reference).select_related("patient").first()
    if deposit is None:
        raise NotFound(_("No such deposit."))
    existing = deposit.payments.filter(reference=reference).first()
    if existing is not None:
        return existing
    if amount != deposit.amount:
        raise InvalidInput(_("The amount paid is not the deposit's."), field="amount")
    payment = _payment_write(actor=None, patient=deposit.patient, amount=amount,
                             method=PaymentMethod.ONLINE, deposit=deposit,
                             reference=reference)
    Deposit.objects.filter(pk=deposit.pk).update(status=DepositStatus.PAID)
    return payment


def fee_charge(*, appointment: Appointment, kind: str, actor: Actor | None = None
               ) -> Fee | None:
    """A no-show or late-cancellation fee under the clinic's policy (run inside the
    appointment's change: booking.signals)."""
    policy = billing_policy(appointment.clinic)
    amount = policy.no_show_fee if kind == FeeKind.NO_SHOW else policy.late_cancel_fee
    if amount <= 0 or Fee.objects.filter(appointment=appointment).exists():
        return None
    fee = Fee.objects.create(clinic=appointment.clinic, patient_id=appointment.patient_id,
                             appointment=appointment, kind=kind, amount=amount,
                             created_at=clock.now())
    audit_record(actor=actor, clinic=appointment.clinic, action="fee.charge",
                 object_type="fee", object_id=fee.pk, patient_id=appointment.patient_id,
                 detail={"kind": kind, "amount": str(amount)})
    return fee


@transaction.atomic
def fee_waive(*, actor: Actor, fee: Fee, reason: str) -> Fee:
    require_money_handler(actor.role)
    reason = reason.strip()[:300]
    if not reason:
        raise InvalidInput(_("Say why the fee is waived."), field="reason")
    # Locked: a fee is waived once, and not while it is being paid.
    fee = Fee.objects.select_for_update().get(pk=fee.pk)
    if fee.waived_at is not None:
        raise InvalidInput(_("This fee was waived already."), field="fee")
    if fee.payments.exists():
        raise InvalidInput(_("This fee was paid: refund the payment instead."), field="fee")
    fee.waived_at = clock.now()
    fee.waived_by = actor.user
    fee.waive_reason = reason
    fee.save(update_fields=["waived_at", "waived_by", "waive_reason"])
    audit_record(actor=actor, action="fee.waive", object_type="fee", object_id=fee.pk,
                 patient_id=fee.patient_id, detail={"reason": reason,
                                                    "amount": str(fee.amount)})
    return fee

