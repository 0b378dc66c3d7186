"""The escalation rules for adverse events (pure)."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from mesoclinic.aftercare.escalation import EventFacts, escalation_reasons, is_open

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
EXPECTED = {"burning": 1, "itching": 48, "swelling": 120}


def event(effect="swelling", *, lasted: timedelta, resolved=False, severity="mild",
          seriousness="expected", serious=False, reviewed=False) -> EventFacts:
    onset = NOW - lasted
    return EventFacts(effect, seriousness, EXPECTED.get(effect), severity, serious, onset,
                      NOW if resolved else None, reviewed)


def test_the_examples_of_the_design_escalate_past_their_expected_course():
    assert escalation_reasons(event("swelling", lasted=timedelta(days=5, hours=1)), NOW) == [
        "longer-than-expected"]
    assert escalation_reasons(event("swelling", lasted=timedelta(days=4)), NOW) == []
    assert escalation_reasons(event("itching", lasted=timedelta(days=2, minutes=1)), NOW)
    assert escalation_reasons(event("burning", lasted=timedelta(minutes=61)), NOW)
    assert not escalation_reasons(event("burning", lasted=timedelta(minutes=20)), NOW)


def test_infection_allergy_and_nerve_symptoms_always_escalate():
    for effect in ("infection", "allergic-reaction", "nerve-symptoms"):
        facts = event(effect, lasted=timedelta(minutes=5), seriousness="serious")
        assert "serious" in escalation_reasons(facts, NOW)
        assert is_open(facts, NOW)


@given(hours=st.floats(0, 119.9), severity=st.sampled_from(["mild"]),
       resolved=st.booleans())
def test_a_mild_symptom_within_its_course_never_blocks(hours, severity, resolved):
    facts = event("swelling", lasted=timedelta(hours=hours), severity=severity,
                  resolved=resolved)
    assert not is_open(facts, NOW)


@given(hours=st.floats(0, 400), severity=st.sampled_from(["mild", "moderate", "severe"]),
       resolved=st.booleans(), serious=st.booleans())
def test_a_reviewed_event_never_blocks_and_an_unreviewed_one_blocks_exactly_by_the_rules(
        hours, severity, resolved, serious):
    facts = event("swelling", lasted=timedelta(hours=hours), severity=severity,
                  resolved=resolved, serious=serious)
    expected = serious or hours > 120 or (not resolved and severity != "mild")
    assert is_open(facts, NOW) == expected
    reviewed = EventFacts(**{**facts.__dict__, "reviewed": True})
    assert not is_open(reviewed, NOW)
