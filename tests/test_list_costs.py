"""Every clinic-wide list, page or API, runs the same number of statements however long
it grows (no query per row), pinned exactly."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import book_consultation, make_product_with_lot, open_clinic_for_booking

PAGES = ["/patients/", "/calendar/?view=week", "/clinic/members/", "/clinic/audit/",
         "/clinic/products/"]
ENDPOINTS = ["/api/v1/patients", "/api/v1/appointments", "/api/v1/products",
             "/api/v1/lots"]
# Pages: the session, the user, the second factor and the memberships come first (4 or 5
# statements); API answers: the token, the list, and for patient data its audit event.
EXPECTED = {"/patients/": 9, "/calendar/?view=week": 12, "/clinic/members/": 8,
            "/clinic/audit/": 11, "/clinic/products/": 12, "/api/v1/patients": 3,
            "/api/v1/appointments": 3, "/api/v1/products": 3, "/api/v1/lots": 2}


def _grow(personas, count: int) -> None:
    for index in range(count):
        book_consultation(clinic=personas.clinic, member=personas.practitioner,
                          days_ahead=1 + index % 3)
        make_product_with_lot(clinic=personas.clinic)


def _costs(client, headers) -> dict[str, int]:
    costs = {}
    for path in PAGES + ENDPOINTS:
        extra = headers if path.startswith("/api/") else {}
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, **extra)
        assert response.status_code == 200, path
        costs[path] = len(queries)
    return costs


@pytest.mark.usefixtures("catalogue")
def test_each_list_runs_the_same_statements_whatever_its_length(personas, client_as,
                                                                api_headers):
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    client = client_as(personas.owner)
    headers = api_headers(personas.owner)
    _grow(personas, 2)
    short = _costs(client, headers)
    _grow(personas, 4)
    long = _costs(client, headers)
    assert long == short, (short, long)
    assert short == EXPECTED
