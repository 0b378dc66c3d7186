"""API of billing: prices, a patient's account, packages, invoices (with their PDF),
payments, fees and the day's cash-up, with the pages' roles: reception and owners handle
money, clinical staff read balances and credits, each clinic sees only its own."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from mesoclinic.billing.models import Invoice, Package, Payment, PriceItem
from mesoclinic.billing.pdf import invoice_pdf
from mesoclinic.billing.schemas import (
    CreditNoteIn,
    ManualInvoiceIn,
    PackageEndIn,
    PackageSaleIn,
    PaymentIn,
    PriceIn,
    WaiveIn,
)
from mesoclinic.billing.selectors import (
    access_fee,
    access_invoice,
    access_package,
    cash_up,
    clinic_invoices,
    invoice_lines,
    invoice_outstanding,
    patient_account,
    price_list,
)
from mesoclinic.billing.services import (
    credit_note_issue,
    fee_waive,
    invoice_email,
    invoice_issue_for_care,
    invoice_issue_manual,
    package_end,
    package_sell,
    payment_record,
    price_save,
)
from mesoclinic.booking.selectors import access_appointment
from mesoclinic.core import moments
from mesoclinic.core.api import ERRORS, ErrorOut, api_actor
from mesoclinic.core.errors import RowId
from mesoclinic.core.web import FIRST_DAY, LAST_DAY, pdf_response
from mesoclinic.patients.selectors import access_patient

router = Router(tags=["billing"])

CONFLICT = {409: ErrorOut}


class PriceOut(Schema):
    id: int
    kind: str
    name: str
    indication: str | None
    sessions: int
    price: Decimal
    vat_rate: Decimal
    offered: bool = Field(alias="active")

    @staticmethod
    def resolve_indication(obj: PriceItem) -> str | None:
        return obj.indication.code if obj.indication else None


@router.get("/prices", response={200: list[PriceOut], **ERRORS},
            summary="The clinic's price list, VAT included")
def list_prices(request: HttpRequest) -> list[PriceItem]:
    return price_list(clinic=api_actor(request).clinic)


@router.post("/prices", response={201: PriceOut, **ERRORS},
             summary="Add a price (owners)")
def add_price(request: HttpRequest, payload: PriceIn) -> Status:
    return Status(201, price_save(actor=api_actor(request), data=payload))


class LineOut(Schema):
    position: int
    description: str
    quantity: int
    unit_price: Decimal
    vat_rate: Decimal
    net: Decimal
    vat: Decimal
    total: Decimal


class InvoiceOut(Schema):
    id: int
    kind: str
    number: str
    patient: int = Field(alias="patient_id")
    issued_at: datetime
    currency: str
    net: Decimal
    vat: Decimal
    total: Decimal
    corrects: str | None
    reason: str
    lines: list[LineOut]

    @staticmethod
    def resolve_corrects(obj: Invoice) -> str | None:
        return obj.corrects.number if obj.corrects_id else None

    @staticmethod
    def resolve_lines(obj: Invoice) -> list:
        return invoice_lines(obj)


class InvoiceSummaryOut(Schema):
    id: int
    kind: str
    number: str
    patient: int = Field(alias="patient_id")
    issued_at: datetime
    total: Decimal
    corrects: str | None

    @staticmethod
    def resolve_corrects(obj: Invoice) -> str | None:
        return obj.corrects.number if obj.corrects_id else None


class InvoiceStateOut(InvoiceOut):
    paid: Decimal
    outstanding: Decimal


def _state(invoice: Invoice) -> InvoiceStateOut:
    invoice.outstanding, invoice.paid = invoice_outstanding(invoice)  # type: ignore[attr-defined]
    return InvoiceStateOut.from_orm(invoice)


class InvoicesQuery(Schema):
    patient: RowId | None = None


@router.get("/invoices", response={200: list[InvoiceSummaryOut], **ERRORS},
            summary="The newest invoices and credit notes (the desk)")
def list_invoices(request: HttpRequest, params: Query[InvoicesQuery]) -> list[Invoice]:
    return clinic_invoices(actor=api_actor(request), patient_id=params.patient)


@router.get("/invoices/{int:invoice_id}", response={200: InvoiceStateOut, **ERRORS},
            summary="An invoice or a credit note, with what is paid and left to pay")
def get_invoice(request: HttpRequest, invoice_id: int) -> InvoiceStateOut:
    return _state(access_invoice(actor=api_actor(request), invoice_id=invoice_id))


PDF_ANSWER = {"responses": {"200": {"description": "The invoice as a PDF, in the "
                                                   "patient's language",
                                    "content": {"application/pdf": {"schema": {
                                        "type": "string", "format": "binary"}}}}}}


@router.get("/invoices/{int:invoice_id}/pdf", response={200: None, **ERRORS},
            openapi_extra=PDF_ANSWER, summary="The invoice's PDF")
def get_invoice_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = access_invoice(actor=api_actor(request), invoice_id=invoice_id,
                             audit_action="invoice.pdf")
    return pdf_response(invoice_pdf(invoice), filename=f"{invoice.number}.pdf",
                        inline=True)


@router.post("/patients/{int:patient_id}/invoices", response={201: InvoiceStateOut, **ERRORS},
             summary="Issue an invoice by hand")
def issue_invoice(request: HttpRequest, patient_id: int, payload: ManualInvoiceIn) -> Status:
    actor = api_actor(request)
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    return Status(201, _state(invoice_issue_manual(actor=actor, patient=patient,
                                                   data=payload)))


@router.post("/appointments/{int:appointment_id}/invoice",
             response={201: InvoiceStateOut, **CONFLICT, **ERRORS},
             summary="Invoice an appointment (or its course session) at the listed price")
def invoice_appointment(request: HttpRequest, appointment_id: int) -> Status:
    actor = api_actor(request)
    appointment = access_appointment(actor=actor, appointment_id=appointment_id, audit=False)
    return Status(201, _state(invoice_issue_for_care(actor=actor, appointment=appointment)))


@router.post("/invoices/{int:invoice_id}/credit-note",
             response={201: InvoiceStateOut, **ERRORS},
             summary="Correct an invoice with a credit note (all that is left, or part)")
def issue_credit_note(request: HttpRequest, invoice_id: int, payload: CreditNoteIn
                      ) -> Status:
    actor = api_actor(request)
    invoice = access_invoice(actor=actor, invoice_id=invoice_id, audit_action=None)
    return Status(201, _state(credit_note_issue(actor=actor, invoice=invoice, data=payload)))


class QueuedOut(Schema):
    queued: bool


@router.post("/invoices/{int:invoice_id}/email", response={202: QueuedOut, **ERRORS},
             summary="Email the invoice's PDF to the patient")
def email_invoice(request: HttpRequest, invoice_id: int) -> Status:
    actor = api_actor(request)
    invoice_email(actor=actor, invoice=access_invoice(actor=actor, invoice_id=invoice_id,
                                                      audit_action=None))
    return Status(202, QueuedOut(queued=True))


# Packages and the account ---------------------------------------------------------------


class PackageOut(Schema):
    id: int
    name: str
    plan: int | None = Field(alias="plan_id")
    sessions: int
    used: int
    left: int
    price: Decimal
    status: str
    sold_at: datetime


def _package(package: Package, used: int) -> dict[str, object]:
    return {"id": package.pk, "name": package.name, "plan_id": package.plan_id,
            "sessions": package.sessions, "used": used,
            "left": max(package.sessions - used, 0), "price": package.price,
            "status": package.status, "sold_at": package.sold_at}


class FeeOut(Schema):
    id: int
    appointment: int = Field(alias="appointment_id")
    kind: str
    amount: Decimal
    waived: bool
    waive_reason: str

    @staticmethod
    def resolve_waived(obj: object) -> bool:
        return getattr(obj, "waived_at", None) is not None


class PaymentOut(Schema):
    id: int
    at: datetime
    method: str
    amount: Decimal
    refund: bool
    invoice: int | None = Field(alias="invoice_id")
    fee: int | None = Field(alias="fee_id")
    deposit: int | None = Field(alias="deposit_id")
    reference: str


class DepositOut(Schema):
    id: int
    appointment: int = Field(alias="appointment_id")
    amount: Decimal
    status: str
    provider: str


class AccountOut(Schema):
    patient: int
    currency: str
    balance: Decimal = Field(description="What the patient owes; negative: their credit")
    packages: list[PackageOut]
    invoices: list[InvoiceSummaryOut]
    payments: list[PaymentOut]
    fees: list[FeeOut]
    deposits: list[DepositOut]


@router.get("/patients/{int:patient_id}/account", response={200: AccountOut, **ERRORS},
            summary="A patient's balance, package credits, invoices, payments, fees")
def get_account(request: HttpRequest, patient_id: int) -> dict[str, object]:
    actor = api_actor(request)
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    account = patient_account(actor=actor, patient=patient)
    return {"patient": patient.pk, "currency": account.currency, "balance": account.balance,
            "packages": [_package(v.package, v.used) for v in account.packages],
            "invoices": [v.invoice for v in account.invoices] + account.credit_notes,
            "payments": account.payments, "fees": account.fees,
            "deposits": account.deposits}


@router.post("/patients/{int:patient_id}/packages", response={201: PackageOut, **ERRORS},
             summary="Sell a course package: invoiced at once, paid at once or in instalments")
def sell_package(request: HttpRequest, patient_id: int, payload: PackageSaleIn) -> Status:
    actor = api_actor(request)
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    return Status(201, _package(package_sell(actor=actor, patient=patient, data=payload), 0))


@router.post("/packages/{int:package_id}/end", response={200: PackageOut, **ERRORS},
             summary="End a package early: unused sessions credited, refunded by policy")
def end_package(request: HttpRequest, package_id: int, payload: PackageEndIn
                ) -> dict[str, object]:
    actor = api_actor(request)
    package = package_end(actor=actor, package=access_package(actor=actor,
                                                              package_id=package_id),
                          data=payload)
    return _package(package, package.uses.count())


@router.post("/patients/{int:patient_id}/payments", response={201: PaymentOut, **ERRORS},
             summary="Record a payment or, with refund, money given back")
def record_payment(request: HttpRequest, patient_id: int, payload: PaymentIn) -> Status:
    actor = api_actor(request)
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    payment: Payment = payment_record(actor=actor, patient=patient, data=payload)
    return Status(201, payment)


@router.post("/fees/{int:fee_id}/waive", response={200: FeeOut, **ERRORS},
             summary="Waive a no-show or late-cancellation fee, saying why")
def waive_fee(request: HttpRequest, fee_id: int, payload: WaiveIn) -> object:
    actor = api_actor(request)
    return fee_waive(actor=actor, fee=access_fee(actor=actor, fee_id=fee_id),
                     reason=payload.reason)


class MethodOut(Schema):
    method: str
    count: int
    received: Decimal
    refunded: Decimal
    net: Decimal


class CashUpOut(Schema):
    day: date
    currency: str
    takings: Decimal
    methods: list[MethodOut]
    package_credits_used: int
    invoiced: Decimal
    credit_notes: Decimal
    fees_charged: Decimal
    fees_waived: Decimal
    payments: list[PaymentOut]


class CashUpQuery(Schema):
    day: date | None = Field(default=None, ge=FIRST_DAY, le=LAST_DAY)


@router.get("/cash-up", response={200: CashUpOut, **ERRORS},
            summary="The closing figures of a clinic day, by payment method (the desk)")
def get_cash_up(request: HttpRequest, params: Query[CashUpQuery]) -> dict[str, object]:
    actor = api_actor(request)
    report = cash_up(actor=actor, day=params.day or moments.today(actor.clinic))
    return {"day": report.day, "currency": report.currency, "takings": report.takings,
            "methods": [{"method": m.method, "count": m.count, "received": m.received,
                         "refunded": m.refunded, "net": m.net} for m in report.methods],
            "package_credits_used": report.credits_used, "invoiced": report.invoiced,
            "credit_notes": report.credit_notes, "fees_charged": report.fees_charged,
            "fees_waived": report.fees_waived, "payments": report.payments}
