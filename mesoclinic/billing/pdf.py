"""An invoice or a credit note as a PDF, in the language it was issued in (the
patient's), with the clinic's legal details: rendered by WeasyPrint."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from mesoclinic.billing.models import Invoice
from mesoclinic.billing.selectors import invoice_lines, invoice_outstanding
from mesoclinic.core import moments


def invoice_pdf(invoice: Invoice) -> bytes:
    outstanding, paid = invoice_outstanding(invoice) if not invoice.corrects_id else (0, 0)
    with translation.override(invoice.language):
        html = render_to_string("billing/invoice_pdf.html", {
            "invoice": invoice, "lines": invoice_lines(invoice),
            "issued": moments.moment_text(invoice.issued_at, invoice.clinic, "date"),
            "paid": paid, "outstanding": outstanding,
            "vat_summary": _vat_summary(invoice)})
    from weasyprint import HTML  # loaded when a PDF is asked for

    return HTML(string=html).write_pdf()


def _vat_summary(invoice: Invoice) -> list[dict[str, object]]:
    rates: dict[object, dict[str, object]] = {}
    for line in invoice_lines(invoice):
        row = rates.setdefault(line.vat_rate, {"rate": line.vat_rate, "net": 0, "vat": 0,
                                               "total": 0})
        row["net"] += line.net  # type: ignore[operator]
        row["vat"] += line.vat  # type: ignore[operator]
        row["total"] += line.total  # type: ignore[operator]
    return [rates[k] for k in sorted(rates, reverse=True)]  # type: ignore[type-var]
