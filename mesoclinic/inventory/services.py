"""Writes for products and lots."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from mesoclinic.catalog.models import Substance
from mesoclinic.core.audit import audit_record
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import Conflict
from mesoclinic.core.roles import require_clinician
from mesoclinic.inventory.models import Lot, Product


@transaction.atomic
def product_create(*, actor: Actor, name: str, manufacturer: str = "",
                   substance_codes: list[str] | None = None) -> Product:
    require_clinician(actor.role)
    try:
        with transaction.atomic():
            product = Product.objects.create(clinic_id=actor.clinic_id, name=name.strip(),
                                             manufacturer=manufacturer.strip())
    except IntegrityError as error:
        raise Conflict(_("This clinic already has a product of that name."),
                       field="name") from error
    if substance_codes:
        product.substances.set(Substance.objects.filter(code__in=substance_codes))
    audit_record(actor=actor, action="product.create", object_type="product",
                 object_id=product.pk, detail={"name": product.name})
    return product


@transaction.atomic
def lot_create(*, actor: Actor, product: Product, number: str, expiry: date,
               quantity: Decimal) -> Lot:
    require_clinician(actor.role)
    try:
        with transaction.atomic():
            lot = Lot.objects.create(clinic_id=actor.clinic_id, product=product,
                                     number=number.strip(), expiry=expiry, quantity=quantity)
    except IntegrityError as error:
        raise Conflict(_("This product already has a lot with that number."),
                       field="number") from error
    audit_record(actor=actor, action="lot.create", object_type="lot", object_id=lot.pk,
                 detail={"product": product.name, "number": lot.number,
                         "expiry": expiry.isoformat()})
    return lot
