"""Reads for clinics, memberships and the audit trail, and the ``access_*`` loaders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from mesoclinic.core import clock
from mesoclinic.core.audit import action_label, audit_record
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import Forbidden, NotFound
from mesoclinic.core.links import key_hash
from mesoclinic.core.models import ApiToken, AuditEvent, Clinic, Membership, User
from mesoclinic.core.roles import CLINICAL_ROLES, manages_clinic
from mesoclinic.core.rows import JoinedRows, one
from mesoclinic.patients.search_keys import name_key

Row = TypeVar("Row", bound=Model)


def clinic_row(rows: QuerySet[Row], *, actor: Actor, pk: int, missing: str,
               field: str | None = None, audit_action: str | None = None,
               object_type: str = "") -> Row:
    """The row with this id in the actor's clinic, or NotFound: another clinic's row is not
    found, never forbidden. With ``audit_action``, the opening is audited against the row's
    patient. Every ``access_*`` loader does this, after checking the role."""
    found = rows.filter(pk=pk, clinic_id=actor.clinic_id).first()
    if found is None:
        raise NotFound(missing, field=field)
    if audit_action:
        audit_record(actor=actor, action=audit_action, object_type=object_type,
                     object_id=found.pk, patient_id=getattr(found, "patient_id", None))
    return found


def database_answers() -> bool:
    """Whether the database answers a trivial query: what a health check asks."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return False
    return True


def has_second_factor(user: User) -> bool:
    from django_otp import user_has_device

    return user_has_device(user, confirmed=True)


def memberships_of(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("clinic", "user")
        .order_by("clinic__name")
    )


def membership_of(user: User, clinic_id: int) -> Membership | None:
    return memberships_of(user).filter(clinic_id=clinic_id).first()


def clinic_members(*, actor: Actor) -> QuerySet[Membership]:
    if not manages_clinic(actor.role):
        raise Forbidden(_("Only the clinic's owners can do this."))
    return (
        Membership.objects.filter(clinic_id=actor.clinic_id)
        .select_related("user", "qualification_verified_by")
        .order_by("-is_active", "user__full_name")
    )


def clinic_member(*, clinic_id: int, user_id: int | str | None) -> Membership | None:
    """The clinic's active member with this user id, with the clinic and the user, or
    None: the one way to find who is booked, who prescribed, who treats."""
    try:
        wanted = int(user_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return one(Membership.objects.select_related("clinic", "user").filter(
        clinic_id=clinic_id, user_id=wanted, is_active=True))


def clinicians(*, clinic_id: int) -> list[Membership]:
    """The clinic's active clinical staff, with their users, by name."""
    return list(Membership.objects.select_related("user").filter(
        clinic_id=clinic_id, is_active=True, role__in=CLINICAL_ROLES)
        .order_by("user__full_name"))


def access_membership(*, actor: Actor, membership_id: int) -> Membership:
    """A membership of the actor's clinic, for its owners; another clinic's is not found."""
    membership = clinic_row(
        Membership.objects.select_related("user", "clinic", "qualification_verified_by"),
        actor=actor, pk=membership_id, missing=_("No such member."))
    if not manages_clinic(actor.role):
        raise Forbidden(_("Only the clinic's owners can do this."))
    return membership


# How stale a token's "last used" may grow before a request writes it again: one write a
# minute per token at most, not one per request.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


# Every API request runs this one query: written out, see core.rows.
_TOKEN_ROWS = JoinedRows((ApiToken, "t"), (Membership, "m"), (User, "u"), (Clinic, "c"))


def membership_for_token(key: str) -> Membership | None:
    """The membership behind a live token: not expired, and used within API_TOKEN_IDLE."""
    now = clock.now()
    found = _TOKEN_ROWS.fetch(
        "FROM core_apitoken t JOIN core_membership m ON m.id = t.membership_id "
        "JOIN core_user u ON u.id = m.user_id JOIN core_clinic c ON c.id = m.clinic_id "
        "WHERE t.key_hash = %s AND t.expires_at > %s",
        [key_hash(key), connection.ops.adapt_datetimefield_value(now)])
    if not found:
        return None
    token, membership, user, clinic = found[0]
    membership.user, membership.clinic, token.membership = user, clinic, membership
    last_used = token.last_used_at or token.created_at
    if last_used + settings.API_TOKEN_IDLE < now:
        return None
    if now - last_used > TOKEN_USE_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    if not (membership.is_active and membership.user.is_active):
        return None
    return membership


@dataclass(frozen=True)
class AuditFilter:
    date_from: date | None = None
    date_to: date | None = None
    user_id: int | None = None
    patient_id: int | None = None
    # A name typed instead of a record number: each word starts a first or last name.
    patient_name: str = ""
    action: str | None = None


def audit_events(*, actor: Actor, filters: AuditFilter) -> QuerySet[AuditEvent]:
    """The actor's clinic's trail, newest first, filtered by period (in the clinic's time
    zone), user, patient and action. Owners only."""
    if not manages_clinic(actor.role):
        raise Forbidden(_("Only the clinic's owners can read the audit trail."))
    events = AuditEvent.objects.filter(clinic_id=actor.clinic_id).select_related(
        "actor", "patient"
    )
    tz = actor.clinic.zoneinfo
    if filters.date_from:
        events = events.filter(at__gte=datetime.combine(filters.date_from, time.min, tz))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, tz)
        events = events.filter(at__lt=end)
    if filters.user_id:
        events = events.filter(actor_id=filters.user_id)
    if filters.patient_id:
        events = events.filter(patient_id=filters.patient_id)
    for word in filters.patient_name.split()[:4]:
        key = name_key(word)
        events = events.filter(Q(patient__last_key__startswith=key)
                               | Q(patient__first_key__startswith=key))
    if filters.action:
        events = events.filter(action=filters.action)
    return events.order_by("-at", "-sequence")


def audit_actions(*, actor: Actor) -> list[tuple[str, str]]:
    """The actions the clinic's trail holds, once each (the model's ordering would make
    DISTINCT see one row a event), as (code, words), by their words."""
    codes = (AuditEvent.objects.filter(clinic_id=actor.clinic_id).order_by()
             .values_list("action", flat=True).distinct())
    return sorted(((code, action_label(code)) for code in codes), key=lambda a: a[1])
