"""Writes for clinics, users, memberships and API tokens."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from mesoclinic.core import clock
from mesoclinic.core.audit import audit_record
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import Conflict, InvalidInput
from mesoclinic.core.languages import language_of_country, staff_language
from mesoclinic.core.links import key_hash
from mesoclinic.core.models import ApiToken, AuditChain, Clinic, Membership, Role, User
from mesoclinic.core.roles import may_be_qualified, require_owner


@transaction.atomic
def clinic_create(
    *,
    name: str,
    slug: str,
    city: str,
    timezone_name: str,
    country: str = "GB",
    address: str = "",
    phone: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    language: str | None = None,
    owner: User,
) -> Clinic:
    clinic = Clinic.objects.create(
        language=language or language_of_country(country),
        name=name,
        slug=slug,
        city=city,
        timezone=timezone_name,
        country=country,
        address=address,
        phone=phone,
        latitude=latitude,
        longitude=longitude,
    )
    AuditChain.objects.create(scope=f"clinic:{clinic.pk}")
    Membership.objects.create(user=owner, clinic=clinic, role=Role.OWNER)
    return clinic


def user_create(*, email: str, full_name: str, password: str | None) -> User:
    return User.objects.create_user(email=email, password=password, full_name=full_name)


def _send_set_password_email(*, user: User, clinic: Clinic, base_url: str) -> None:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = base_url.rstrip("/") + reverse(
        "password_reset_confirm", kwargs={"uidb64": uid, "token": token}
    )
    with translation.override(staff_language(user, clinic)):
        subject = _("Your mesoclinic account at %(clinic)s") % {"clinic": clinic.name}
        message = _(
            "Hello %(name)s,\n\n%(clinic)s has given you access to mesoclinic.\n"
            "Choose your password here: %(link)s\n"
        ) % {"name": user.full_name, "clinic": clinic.name, "link": link}
    send_mail(subject=subject, message=message, from_email=settings.DEFAULT_FROM_EMAIL,
              recipient_list=[user.email])


@transaction.atomic
def membership_add(
    *, actor: Actor, email: str, full_name: str, role: Role, base_url: str
) -> Membership:
    """Give a person a role in the actor's clinic; a new person gets an email to set a
    password."""
    require_owner(actor.role)
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    is_new_user = user is None
    if user is None:
        user = user_create(email=email, full_name=full_name, password=None)
    elif Membership.objects.filter(user=user, clinic_id=actor.clinic_id).exists():
        raise Conflict(_("%(email)s is already a member of this clinic.") % {"email": email},
                       field="email")
    membership = Membership.objects.create(user=user, clinic_id=actor.clinic_id, role=role)
    audit_record(
        actor=actor,
        action="membership.create",
        object_type="membership",
        object_id=membership.pk,
        detail={"email": email, "role": role, "new_user": is_new_user},
    )
    if is_new_user:
        transaction.on_commit(
            lambda: _send_set_password_email(user=user, clinic=actor.clinic, base_url=base_url)
        )
    return membership


def _active_owner_count(clinic_id: int) -> int:
    return Membership.objects.filter(
        clinic_id=clinic_id, role=Role.OWNER, is_active=True
    ).count()


@transaction.atomic
def membership_update(
    *, actor: Actor, membership: Membership, role: Role, is_active: bool
) -> Membership:
    require_owner(actor.role)
    # Locked so that two owners demoting each other at once cannot leave the clinic with none.
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    losing_owner = locked.role == Role.OWNER and locked.is_active and (
        role != Role.OWNER or not is_active
    )
    if losing_owner and _active_owner_count(locked.clinic_id) <= 1:
        raise InvalidInput(_("A clinic needs at least one active owner."), field="role")
    before = {"role": locked.role, "is_active": locked.is_active}
    locked.role = role
    locked.is_active = is_active
    if not may_be_qualified(role):
        locked.qualification_verified = False
    locked.save(update_fields=["role", "is_active", "qualification_verified"])
    audit_record(
        actor=actor,
        action="membership.update",
        object_type="membership",
        object_id=locked.pk,
        detail={"before": before, "after": {"role": role, "is_active": is_active}},
    )
    return locked


@transaction.atomic
def qualification_set(
    *, actor: Actor, membership: Membership, verified: bool, certificate_reference: str
) -> Membership:
    """Record whether a clinician's mesotherapy qualification has been checked, by whom,
    when, and against which certificate."""
    require_owner(actor.role)
    # Locked: two owners verifying at once record one verification after the other.
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if verified and not may_be_qualified(locked.role):
        raise InvalidInput(_("Reception staff do not inject and hold no qualification."),
                           field="verified")
    if verified and not certificate_reference.strip():
        raise InvalidInput(_("Give the certificate's reference to verify a qualification."),
                           field="certificate_reference")
    locked.qualification_verified = verified
    locked.qualification_certificate = certificate_reference.strip()
    locked.qualification_verified_by = actor.user if verified else None
    locked.qualification_verified_at = clock.now() if verified else None
    locked.save()
    audit_record(
        actor=actor,
        action="membership.qualification",
        object_type="membership",
        object_id=locked.pk,
        detail={"verified": verified, "certificate_reference": locked.qualification_certificate},
    )
    return locked


@transaction.atomic
def api_token_issue(*, membership: Membership, ip: str | None = None) -> tuple[str, ApiToken]:
    """A new API token for the member (its key is shown once, kept as its hash), audited."""
    key = "mc_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        membership=membership,
        key_hash=key_hash(key),
        created_at=clock.now(),
        expires_at=clock.now() + settings.API_TOKEN_LIFETIME,
    )
    audit_record(actor=Actor(user=membership.user, membership=membership, ip=ip),
                 action="auth.token", object_type="api_token", object_id=token.pk)
    return key, token


def login_record(*, user: User, ip: str | None) -> None:
    """The log-in, in the trail (Django's login() has saved the session)."""
    audit_record(actor=None, action="auth.login", user=user, ip=ip)


# Second factor ---------------------------------------------------------------------------


def second_factor_key_new() -> str:
    """A key for an authenticator app, offered to the user before anything is saved."""
    from django_otp.util import random_hex

    return random_hex(20)


def second_factor_offer(*, user: User, key: str) -> Any:
    """The authenticator app the key describes, not saved: its QR code and secret."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice(user=user, key=key, name="authenticator", confirmed=False)


@transaction.atomic
def second_factor_enrol(*, user: User, key: str, token: str, ip: str | None) -> Any:
    """Save the authenticator app whose current code matches the key offered, confirmed,
    and audit it; answers None, and writes nothing, when the code does not match."""
    from django_otp.oath import TOTP

    device = second_factor_offer(user=user, key=key)
    code = token.strip().replace(" ", "")[:10]
    if not code.isdigit():
        return None
    check = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if not check.verify(int(code), device.tolerance):
        return None
    device.confirmed = True
    device.last_t = check.t()
    device.save()
    audit_record(actor=None, action="auth.second_factor_enrolled", user=user, ip=ip)
    return device


@transaction.atomic
def second_factor_verify(*, user: User, token: str) -> Any:
    """The user's confirmed authenticator app whose current code this is, or None. Checking
    a code writes the device's counters (its last code, its failures): one transaction, in
    which ``for_verify`` locks the devices' rows so that one code cannot be used twice."""
    from django_otp import devices_for_user

    code = token.strip().replace(" ", "")[:10]
    for device in devices_for_user(user, confirmed=True, for_verify=True):
        if device.verify_token(code):
            return device
    return None


def user_language_set(*, user: User, language: str) -> None:
    """The language the person reads mesoclinic in, whichever clinic they work in."""
    if language not in dict(settings.LANGUAGES):
        raise InvalidInput(_("Choose English or French."), field="language")
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
