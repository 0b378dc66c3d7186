"""Reads of a clinic's products and lots."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from mesoclinic.core import moments
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import NotFound
from mesoclinic.core.roles import require_clinician
from mesoclinic.core.selectors import clinic_row
from mesoclinic.inventory.models import Lot, Product


def clinic_products(*, actor: Actor) -> QuerySet[Product]:
    return (Product.objects.filter(clinic_id=actor.clinic_id, is_active=True)
            .prefetch_related("substances").order_by("name"))


def clinic_lots(*, actor: Actor) -> QuerySet[Lot]:
    return Lot.objects.filter(clinic_id=actor.clinic_id).select_related("product").order_by(
        "product__name", "expiry")


def access_products(*, actor: Actor, product_ids: list[int]) -> list[Product]:
    """The clinic's products with these ids; an unknown or foreign id is not found."""
    require_clinician(actor.role)
    wanted = set(product_ids)
    products = list(Product.objects.filter(clinic_id=actor.clinic_id, pk__in=wanted))
    if len(products) != len(wanted):
        raise NotFound(_("Unknown product."), field="products")
    return products


def access_lot(*, actor: Actor, lot_id: int) -> Lot:
    require_clinician(actor.role)
    return clinic_row(Lot.objects.select_related("product"), actor=actor, pk=lot_id,
                      missing=_("Unknown lot."), field="lot")


@dataclass(frozen=True)
class StockLine:
    product: Product
    usable_ml: Decimal
    low: bool


def stock_levels(*, actor: Actor) -> list[StockLine]:
    today = moments.today(actor.clinic)
    products = Product.objects.filter(clinic_id=actor.clinic_id, is_active=True).annotate(
        usable=Sum("lots__quantity",
                   filter=Q(lots__recalled=False, lots__expiry__gte=today))).order_by("name")
    return [StockLine(p, p.usable or Decimal(0), (p.usable or Decimal(0)) < p.low_stock_ml)
            for p in products]
