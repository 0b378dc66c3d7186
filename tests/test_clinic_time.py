"""Every moment a person reads, and every day a rule judges, is the clinic's: clinics far
from UTC, just after local midnight and just before it, on the days clocks change."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from mesoclinic.booking.selectors import appointment_types
from mesoclinic.booking.services import appointment_book
from mesoclinic.consultation.schemas import AllergyTestIn
from mesoclinic.consultation.services import allergy_test_record
from mesoclinic.core import moments
from mesoclinic.core.errors import InvalidInput
from mesoclinic.outcomes.services import MeasurementIn, measurement_record
from mesoclinic.safety.selectors import patient_checklist
from tests.factories import (
    actor_for,
    give_allergy_test,
    make_patient,
    make_product_with_lot,
    open_clinic_for_booking,
)

ZONES = ["Europe/Paris", "America/Los_Angeles", "Pacific/Auckland"]
# A plain day, and the two days the clocks change, in 2027.
DAYS = {
    "Europe/Paris": [date(2027, 2, 10), date(2027, 3, 28), date(2027, 10, 31)],
    "America/Los_Angeles": [date(2027, 2, 10), date(2027, 3, 14), date(2027, 11, 7)],
    "Pacific/Auckland": [date(2027, 2, 10), date(2027, 9, 26), date(2027, 4, 4)],
}
MATRIX = [(zone, day, wall) for zone in ZONES for day in DAYS[zone]
          for wall in (time(0, 30), time(23, 30))]


pytestmark = pytest.mark.usefixtures("database_tasks")


@pytest.fixture
def clinic_at(personas, clock):
    """Put the clinic in a zone and the clock at a local wall time of a day."""
    def place(zone: str, day: date, wall: time) -> datetime:
        personas.clinic.timezone = zone
        personas.clinic.save()
        local = datetime.combine(day, wall, tzinfo=ZoneInfo(zone))
        clock.current = local.astimezone(UTC)
        return local
    return place


@pytest.mark.parametrize("zone,day,wall", MATRIX)
def test_a_measurement_dated_today_is_accepted_and_tomorrow_refused(
        personas, catalogue, clinic_at, zone, day, wall):
    local = clinic_at(zone, day, wall)
    patient = make_patient(clinic=personas.clinic)

    def measure(on: date):
        return measurement_record(actor=actor_for(personas.practitioner), patient=patient,
                                  data=MeasurementIn(scale="gais", value="1",
                                                     rated_by="practitioner", measured_on=on))

    assert measure(local.date()).measured_on == local.date()
    with pytest.raises(InvalidInput):
        measure(local.date() + timedelta(days=1))


@pytest.mark.parametrize("zone,day,wall", MATRIX)
def test_a_lot_is_judged_on_the_clinic_day(personas, clinic_at, zone, day, wall):
    local = clinic_at(zone, day, wall)
    patient = make_patient(clinic=personas.clinic)
    _p, expired = make_product_with_lot(clinic=personas.clinic,
                                        expiry=local.date() - timedelta(days=1))
    _q, last_day = make_product_with_lot(clinic=personas.clinic, expiry=local.date())
    with pytest.raises(InvalidInput) as refused:
        give_allergy_test(patient=patient, lots=[expired])
    assert refused.value.code == "lot-expired"
    assert give_allergy_test(patient=patient, lots=[last_day]).given_at == local


@pytest.mark.parametrize("zone,day,wall", MATRIX)
def test_the_allergy_reading_time_is_written_in_the_clinic_zone(
        personas, clinic_at, zone, day, wall):
    local = clinic_at(zone, day, wall)
    patient = make_patient(clinic=personas.clinic)
    product, lot = make_product_with_lot(clinic=personas.clinic)
    allergy_test_record(actor=actor_for(personas.practitioner), patient=patient,
                        data=AllergyTestIn(injections=[
                            {"product": product.pk, "lot": lot.pk, "site": "forearm"}] * 2))
    with translation.override("en"):
        checklist = patient_checklist(patient=patient, practitioner=personas.practitioner,
                                      at=local, product_ids=frozenset({product.pk}))
    unread = next(f.finding for f in checklist.findings
                  if f.finding.code == "allergy-test-unread")
    readable = local.astimezone(UTC) + timedelta(hours=24)
    text = moments.moment_text(readable, zone, name_zone=True)
    assert text in unread.message
    assert moments.moment_parse(text, zone) == readable


@pytest.mark.parametrize("zone,day,wall", MATRIX)
def test_the_confirmation_email_gives_the_local_hour(personas, catalogue, clinic_at,
                                                     run_worker, zone, day, wall):
    local = clinic_at(zone, day, wall)
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    patient = make_patient(clinic=personas.clinic, email="lou@example.com")
    consultation = next(t for t in appointment_types(clinic=personas.clinic)
                        if t.kind == "consultation")
    starts_at = datetime.combine(local.date() + timedelta(days=2), time(9, 0),
                                 tzinfo=ZoneInfo(zone))
    appointment_book(clinic=personas.clinic, membership=personas.practitioner,
                     appointment_type=consultation, starts_at=starts_at, patient=patient,
                     channel="staff")
    mail.outbox.clear()
    run_worker()
    body = mail.outbox[0].body
    assert f", 09:00 ({zone})" in body
    assert moments.moment_text(starts_at, zone, "long", name_zone=True) in body


instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31),
                        timezones=st.just(UTC))


@given(instant=instants, zone=st.sampled_from(ZONES),
       style=st.sampled_from(["datetime", "long"]), name_zone=st.booleans())
def test_every_displayed_time_parses_back_to_the_same_minute_in_that_zone(
        instant, zone, style, name_zone):
    minute = instant.replace(second=0, microsecond=0)
    with translation.override("en"):
        text = moments.moment_text(minute, zone, style, name_zone=name_zone)
    assert moments.moment_parse(text, zone, style) == minute


@pytest.mark.parametrize("zone,repeated", [
    ("Europe/Paris", datetime(2027, 10, 31, 0, 30, tzinfo=UTC)),
    ("America/Los_Angeles", datetime(2027, 11, 7, 8, 30, tzinfo=UTC)),
    ("Pacific/Auckland", datetime(2027, 4, 3, 13, 30, tzinfo=UTC)),
])
def test_the_hour_repeated_when_clocks_go_back_carries_its_offset(zone, repeated):
    first, second = repeated, repeated + timedelta(hours=1)
    with translation.override("en"):
        texts = [moments.moment_text(m, zone) for m in (first, second)]
    assert texts[0].split(" (")[0] == texts[1].split(" (")[0]  # the same wall time
    assert texts[0] != texts[1] and "UTC" in texts[0]
    assert [moments.moment_parse(t, zone) for t in texts] == [first, second]
