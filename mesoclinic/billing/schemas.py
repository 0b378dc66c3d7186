"""What billing accepts: prices, the policy, invoice lines, packages, payments, and the
reasons a correction, a waiver or an early end needs."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from mesoclinic.core.errors import RowId

# Up to ten million in the clinic's currency, to the minor unit: a typo of a few digits
# more is refused, never rounded.
Amount = Annotated[Decimal, Field(gt=0, le=Decimal("10000000"), decimal_places=2)]
AmountOrZero = Annotated[Decimal, Field(ge=0, le=Decimal("10000000"), decimal_places=2)]
Rate = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                          max_length=300)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    legal_name: Text = ""
    legal_details: Annotated[str, StringConstraints(strip_whitespace=True,
                                                    max_length=1000)] = ""
    invoice_prefix: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10,
                                                     pattern=r"^[A-Za-z0-9-]*$")] = ""
    deposit_percent: Rate = Decimal("0")
    deposit_amount: AmountOrZero = Decimal("0")
    late_cancel_fee: AmountOrZero = Decimal("0")
    no_show_fee: AmountOrZero = Decimal("0")
    termination: Literal["refund", "account"] = "refund"
    provider: Annotated[str, StringConstraints(max_length=30)] = "clinic"


class PriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["treatment", "package", "other"]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=150)]
    indication: str = Field(default="", max_length=60,
                            description="Catalogue code of the indication; blank: any")
    sessions: int = Field(default=1, ge=1, le=30)
    price: Amount
    vat_rate: Rate


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                  max_length=200)]
    quantity: int = Field(default=1, ge=1, le=999)
    unit_price: Amount
    vat_rate: Rate


class ManualInvoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[LineIn] = Field(min_length=1, max_length=50)


class CreditNoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason
    amount: Amount | None = Field(default=None, description="Blank: all that is left")


class PackageSaleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    price: RowId = Field(description="The package's price-list id")
    plan: RowId | None = Field(default=None, description="The course it pays for")
    instalments: int = Field(default=1, ge=1, le=12)


class PackageEndIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason
    refund_method: Literal["cash", "card", "transfer"] = "card"


Method = Literal["cash", "card", "transfer"]


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Amount
    method: Method
    invoice: RowId | None = None
    fee: RowId | None = None
    deposit: RowId | None = None
    refund: bool = Field(default=False, description="Money given back to the patient")
    reference: Text = ""
    note: Text = ""


class WaiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason
