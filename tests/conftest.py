"""Personas for every test: the clinic's staff of each role, and an outsider who works at
another clinic. Pages and endpoints are tested for all of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from mesoclinic.catalog.services import catalogue_load
from mesoclinic.core.models import Clinic, Membership, Role
from mesoclinic.core.services import api_token_issue
from tests.factories import make_clinic, make_member, owner_membership


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        catalogue_load()


@pytest.fixture(scope="session", autouse=True)
def flush_lets_the_audit_trail_go():
    """Between transactional tests Django empties every table. The database refuses to
    delete audit events (a trigger); on SQLite the suite marks its own flush as
    maintenance, which `manage.py flush` elsewhere never does. PostgreSQL empties tables
    with TRUNCATE, which the row trigger does not see."""
    from django.core.management.commands import flush
    from django.db import connections

    original = flush.Command.handle

    def handle(self, **options):
        connection = connections[options.get("database") or "default"]
        if connection.vendor != "sqlite":
            return original(self, **options)
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO core_audit_maintenance (since) VALUES ('test flush')")
        try:
            return original(self, **options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM core_audit_maintenance")

    flush.Command.handle = handle
    yield
    flush.Command.handle = original


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Every test starts with no request counted against its address."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def audit_checkpoints(settings, tmp_path):
    """Each test's checkpoints in a file of its own, as each has a database of its own."""
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.jsonl"
    # Patients' data archives, likewise.
    settings.EXPORT_ROOT = tmp_path / "exports"


@pytest.fixture
def catalogue(db) -> None:
    """The catalogue, reloaded if a transactional (browser) test flushed the database."""
    from mesoclinic.catalog.models import CatalogueRelease

    if not CatalogueRelease.objects.exists():
        catalogue_load()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    # Argon2 at production cost takes ~100 ms a hash; tests that check hashing itself
    # restore it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Personas:
    clinic: Clinic
    owner: Membership
    practitioner: Membership
    nurse: Membership
    reception: Membership
    other_clinic: Clinic
    outsider: Membership  # a practitioner of the other clinic

    def of(self, role: str) -> Membership:
        return getattr(self, role)


@pytest.fixture
def personas(db) -> Personas:
    clinic = make_clinic(name="Clinique Bellecour", city="Lyon")
    other = make_clinic(name="Deansgate Skin Clinic", city="Manchester",
                        timezone_name="Europe/London")
    return Personas(
        clinic=clinic,
        owner=owner_membership(clinic),
        practitioner=make_member(clinic=clinic, role=Role.PRACTITIONER, qualified=True),
        nurse=make_member(clinic=clinic, role=Role.NURSE),
        reception=make_member(clinic=clinic, role=Role.RECEPTION),
        other_clinic=other,
        outsider=make_member(clinic=other, role=Role.PRACTITIONER, qualified=True),
    )


def login_as(client: Client, membership: Membership) -> Client:
    """Log in as this membership's user, working in its clinic, second factor done."""
    user = membership.user
    client.force_login(user)
    session = client.session
    session["clinic_id"] = membership.clinic_id
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def client_as(client: Client) -> Callable[[Membership], Client]:
    return lambda membership: login_as(client, membership)


class MovableClock:
    """Stands in for mesoclinic.core.clock.now: tests move time forward (24-hour reads)."""

    def __init__(self) -> None:
        from django.utils import timezone

        self.current = timezone.now()

    def now(self):
        return self.current

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.current += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> MovableClock:
    movable = MovableClock()
    monkeypatch.setattr("mesoclinic.core.clock.now", movable.now)
    return movable


@pytest.fixture
def database_tasks(settings):
    """Tasks go to the database backend, whatever the environment says: the worker runs them."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def run_worker(monkeypatch):
    """Run the real task worker once over the ready tasks, in this process.

    The worker calls close_old_connections() between tasks, which closes a connection that
    is not in autocommit mode — as the test's own transaction is — so that one call is made
    harmless here; the tasks themselves run exactly as under `manage.py db_worker`."""
    from django.core.management import call_command

    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections",
                        lambda: None)

    def run() -> None:
        call_command("db_worker", batch=True, no_startup_delay=True, interval=0, verbosity=0)

    return run


@pytest.fixture
def api_headers() -> Callable[[Membership], dict[str, str]]:
    def headers(membership: Membership) -> dict[str, str]:
        key, _token = api_token_issue(membership=membership)
        return {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    return headers
