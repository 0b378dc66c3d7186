"""How long a clinic keeps a patient's medical record after the last care: by country, as
the law there says, unless the clinic sets its own (a longer period, usually). France:
20 years (Code de la santé publique, R.1112-7); the United Kingdom: 8 years for adults
(the NHS records management code). Elsewhere, the longer of the two."""

from __future__ import annotations

RETENTION_YEARS_BY_COUNTRY: dict[str, int] = {"FR": 20, "GB": 8}
DEFAULT_RETENTION_YEARS = 20


def retention_years(*, country: str, own: int | None) -> int:
    return own or RETENTION_YEARS_BY_COUNTRY.get(country.upper(), DEFAULT_RETENTION_YEARS)
