"""Limits on what one address or one account may try: public endpoints answer 429 with
Retry-After; failed log-ins lock an account whatever the address; idle tokens stop."""


import pytest
from django.urls import reverse

from tests.factories import PASSWORD
from tests.openapi import assert_matches_schema


@pytest.fixture
def limits(settings, clock):
    """Limits on, and the clock held still: no window ends in the middle of a test."""
    settings.RATE_LIMITS_ENABLED = True


def test_the_public_search_answers_429_with_retry_after_past_its_limit(client, limits,
                                                                       personas, catalogue):
    answers = [client.get("/api/v1/public/search", {"place": "Lyon"}).status_code
               for _ in range(121)]
    assert answers[:120] == [200] * 120
    assert answers[120] == 429
    refused = client.get("/api/v1/public/search", {"place": "Lyon"})
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["code"] == "rate-limited"
    assert_matches_schema(refused, "/api/v1/public/search", "get")
    other = client.get("/api/v1/public/search", {"place": "Lyon"}, REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 200  # another address has its own count


def test_booking_and_token_endpoints_are_limited_per_address(client, limits, personas):
    for _ in range(20):
        client.post("/api/v1/auth/token", {"email": "nobody@example.com", "password": "x"},
                    content_type="application/json", REMOTE_ADDR="203.0.113.50")
    refused = client.post("/api/v1/auth/token", {"email": "nobody@example.com",
                                                 "password": "x"},
                          content_type="application/json", REMOTE_ADDR="203.0.113.50")
    assert refused.status_code == 429 and "Retry-After" in refused
    for _ in range(20):
        client.post("/clinics/no-such-clinic/book/", {}, REMOTE_ADDR="203.0.113.51")
    assert client.post("/clinics/no-such-clinic/book/", {},
                       REMOTE_ADDR="203.0.113.51").status_code == 429


def test_patient_links_are_limited_too(client, limits, db):
    for _ in range(60):
        client.get("/p/guess-a-key/", REMOTE_ADDR="203.0.113.52")
    assert client.get("/p/guess-a-key/", REMOTE_ADDR="203.0.113.52").status_code == 429


def test_failures_from_many_addresses_lock_the_account(client, personas, settings):
    email = personas.practitioner.user.email
    for number in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"email": email, "password": "wrong"},
                    REMOTE_ADDR=f"198.51.100.{number + 10}")
    # The right password, from yet another address: the account is locked.
    locked = client.post(reverse("login"), {"email": email, "password": PASSWORD},
                         REMOTE_ADDR="198.51.100.99")
    assert locked.status_code in (403, 429)
    assert "_auth_user_id" not in client.session


def test_an_api_token_unused_for_its_idle_time_stops_working(client, personas, api_headers,
                                                            clock, settings):
    headers = api_headers(personas.practitioner)
    assert client.get("/api/v1/me", **headers).status_code == 200
    clock.advance(minutes=29)
    assert client.get("/api/v1/me", **headers).status_code == 200  # use keeps it alive
    clock.advance(minutes=29)
    assert client.get("/api/v1/me", **headers).status_code == 200
    clock.advance(minutes=31)
    assert client.get("/api/v1/me", **headers).status_code == 401
