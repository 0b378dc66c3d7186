"""What each role may do. One place, read by pages and API alike."""

from django.utils.translation import gettext as _

from mesoclinic.core.errors import Forbidden
from mesoclinic.core.models import Role

# Who treats patients: sees medical details, is booked, may hold the qualification.
CLINICAL_ROLES = frozenset({Role.OWNER, Role.PRACTITIONER, Role.NURSE})
# Who writes treatment plans and records a course's improvement.
PRESCRIBING_ROLES = frozenset({Role.OWNER, Role.PRACTITIONER})
# Who takes money, issues invoices and waives fees: the desk and the owners. Clinical staff
# see a patient's balance and package credits, and change nothing of them.
MONEY_ROLES = frozenset({Role.OWNER, Role.RECEPTION})


def sees_medical_details(role: str) -> bool:
    """Reception sees identity, contact and appointments, never medical details."""
    return role in CLINICAL_ROLES


def manages_clinic(role: str) -> bool:
    return role == Role.OWNER


def require_clinician(role: str) -> None:
    if not sees_medical_details(role):
        raise Forbidden(_("Only clinical staff can do this."))


def require_owner(role: str) -> None:
    if not manages_clinic(role):
        raise Forbidden(_("Only the clinic's owners can do this."))


def may_be_qualified(role: str) -> bool:
    """Roles that inject, and so hold a mesotherapy qualification."""
    return role in CLINICAL_ROLES


def may_prescribe(role: str) -> bool:
    return role in PRESCRIBING_ROLES


def handles_money(role: str) -> bool:
    return role in MONEY_ROLES


def require_money_handler(role: str) -> None:
    if not handles_money(role):
        raise Forbidden(_("Only reception and the clinic's owners handle payments."))
