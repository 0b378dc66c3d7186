"""Taking a deposit online goes through a payment provider: one small interface, so that a
card provider's adapter is added here (and named in a clinic's billing policy) without the
booking code knowing.

A provider is asked to start a payment for a deposit and answers what the patient does
next: nothing now (pay at the clinic), or go to the provider's page. A provider that takes
the money online later confirms it, and billing records the payment
(``billing.services.deposit_payment_confirm``) with the provider's reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.utils.translation import gettext_lazy


@dataclass(frozen=True, slots=True)
class DepositRequest:
    reference: str  # ours: unique per deposit, echoed back by the provider
    amount: Decimal
    currency: str
    description: str
    patient_email: str
    return_url: str


@dataclass(frozen=True, slots=True)
class PaymentStart:
    provider_reference: str
    redirect_url: str = ""  # the provider's page where the patient pays; blank: at the clinic


@dataclass(frozen=True, slots=True)
class Confirmation:
    provider_reference: str
    amount: Decimal


class PaymentProvider(Protocol):
    code: str
    label: str

    def start(self, request: DepositRequest) -> PaymentStart: ...

    def confirmation(self, *, body: bytes, headers: Mapping[str, str]
                     ) -> Confirmation | None:
        """The payment a provider's notification confirms, or None when the notification
        is not the provider's own (its signature, checked here, does not match)."""
        ...


class PayAtClinic:
    """The deposit is taken at the desk, in cash or by card on the clinic's terminal: no
    money moves online, and the deposit stays due until reception records it."""

    code = "clinic"
    label = gettext_lazy("Pay at the clinic")

    def start(self, request: DepositRequest) -> PaymentStart:
        return PaymentStart(provider_reference=request.reference)

    def confirmation(self, *, body: bytes, headers: Mapping[str, str]
                     ) -> Confirmation | None:
        return None  # nothing is paid online: reception records the payment at the desk


PROVIDERS: dict[str, PaymentProvider] = {PayAtClinic.code: PayAtClinic()}


def register(provider: PaymentProvider) -> None:
    PROVIDERS[provider.code] = provider


def provider_for(code: str) -> PaymentProvider:
    """The clinic's provider; an unknown code (an adapter removed) falls back to paying at
    the clinic, which never takes money it cannot account for."""
    return PROVIDERS.get(code) or PROVIDERS[PayAtClinic.code]
