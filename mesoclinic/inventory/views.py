from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mesoclinic.catalog import selectors as catalogue
from mesoclinic.core import moments
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import MesoclinicError
from mesoclinic.core.roles import CLINICAL_ROLES
from mesoclinic.core.web import staff_view
from mesoclinic.inventory.selectors import (
    access_products,
    clinic_lots,
    clinic_products,
    stock_levels,
)
from mesoclinic.inventory.services import lot_create, product_create


def _lot_values(post: dict[str, str]) -> tuple[str, date, Decimal]:
    number = post.get("number", "").strip()
    if not number or len(number) > 60:
        raise MesoclinicError(_("Give the lot number (at most 60 characters)."), field="number")
    try:
        expiry = date.fromisoformat(post.get("expiry", ""))
    except ValueError as error:
        raise MesoclinicError(_("Enter a valid date (YYYY-MM-DD)."), field="expiry") from error
    try:
        quantity = Decimal(post.get("quantity", "0") or "0")
    except InvalidOperation as error:
        raise MesoclinicError(_("Enter a quantity in ml."), field="quantity") from error
    if quantity < 0 or quantity > Decimal("100000"):
        raise MesoclinicError(_("Enter a quantity in ml."), field="quantity")
    return number, expiry, quantity


@staff_view(roles=CLINICAL_ROLES)
@require_http_methods(["GET", "POST"])
def product_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            if request.POST.get("form") == "lot":
                product_id = request.POST.get("product", "")
                if not product_id.isdigit():
                    raise MesoclinicError(_("Choose a product."), field="product")
                product = access_products(actor=actor, product_ids=[int(product_id)])[0]
                number, expiry, quantity = _lot_values(request.POST)
                lot_create(actor=actor, product=product, number=number, expiry=expiry,
                           quantity=quantity)
            else:
                name = request.POST.get("name", "").strip()
                if not name or len(name) > 150:
                    raise MesoclinicError(_("Give the product's name (at most 150 characters)."),
                                          field="name")
                product_create(actor=actor, name=name,
                               manufacturer=request.POST.get("manufacturer", "")[:150],
                               substance_codes=request.POST.getlist("substances"))
            return redirect("product_list")
        except MesoclinicError as error:
            errors[error.field or "form"] = [error.message]
    context = {"products": clinic_products(actor=actor), "lots": clinic_lots(actor=actor),
               "stock": stock_levels(actor=actor),
               "substances": catalogue.substances(), "errors": errors,
               "today": moments.today(actor.clinic), "values": request.POST}
    return render(request, "inventory/products.html", context, status=400 if errors else 200)
