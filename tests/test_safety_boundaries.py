"""Each rule on both sides of its boundary, in the clinic's zones, across clock changes."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given
from hypothesis import strategies as st

from mesoclinic.safety.rules import (
    AllergyTestFact,
    CourseFact,
    MedicationFact,
    evaluate,
)
from tests.test_safety_rules import cleared

ZONES = st.sampled_from([ZoneInfo("Europe/Paris"), ZoneInfo("America/Los_Angeles"),
                         ZoneInfo("Pacific/Auckland")])
MINUTE = timedelta(minutes=1)


@st.composite
def clinic_moments(draw):
    zone = draw(ZONES)
    naive = draw(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2029, 12, 31)))
    # Through UTC, so that the moment exists (none falls in the hour skipped in spring).
    return naive.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).replace(second=0,
                                                                         microsecond=0)


def codes_at(at: datetime, **facts) -> set[str]:
    return {f.code for f in evaluate(cleared(at, **facts))}


@given(at=clinic_moments())
def test_an_allergy_test_is_unread_at_23_59_and_readable_at_24_hours(at):
    for age, unread in ((timedelta(hours=24) - MINUTE, True), (timedelta(hours=24), False)):
        given_at = at - age
        test = AllergyTestFact(given_at, "negative", at, frozenset({1, 2}))
        assert ("allergy-test-unread" in codes_at(at, allergy_tests=(test,))) == unread


@given(at=clinic_moments(), drug=st.sampled_from(["aspirin", "nsaid"]))
def test_a_timed_dose_blocks_for_6_days_23_59_and_clears_at_7_days(at, drug):
    for elapsed, blocked in ((timedelta(days=7) - MINUTE, True), (timedelta(days=7), False)):
        # Seven days on the clinic's wall clock; a wall time that the clocks skip or repeat
        # names no single moment, so it is left to the day-only tests.
        dose = (at.replace(tzinfo=None) - elapsed).replace(tzinfo=at.tzinfo)
        assume(dose.astimezone(UTC).astimezone(at.tzinfo).replace(fold=0) ==
               dose.replace(fold=0) and dose.replace(fold=1).utcoffset() == dose.utcoffset())
        found = codes_at(at, medications=(MedicationFact(drug, dose),))
        assert ("nsaid-washout" in found) == blocked


@given(at=clinic_moments(), drug=st.sampled_from(["aspirin", "nsaid"]))
def test_a_dose_with_no_date_is_current_use_and_asks_for_the_date(at, drug):
    findings = [f for f in evaluate(cleared(at, medications=(MedicationFact(drug, None),)))
                if f.code == "nsaid-washout"]
    assert findings and findings[0].params["missing"] == "last_dose"
    assert "record the date" in findings[0].message


@given(at=clinic_moments())
def test_a_dose_on_a_day_blocks_until_7_full_days_after_its_end(at):
    day = at.date()
    for dose_day, blocked in ((day - timedelta(days=7), True), (day - timedelta(days=8), False)):
        assert ("nsaid-washout" in codes_at(
            at, medications=(MedicationFact("nsaid", dose_day),))) == blocked


@given(at=clinic_moments(), improved=st.booleans())
def test_interval_boundaries_at_6_7_10_and_11_days(at, improved):
    expected = {6: ({"interval-too-short"}), 7: set(), 10: set(),
                11: set() if improved else {"interval-long"}}
    for gap, wanted in expected.items():
        course = CourseFact(planned_sessions=10, sessions_done=3,
                            last_session_on=at.date() - timedelta(days=gap),
                            improvement_recorded=improved)
        found = codes_at(at, course=course) & {"interval-too-short", "interval-long"}
        assert found == wanted, gap


@given(at=clinic_moments(), planned=st.integers(15, 40))
def test_the_15th_session_passes_and_the_16th_is_refused_whatever_the_plan(at, planned):
    for done, blocked in ((14, False), (15, True)):
        course = CourseFact(planned_sessions=planned, sessions_done=done, last_session_on=None,
                            improvement_recorded=False)
        assert ("course-max-sessions" in codes_at(at, course=course)) == blocked


@given(at=clinic_moments())
def test_age_17_blocks_and_18_passes_on_the_session_day_in_clinic_time(at):
    day = at.date()
    assume((day.month, day.day) != (2, 29))
    eighteenth_birthday_today = day.replace(year=day.year - 18)
    assert "contraindication:under-18" not in codes_at(at, birth_date=eighteenth_birthday_today)
    assert "contraindication:under-18" in codes_at(
        at, birth_date=eighteenth_birthday_today + timedelta(days=1))


@given(at=clinic_moments(), depth=st.floats(0, 8, allow_nan=False))
def test_a_depth_inside_the_technique_but_outside_the_plan_warns(at, depth):
    found = codes_at(at, depths_mm=(depth,), depth_range_mm=(1.0, 4.0),
                     plan_depth_range_mm=(1.5, 2.5))
    assert ("depth-out-of-range" in found) == (not 1.5 <= depth <= 2.5)
