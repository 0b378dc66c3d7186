"""Turning submitted HTML forms into the input schemas the services take."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

MEDICATION_ROWS = 5


def intake_form_data(post: QueryDict) -> dict[str, Any]:
    medications = []
    for row in range(MEDICATION_ROWS):
        name = post.get(f"med_name_{row}", "").strip()
        drug_class = post.get(f"med_class_{row}", "")
        last_dose = post.get(f"med_last_{row}", "").strip()
        at = post.get(f"med_time_{row}", "").strip()
        if last_dose and at:
            last_dose = f"{last_dose}T{at}"
        if name or drug_class or last_dose:
            medications.append({"name": name, "drug_class": drug_class or "other",
                                "last_dose": last_dose or None})
    return {
        "conditions": post.getlist("conditions"),
        "condition_details": post.get("condition_details", ""),
        "medications": medications,
        "allergies": post.get("allergies", ""),
    }


def medication_rows(values: dict[str, Any] | None) -> list[dict[str, Any]]:
    given = list((values or {}).get("medications", []))
    rows = []
    for i in range(MEDICATION_ROWS):
        row = {"index": i, **(given[i] if i < len(given) else {})}
        day, _, at = str(row.get("last_dose") or "").partition("T")
        rows.append({**row, "last_day": day, "last_time": at[:5]})
    return rows
