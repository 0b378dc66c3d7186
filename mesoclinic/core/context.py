"""The acting user, as services see them: who, in which clinic, with which role, from where."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from mesoclinic.core.models import Clinic, Membership, User


@dataclass(frozen=True, slots=True)
class Actor:
    user: User
    membership: Membership
    ip: str | None

    @property
    def clinic(self) -> Clinic:
        return self.membership.clinic

    @property
    def clinic_id(self) -> int:
        return self.membership.clinic_id

    @property
    def role(self) -> str:
        return self.membership.role


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: a forwarded header is trusted only behind a proxy we configure,
    # and none is configured by default.
    return request.META.get("REMOTE_ADDR") or None


def actor_from_request(request: HttpRequest) -> Actor:
    membership = getattr(request, "membership", None)
    if membership is None:
        raise PermissionError("No clinic chosen.")
    return Actor(user=membership.user, membership=membership, ip=client_ip(request))
