"""Properties of the pure safety rules."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from mesoclinic.safety.rules import (
    CONTRAINDICATIONS,
    AllergyTestFact,
    ConsentFact,
    MedicationFact,
    Severity,
    Snapshot,
    evaluate,
)

PARIS = ZoneInfo("Europe/Paris")
moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31),
                       timezones=st.just(PARIS))
offsets = st.timedeltas(min_value=timedelta(days=-30), max_value=timedelta(days=30))
ALLERGY_CODES = {"allergy-test-missing", "allergy-test-unread", "allergy-test-positive"}


def cleared(at: datetime, **changes) -> Snapshot:
    """A snapshot that passes: adult, qualified practitioner, valid consent, negative test."""
    given = at - timedelta(days=3)
    values = dict(
        at=at,
        birth_date=date(1985, 2, 14),
        product_ids=frozenset({1, 2}),
        allergy_tests=(AllergyTestFact(given, "negative", given + timedelta(hours=30),
                                       frozenset({1, 2})),),
        consents=(ConsentFact("treatment", 2, at - timedelta(days=5), None),),
        current_treatment_consent_version=2,
        practitioner_qualified=True,
    )
    values.update(changes)
    return Snapshot(**values)


def codes(snapshot: Snapshot) -> set[str]:
    return {f.code for f in evaluate(snapshot)}


@given(at=moments)
def test_a_complete_file_passes(at):
    assert evaluate(cleared(at)) == []


@given(at=moments, dose_offset=st.integers(min_value=-20, max_value=5),
       drug=st.sampled_from(["aspirin", "nsaid"]))
def test_a_dose_recorded_as_a_day_blocks_until_7_full_days_after_that_day_ends(
        at, dose_offset, drug):
    last_dose = at.date() + timedelta(days=dose_offset)
    snapshot = cleared(at, medications=(MedicationFact(drug, last_dose),))
    findings = [f for f in evaluate(snapshot) if f.code == "nsaid-washout"]
    assert bool(findings) == (last_dose >= at.date() - timedelta(days=7))
    if findings:
        earliest = last_dose + timedelta(days=8)
        assert findings[0].severity == Severity.BLOCK
        assert f"{earliest.day} {earliest:%B %Y}, 00:00 (Europe/Paris)" in findings[0].message


@given(at=moments, dose_offset=st.integers(min_value=-20, max_value=0))
def test_other_medication_classes_never_start_a_washout(at, dose_offset):
    dose = at.date() + timedelta(days=dose_offset)
    snapshot = cleared(at, medications=(MedicationFact("steroid", dose),
                                        MedicationFact("other", dose)))
    assert "nsaid-washout" not in codes(snapshot)


@given(at=moments, read_delay=st.timedeltas(min_value=timedelta(hours=24),
                                           max_value=timedelta(days=20)),
       given_before=st.timedeltas(min_value=timedelta(hours=24), max_value=timedelta(days=60)))
def test_a_negative_test_read_24_hours_or_more_after_injection_clears_the_allergy_findings(
        at, read_delay, given_before):
    given_at = at - given_before - read_delay
    test = AllergyTestFact(given_at, "negative", given_at + read_delay, frozenset({1, 2}))
    assert not codes(cleared(at, allergy_tests=(test,))) & ALLERGY_CODES


@given(at=moments,
       age=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=23, minutes=59)))
def test_a_test_given_less_than_24_hours_ago_is_unread(at, age):
    test = AllergyTestFact(at - age, "pending", None, frozenset({1, 2}))
    assert "allergy-test-unread" in codes(cleared(at, allergy_tests=(test,)))


@given(at=moments)
def test_a_product_without_a_test_is_missing_and_a_reacting_test_blocks(at):
    given_at = at - timedelta(days=2)
    only_one = AllergyTestFact(given_at, "negative", given_at + timedelta(hours=25),
                               frozenset({1}))
    assert "allergy-test-missing" in codes(cleared(at, allergy_tests=(only_one,)))
    reacted = AllergyTestFact(given_at, "positive", given_at + timedelta(hours=25),
                              frozenset({1, 2}))
    assert "allergy-test-positive" in codes(cleared(at, allergy_tests=(reacted,)))


@given(at=moments, signed=offsets, withdrawn=offsets)
def test_a_withdrawn_consent_is_never_valid(at, signed, withdrawn):
    signed_at = at + signed - timedelta(days=31)
    withdrawn_at = signed_at + abs(withdrawn)
    consent = ConsentFact("treatment", 2, signed_at, withdrawn_at)
    valid_before_withdrawal = withdrawn_at > at
    assert ("consent-missing" not in codes(cleared(at, consents=(consent,)))) == \
        valid_before_withdrawal


@given(at=moments, version=st.integers(min_value=1, max_value=5))
def test_only_a_consent_to_the_current_text_counts(at, version):
    consent = ConsentFact("treatment", version, at - timedelta(days=1), None)
    snapshot = cleared(at, consents=(consent,), current_treatment_consent_version=3)
    assert ("consent-missing" in codes(snapshot)) == (version != 3)


@given(at=moments, years=st.integers(min_value=10, max_value=30))
def test_under_18_blocks_and_adults_pass(at, years):
    try:
        born = at.date().replace(year=at.year - years)
    except ValueError:  # 29 February
        born = at.date().replace(year=at.year - years, day=28)
    findings = {f.code: f for f in evaluate(cleared(at, birth_date=born))}
    assert ("contraindication:under-18" in findings) == (years < 18)


@given(at=moments, name=st.sampled_from(sorted(CONTRAINDICATIONS)))
def test_absolute_contraindications_block_and_relative_ones_warn(at, name):
    findings = {f.code: f for f in evaluate(cleared(at, conditions=frozenset({name})))}
    code = f"contraindication:{name}"
    if name == "under-18" or name == "anticoagulants":
        return  # derived from age and medication, not asked as a condition
    expected = Severity.BLOCK if CONTRAINDICATIONS[name].absolute else Severity.WARN
    assert findings[code].severity == expected


def test_an_anticoagulant_on_the_medication_list_blocks():
    at = datetime(2026, 11, 21, 10, tzinfo=UTC)
    snapshot = cleared(at, medications=(MedicationFact("anticoagulant", None, "apixaban"),))
    assert "contraindication:anticoagulants" in codes(snapshot)


def test_an_unverified_practitioner_blocks():
    at = datetime(2026, 11, 21, 10, tzinfo=UTC)
    assert "practitioner-not-qualified" in codes(cleared(at, practitioner_qualified=False))


@given(at=moments)
def test_every_finding_names_its_source_and_blocks_come_first(at):
    snapshot = Snapshot(at=at, birth_date=date(2015, 1, 1), intake_on_record=False,
                        medications=(MedicationFact("aspirin", at.date()),))
    findings = evaluate(snapshot)
    assert all(f.source for f in findings)
    severities = [f.severity for f in findings]
    assert severities == sorted(severities, key=lambda s: s != Severity.BLOCK)


# Course, lot and depth rules -------------------------------------------------------------

from mesoclinic.safety.rules import CourseFact, LotFact  # noqa: E402


@given(at=moments, gap=st.integers(0, 40), improved=st.booleans())
def test_interval_findings_follow_the_days_since_the_last_session(at, gap, improved):
    course = CourseFact(planned_sessions=10, sessions_done=3,
                        last_session_on=at.date() - timedelta(days=gap),
                        improvement_recorded=improved)
    found = codes(cleared(at, course=course))
    assert ("interval-too-short" in found) == (gap < 7)
    assert ("interval-long" in found) == (gap > 10 and not improved)


@given(at=moments, planned=st.integers(3, 20), done=st.integers(0, 20))
def test_the_course_never_exceeds_its_planned_count_or_15(at, planned, done):
    course = CourseFact(planned_sessions=planned, sessions_done=done,
                        last_session_on=None, improvement_recorded=False)
    assert ("course-max-sessions" in codes(cleared(at, course=course))) == (
        done + 1 > min(planned, 15))


@given(at=moments, days_left=st.integers(-30, 30), recalled=st.booleans())
def test_lot_rules(at, days_left, recalled):
    lot = LotFact("A123", at.date() + timedelta(days=days_left), recalled)
    found = codes(cleared(at, lots=(lot,)))
    assert ("lot-expired" in found) == (days_left < 0)
    assert ("lot-recalled" in found) == recalled


@given(at=moments, depth=st.floats(0, 8, allow_nan=False))
def test_depth_outside_the_technique_range_warns(at, depth):
    findings = {f.code: f for f in evaluate(cleared(at, depths_mm=(depth,),
                                                    depth_range_mm=(1.0, 4.0)))}
    assert ("depth-out-of-range" in findings) == (not 1.0 <= depth <= 4.0)
    if "depth-out-of-range" in findings:
        assert findings["depth-out-of-range"].severity == Severity.WARN
