"""Billing: a clinic's prices and policy, packages sold, invoices and credit notes,
payments, deposits and fees. A ledger: rows are added, never changed in what they say
about money, never deleted. An issued invoice is corrected by a credit note that refers
to it; a fee is waived with a reason; a payment is undone by a refund."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mesoclinic.booking.models import Appointment
from mesoclinic.catalog.models import Indication
from mesoclinic.core.countries import currency_of
from mesoclinic.core.models import Clinic
from mesoclinic.courses.models import Session, TreatmentPlan
from mesoclinic.patients.models import Patient


def money_field(label: str = "", **options: object) -> models.DecimalField:
    return models.DecimalField(label or None, max_digits=12, decimal_places=2, **options)


class Termination(models.TextChoices):
    REFUND = "refund", _("Refund the unused sessions")
    ACCOUNT = "account", _("Keep them as credit on the patient's account")


class BillingPolicy(models.Model):
    """A clinic's money settings: legal details printed on its invoices, its cancellation
    charges, what an early-ended package gives back, and how deposits are taken online.
    A clinic without a row has the defaults (``billing.selectors.billing_policy``)."""

    clinic = models.OneToOneField(Clinic, on_delete=models.PROTECT, related_name="+")
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    # Registration and tax numbers as the country requires them on an invoice (SIRET and
    # VAT number in France, company and VAT registration numbers in the UK).
    legal_details = models.TextField(_("legal details on invoices"), max_length=1000,
                                     blank=True)
    invoice_prefix = models.CharField(_("invoice number prefix"), max_length=10, blank=True)
    deposit_percent = models.DecimalField(_("deposit (% of the price)"), max_digits=5,
                                          decimal_places=2, default=Decimal("0"))
    deposit_amount = money_field(_("deposit (fixed amount)"), default=Decimal("0"))
    late_cancel_fee = money_field(_("late cancellation fee"), default=Decimal("0"))
    no_show_fee = money_field(_("no-show fee"), default=Decimal("0"))
    termination = models.CharField(_("a package ended early"), max_length=10,
                                   choices=Termination.choices, default=Termination.REFUND)
    provider = models.CharField(_("online deposits"), max_length=30, default="clinic")
    updated_at = models.DateTimeField(default=timezone.now)

    @property
    def currency(self) -> str:
        """The clinic's country's (invoices and deposits keep the one they were made in)."""
        return currency_of(self.clinic.country)


class PriceKind(models.TextChoices):
    TREATMENT = "treatment", _("Treatment session")
    PACKAGE = "package", _("Course package")
    OTHER = "other", _("Other")


class PriceItem(models.Model):
    """One line of the price list. A treatment's price is per session of an indication (or
    of any); a package is ``sessions`` sessions (of an indication, or any) at one price. An
    appointment's price is its type's (booking.AppointmentType.price), in one place for the
    public pages, the booking form and its invoice. A price is retired, never deleted:
    invoices name it."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=PriceKind.choices)
    name = models.CharField(_("name"), max_length=150)
    indication = models.ForeignKey(Indication, on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")
    sessions = models.PositiveSmallIntegerField(_("sessions"), default=1)
    price = money_field(_("price, VAT included"))
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    active = models.BooleanField(_("offered"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "name", "id"]
        indexes = [models.Index(fields=["clinic", "kind"], name="price_clinic_kind")]

    def __str__(self) -> str:
        return self.name


class InvoiceCounter(models.Model):
    """The last number given in a clinic's year: locked by each issue, so that numbers
    follow each other with no gap and no repeat (French law asks for both)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "year"],
                                               name="one_counter_per_clinic_year")]


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceSource(models.TextChoices):
    SESSION = "session", _("a session")
    APPOINTMENT = "appointment", _("an appointment")
    PACKAGE = "package", _("a package")
    MANUAL = "manual", _("by hand")


class PackageStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    USED = "used", _("All sessions used")
    ENDED = "ended", _("Ended early")


class Package(models.Model):
    """A course sold to a patient: ``sessions`` credits at one price, each completed
    session of its plan (or, without a plan, of the patient's treatment) using one."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    price_item = models.ForeignKey(PriceItem, on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+")
    name = models.CharField(max_length=150)
    sessions = models.PositiveSmallIntegerField()
    price = money_field()
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    status = models.CharField(max_length=10, choices=PackageStatus.choices,
                              default=PackageStatus.ACTIVE)
    sold_at = models.DateTimeField(default=timezone.now)
    sold_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-sold_at", "-id"]
        indexes = [models.Index(fields=["patient", "status"], name="package_patient_status")]


class Invoice(models.Model):
    """An invoice or a credit note, as issued: its number, the buyer and the seller as they
    were, and amounts that are the sums of its lines. A credit note's amounts are negative
    and it names the invoice it corrects."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=InvoiceKind.choices,
                            default=InvoiceKind.INVOICE)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=30)
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, related_name="+")
    currency = models.CharField(max_length=3)
    net = money_field()
    vat = money_field()
    total = money_field()
    source = models.CharField(max_length=12, choices=InvoiceSource.choices)
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="credit_notes")
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    package = models.ForeignKey(Package, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="invoices")
    language = models.CharField(max_length=8)
    buyer = models.JSONField(default=dict)   # name, address, email, as at issue
    seller = models.JSONField(default=dict)  # clinic name, address, legal details
    reason = models.CharField(max_length=300, blank=True)  # a credit note's

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "year", "sequence"],
                                    name="invoice_number_once"),
        ]
        indexes = [models.Index(fields=["clinic", "issued_at"], name="invoice_clinic_issued"),
                   models.Index(fields=["patient", "issued_at"], name="invoice_patient")]

    def __str__(self) -> str:
        return self.number


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=200)
    quantity = models.IntegerField()
    unit_price = money_field()
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    net = money_field()
    vat = money_field()
    total = money_field()
    price_item = models.ForeignKey(PriceItem, on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")
    # For the revenue reports: who gave the care, and for what.
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")
    indication = models.ForeignKey(Indication, on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")

    class Meta:
        ordering = ["invoice_id", "position"]


class Instalment(models.Model):
    """One part of a package's price, due on a day of the clinic's calendar. Paid or not
    is read from the payments on the package's invoice, in order."""

    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="instalments")
    number = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    amount = money_field()

    class Meta:
        ordering = ["package_id", "number"]


class CreditUse(models.Model):
    """One package credit used by one completed session: the package's payment for it."""

    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="uses")
    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="+")
    used_at = models.DateTimeField(default=timezone.now)
    value = money_field()  # the package's price per session, for the cash-up

    class Meta:
        ordering = ["used_at", "id"]


class FeeKind(models.TextChoices):
    NO_SHOW = "no_show", _("No-show fee")
    LATE_CANCEL = "late_cancel", _("Late cancellation fee")


class Fee(models.Model):
    """A charge for an appointment missed or cancelled late, added to the patient's balance
    by the appointment's status; reception may waive it, saying why."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=FeeKind.choices)
    amount = money_field()
    created_at = models.DateTimeField(default=timezone.now)
    waived_at = models.DateTimeField(null=True, blank=True)
    waived_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    waive_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["appointment"],
                                               name="one_fee_per_appointment")]


class DepositStatus(models.TextChoices):
    DUE = "due", _("Due")
    PAID = "paid", _("Paid")


class Deposit(models.Model):
    """The deposit an online booking asks for, under the clinic's policy at the time."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT,
                                       related_name="deposit")
    amount = money_field()
    currency = models.CharField(max_length=3)
    provider = models.CharField(max_length=30)
    provider_reference = models.CharField(max_length=100, blank=True)
    # Where the patient pays online (a card provider's page); blank: at the clinic.
    payment_url = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=8, choices=DepositStatus.choices,
                              default=DepositStatus.DUE)
    created_at = models.DateTimeField(default=timezone.now)


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Card terminal")
    TRANSFER = "transfer", _("Bank transfer")
    ONLINE = "online", _("Online")


class Payment(models.Model):
    """Money received (or, as a refund, given back: a negative amount), for an invoice, a
    fee, a deposit, or on account."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="payments")
    fee = models.ForeignKey(Fee, on_delete=models.PROTECT, null=True, blank=True,
                            related_name="payments")
    deposit = models.ForeignKey(Deposit, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="payments")
    method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    amount = money_field()
    refund = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, related_name="+")
    reference = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["clinic", "at"], name="payment_clinic_at"),
                   models.Index(fields=["patient", "at"], name="payment_patient_at")]
