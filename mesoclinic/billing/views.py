"""Billing pages: a patient's account (packages, invoices, payments, fees), an invoice
and its PDF, the day's cash-up, revenue, the accountant's export, the price list and the
clinic's policy. Every write goes through billing.services; every read of a patient's
money through an ``access_*`` loader or a selector that audits it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from pydantic import BaseModel

from mesoclinic.billing.models import PaymentMethod, PriceKind, Termination
from mesoclinic.billing.pdf import invoice_pdf
from mesoclinic.billing.providers import PROVIDERS
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
    LEDGER_HEADER,
    access_fee,
    access_invoice,
    access_package,
    access_price,
    billing_policy,
    cash_up,
    invoice_lines,
    invoice_outstanding,
    ledger_rows,
    patient_account,
    price_list,
    revenue,
)
from mesoclinic.billing.services import (
    billing_policy_set,
    credit_note_issue,
    deposit_notification,
    fee_waive,
    invoice_email,
    invoice_issue_for_care,
    invoice_issue_manual,
    package_end,
    package_sell,
    payment_record,
    price_offer_set,
    price_save,
)
from mesoclinic.booking.selectors import access_appointment, appointment_types
from mesoclinic.catalog.selectors import indications
from mesoclinic.core import moments
from mesoclinic.core.context import Actor
from mesoclinic.core.countries import country_rules
from mesoclinic.core.csv_export import csv_response
from mesoclinic.core.errors import MesoclinicError
from mesoclinic.core.models import Role
from mesoclinic.core.roles import MONEY_ROLES, handles_money, manages_clinic
from mesoclinic.core.web import parse_date, parse_form, pdf_response, staff_view
from mesoclinic.courses.selectors import patient_plans
from mesoclinic.patients.selectors import access_patient


def _attempt(request: HttpRequest, write: Callable[[], Any], done: str) -> Any | None:
    """Run a write; its refusal is said in words on the next page, and None returned."""
    try:
        result = write()
    except MesoclinicError as error:
        messages.error(request, error.message)
        return None
    messages.success(request, done)
    return result


def _form_write(request: HttpRequest, spec: type[BaseModel], data: dict[str, Any],
                write: Callable[[Any], Any], done: str) -> Any | None:
    """Validate a form against its spec, then write it: the written row, or None."""
    parsed, errors = parse_form(spec, data)
    if parsed is None:
        for field, texts in errors.items():
            messages.error(request, f"{field.replace('_', ' ').capitalize()}: {texts[0]}")
        return None
    return _attempt(request, lambda: write(parsed), done)


def _post(request: HttpRequest, *names: str) -> dict[str, Any]:
    return {n: request.POST[n] for n in names if request.POST.get(n, "") != ""}


# A patient's account ------------------------------------------------------------------


@staff_view()
def account(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    found = patient_account(actor=actor, patient=patient)
    money = handles_money(actor.role)
    rules = country_rules(actor.clinic.country)
    return render(request, "billing/account.html", {
        "patient": patient, "account": found, "money": money,
        "packages_for_sale": [p for p in price_list(clinic=actor.clinic, offered_only=True)
                              if p.kind == PriceKind.PACKAGE] if money else [],
        "plans": patient_plans(patient=patient) if money else [],
        "methods": [(m, label) for m, label in PaymentMethod.choices
                    if m != PaymentMethod.ONLINE],
        "rates": sorted(set(rules.rates.values()), reverse=True),
        "standard_rate": rules.standard_rate, "today": moments.today(actor.clinic)})


def _back_to_account(patient_id: int) -> HttpResponse:
    return redirect("patient_account", patient_id)


@staff_view(MONEY_ROLES)
@require_POST
def package_sale(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    _form_write(request, PackageSaleIn, _post(request, "price", "plan", "instalments"),
                lambda data: package_sell(actor=actor, patient=patient, data=data),
                _("Package sold and invoiced."))
    return _back_to_account(patient.pk)


@staff_view(MONEY_ROLES)
@require_POST
def payment_take(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    data = _post(request, "amount", "method", "reference", "note")
    target = request.POST.get("for", "")
    kind, _sep, pk = target.partition(":")
    if kind in ("invoice", "fee", "deposit") and pk.isdigit():
        data[kind] = pk
    data["refund"] = request.POST.get("refund") == "on"
    _form_write(request, PaymentIn, data,
                lambda parsed: payment_record(actor=actor, patient=patient, data=parsed),
                _("Refund recorded.") if data["refund"] else _("Payment recorded."))
    return _back_to_account(patient.pk)


@staff_view(MONEY_ROLES)
@require_POST
def manual_invoice(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    line = _post(request, "description", "quantity", "unit_price", "vat_rate")
    invoice = _form_write(request, ManualInvoiceIn, {"lines": [line]},
                          lambda data: invoice_issue_manual(actor=actor, patient=patient,
                                                            data=data),
                          _("Invoice issued."))
    return redirect("invoice_detail", invoice.pk) if invoice else _back_to_account(patient.pk)


@staff_view(MONEY_ROLES)
@require_POST
def package_stop(request: HttpRequest, actor: Actor, package_id: int) -> HttpResponse:
    package = access_package(actor=actor, package_id=package_id)
    _form_write(request, PackageEndIn, _post(request, "reason", "refund_method"),
                lambda data: package_end(actor=actor, package=package, data=data),
                _("Package ended; its unused sessions are credited."))
    return _back_to_account(package.patient_id)


@staff_view(MONEY_ROLES)
@require_POST
def fee_waiver(request: HttpRequest, actor: Actor, fee_id: int) -> HttpResponse:
    fee = access_fee(actor=actor, fee_id=fee_id)
    _attempt(request, lambda: fee_waive(actor=actor, fee=fee,
                                        reason=request.POST.get("reason", "")),
             _("Fee waived."))
    return _back_to_account(fee.patient_id)


@staff_view(MONEY_ROLES)
@require_POST
def appointment_invoice(request: HttpRequest, actor: Actor, appointment_id: int
                        ) -> HttpResponse:
    appointment = access_appointment(actor=actor, appointment_id=appointment_id, audit=False)
    invoice = _attempt(request, lambda: invoice_issue_for_care(actor=actor,
                                                              appointment=appointment),
                       _("Invoice issued."))
    return redirect("invoice_detail", invoice.pk) if invoice else \
        redirect(request.POST.get("next") or "desk")


# Invoices ------------------------------------------------------------------------------


@staff_view(MONEY_ROLES)
def invoice_detail(request: HttpRequest, actor: Actor, invoice_id: int) -> HttpResponse:
    invoice = access_invoice(actor=actor, invoice_id=invoice_id)
    outstanding, paid = invoice_outstanding(invoice)
    return render(request, "billing/invoice.html", {
        "invoice": invoice, "lines": invoice_lines(invoice), "paid": paid,
        "outstanding": outstanding, "credited": invoice.total - outstanding - paid,
        "credit_notes": list(invoice.credit_notes.all()), "payments":
        list(invoice.payments.all())})


@staff_view(MONEY_ROLES)
def invoice_download(request: HttpRequest, actor: Actor, invoice_id: int) -> HttpResponse:
    invoice = access_invoice(actor=actor, invoice_id=invoice_id, audit_action="invoice.pdf")
    return pdf_response(invoice_pdf(invoice), filename=f"{invoice.number}.pdf",
                        inline=True)


@staff_view(MONEY_ROLES)
@require_POST
def credit_note(request: HttpRequest, actor: Actor, invoice_id: int) -> HttpResponse:
    invoice = access_invoice(actor=actor, invoice_id=invoice_id, audit_action=None)
    note = _form_write(request, CreditNoteIn, _post(request, "reason", "amount"),
                       lambda data: credit_note_issue(actor=actor, invoice=invoice, data=data),
                       _("Credit note issued."))
    return redirect("invoice_detail", (note or invoice).pk)


@staff_view(MONEY_ROLES)
@require_POST
def invoice_send(request: HttpRequest, actor: Actor, invoice_id: int) -> HttpResponse:
    invoice = access_invoice(actor=actor, invoice_id=invoice_id, audit_action=None)
    _attempt(request, lambda: invoice_email(actor=actor, invoice=invoice),
             _("The invoice is on its way to %(email)s.") % {"email": invoice.patient.email})
    return redirect("invoice_detail", invoice.pk)


# The day, the months, the accountant ---------------------------------------------------


def _day(request: HttpRequest, actor: Actor) -> date:
    return parse_date(request.GET.get("day")) or moments.today(actor.clinic)


@staff_view(MONEY_ROLES)
def cash_up_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    day = _day(request, actor)
    return render(request, "billing/cash_up.html", {
        "report": cash_up(actor=actor, day=day), "day": day,
        "previous": day - timedelta(days=1), "next": day + timedelta(days=1),
        "today": moments.today(actor.clinic)})


def _period(request: HttpRequest, actor: Actor) -> tuple[date, date]:
    today = moments.today(actor.clinic)
    first = parse_date(request.GET.get("from")) or today.replace(month=1, day=1)
    last = parse_date(request.GET.get("to")) or today
    return (first, last) if first <= last else (last, first)


@staff_view(MONEY_ROLES)
def revenue_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    first, last = _period(request, actor)
    report = revenue(actor=actor, first=first, last=last)
    biggest = max((r.total for r in report.by_month), default=0) or 1
    return render(request, "billing/revenue.html", {
        "report": report, "first": first, "last": last,
        "bars": [(row, int(100 * row.total / biggest) if row.total > 0 else 0)
                 for row in report.by_month]})


@staff_view(MONEY_ROLES)
def ledger_export(request: HttpRequest, actor: Actor) -> HttpResponse:
    first, last = _period(request, actor)
    return csv_response(filename=f"ledger-{first.isoformat()}-{last.isoformat()}.csv",
                        header=LEDGER_HEADER,
                        rows=ledger_rows(actor=actor, first=first, last=last))


# Payment providers ---------------------------------------------------------------------


@csrf_exempt  # a provider's server calls it; its adapter checks the signature instead
@require_POST
def provider_notify(request: HttpRequest, code: str) -> HttpResponse:
    try:
        payment = deposit_notification(provider_code=code, body=request.body,
                                       headers=dict(request.headers))
    except MesoclinicError as error:
        return JsonResponse({"detail": error.message, "code": error.code},
                            status=error.status)
    return JsonResponse({"recorded": True, "payment": payment.pk})


# The price list and the policy ---------------------------------------------------------


def _price_form(request: HttpRequest) -> dict[str, Any]:
    return _post(request, "kind", "name", "indication", "sessions", "price", "vat_rate")


@staff_view()
@require_http_methods(["GET", "POST"])
def prices(request: HttpRequest, actor: Actor) -> HttpResponse:
    owner = manages_clinic(actor.role)
    if request.method == "POST":
        if not owner:
            messages.error(request, _("Only the clinic's owners can do this."))
        else:
            price_id = request.POST.get("price_id", "")
            _form_write(request, PriceIn, _price_form(request),
                        lambda data: price_save(actor=actor, data=data, price_id=int(
                            price_id) if price_id.isdigit() else None), _("Price saved."))
        return redirect("price_list")
    rules = country_rules(actor.clinic.country)
    return render(request, "billing/prices.html", {
        "prices": price_list(clinic=actor.clinic), "owner": owner,
        "currency": billing_policy(actor.clinic).currency,
        "kinds": PriceKind.choices, "indications": indications(),
        "appointment_types": appointment_types(clinic=actor.clinic),
        "rates": sorted(set(rules.rates.values()), reverse=True),
        "standard_rate": rules.standard_rate})


@staff_view(roles=[Role.OWNER])
@require_POST
def price_offer(request: HttpRequest, actor: Actor, price_id: int) -> HttpResponse:
    price = access_price(actor=actor, price_id=price_id)
    price_offer_set(actor=actor, price=price, offered=request.POST.get("offered") == "1")
    return redirect("price_list")


@staff_view(roles=[Role.OWNER])
@require_http_methods(["GET", "POST"])
def policy(request: HttpRequest, actor: Actor) -> HttpResponse:
    fields = ("legal_name", "legal_details", "invoice_prefix", "deposit_percent",
              "deposit_amount", "late_cancel_fee", "no_show_fee", "termination", "provider")
    if request.method == "POST" and _form_write(
            request, PolicyIn, _post(request, *fields),
            lambda data: billing_policy_set(actor=actor, data=data),
            _("Billing policy saved.")):
        return redirect("billing_policy")
    return render(request, "billing/policy.html", {
        "policy": billing_policy(actor.clinic), "terminations": Termination.choices,
        "providers": [(p.code, p.label) for p in PROVIDERS.values()],
        "back": reverse("clinic_settings")})
