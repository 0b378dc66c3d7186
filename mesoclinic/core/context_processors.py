from typing import Any

from django.http import HttpRequest

from mesoclinic.core.roles import handles_money, manages_clinic, sees_medical_details

# The owners' pages grouped under "Clinic" in the navigation.
CLINIC_PAGES = ("clinic_settings", "member_list", "member_detail", "availability",
                "clinic_aftercare", "consent_texts", "audit_trail")
# The desk's money pages grouped under "Billing".
BILLING_PAGES = ("cash_up", "revenue", "price_list", "billing_policy", "invoice_detail")


def clinic_context(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    return {
        "membership": membership,
        "current_clinic": membership.clinic if membership else None,
        "is_owner": bool(membership and manages_clinic(membership.role)),
        "sees_medical": bool(membership and sees_medical_details(membership.role)),
        "handles_money": bool(membership and handles_money(membership.role)),
        "clinic_pages": CLINIC_PAGES,
        "billing_pages": BILLING_PAGES,
    }
