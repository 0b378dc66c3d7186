"""An invoice or a credit note as a PDF, in the language it was issued in (the
patient's), with the clinic's legal details: rendered by WeasyPrint."""

from __future__ import annotations

from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import translation

from mesoclinic.billing import money
from mesoclinic.billing.models import Invoice, InvoiceLine
from mesoclinic.billing.selectors import invoice_lines, invoice_outstanding
from mesoclinic.core import moments


def invoice_pdf(invoice: Invoice) -> bytes:
    lines = invoice_lines(invoice)
    outstanding, paid = invoice_outstanding(invoice) if not invoice.corrects_id \
        else (money.ZERO, money.ZERO)
    with translation.override(invoice.language):
        html = render_to_string("billing/invoice_pdf.html", {
            "invoice": invoice, "lines": lines,
            "issued": moments.moment_text(invoice.issued_at, invoice.clinic, "date"),
            "paid": paid, "outstanding": outstanding, "vat_summary": vat_summary(lines)})
    from weasyprint import HTML  # loaded when a PDF is asked for

    return HTML(string=html).write_pdf()


def vat_summary(lines: list[InvoiceLine]) -> list[tuple[Decimal, money.Amounts]]:
    """Net, VAT and total per VAT rate, the highest rate first, as the law asks an invoice
    to show them."""
    rates: dict[Decimal, money.Amounts] = {}
    for line in lines:
        rates[line.vat_rate] = rates.get(line.vat_rate, money.NOTHING) + money.Amounts(
            line.net, line.vat, line.total)
    return sorted(rates.items(), reverse=True)
