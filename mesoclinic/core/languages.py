"""Which language a person reads. Staff read theirs, or their clinic's; a patient reads
theirs, or their clinic's, in everything sent or shown to them. Plain values in and out."""

from __future__ import annotations

from typing import Any

FRENCH_SPEAKING_COUNTRIES = frozenset({"FR", "BE", "CH", "LU", "MC"})


def language_of_country(country: str) -> str:
    """A new clinic's language, from its country, among those mesoclinic speaks."""
    return "fr" if country.upper() in FRENCH_SPEAKING_COUNTRIES else "en"


def staff_language(user: Any, clinic: Any) -> str:
    return getattr(user, "language", "") or clinic.language


def patient_language(patient: Any, clinic: Any = None) -> str:
    """The patient's language; ``clinic`` when the caller has it at hand already."""
    return patient.language or (clinic or patient.clinic).language
