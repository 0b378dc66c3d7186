"""Products a clinic injects, and their lots."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.utils.translation import gettext_lazy as _

from mesoclinic.catalog.models import Substance
from mesoclinic.core.models import Clinic


class Product(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(_("name"), max_length=150)
    manufacturer = models.CharField(_("manufacturer"), max_length=150, blank=True)
    substances = models.ManyToManyField(Substance, related_name="products", blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    low_stock_ml = models.DecimalField(_("low stock below (ml)"), max_digits=9,
                                       decimal_places=2, default=10)

    class Meta:
        verbose_name = _("product")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="product_clinic_name")
        ]

    def __str__(self) -> str:
        return self.name


class Lot(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="lots")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lots")
    number = models.CharField(_("lot number"), max_length=60)
    expiry = models.DateField(_("expiry date"))
    quantity = models.DecimalField(_("quantity (ml)"), max_digits=9, decimal_places=2,
                                   default=0)
    recalled = models.BooleanField(_("recalled"), default=False)
    recalled_at = models.DateTimeField(null=True, blank=True)
    recall_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("lot")
        ordering = ["product__name", "expiry"]
        constraints = [
            models.UniqueConstraint(fields=["product", "number"], name="lot_product_number")
        ]

    def __str__(self) -> str:
        return f"{self.product.name} · {self.number}"

    def usable_on(self, day: date) -> bool:
        return not self.recalled and self.expiry >= day
