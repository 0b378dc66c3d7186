from typing import Any

from django.http import HttpRequest

from mesoclinic.core.roles import manages_clinic, sees_medical_details


def clinic_context(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    return {
        "membership": membership,
        "current_clinic": membership.clinic if membership else None,
        "is_owner": bool(membership and manages_clinic(membership.role)),
        "sees_medical": bool(membership and sees_medical_details(membership.role)),
    }
