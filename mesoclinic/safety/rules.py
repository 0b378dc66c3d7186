"""The pre-treatment safety rules: pure functions over a snapshot of the facts.

No Django and nothing of ours is imported here: the snapshot holds plain values, gathered by
``safety.selectors.safety_snapshot``. The same evaluation runs at booking, at session start
and in the API. Codes are stable: the UI, the API and the tests use them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

ALLERGY_READ_DELAY = timedelta(hours=24)
NSAID_WASHOUT_DAYS = 7
ISOTRETINOIN_WINDOW_DAYS = 365
ADULT_AGE = 18

SRC_BOOKING = "reference/booking-and-consultation.txt"
SRC_RISKS = "reference/procedure-and-risks.txt"
SRC_WHAT = "reference/what-is-mesotherapy.txt"
SRC_GUIDE = "reference/comprehensive-guide.txt"
SRC_DESIGN = "DESIGN.md (clinical convention; the reference texts are silent)"

Translate = Callable[[str], str]


class Severity(StrEnum):
    BLOCK = "block"
    WARN = "warn"


@dataclass(frozen=True)
class AllergyTestFact:
    given_at: datetime
    result: str  # pending | negative | positive | inconclusive
    read_at: datetime | None
    product_ids: frozenset[int]


@dataclass(frozen=True)
class MedicationFact:
    drug_class: str  # aspirin | nsaid | anticoagulant | isotretinoin | steroid | other
    # A moment (aware), a day only, or None: not known, so read as current use.
    last_dose: date | datetime | None
    name: str = ""


@dataclass(frozen=True)
class ConsentFact:
    kind: str
    version: int
    signed_at: datetime
    withdrawn_at: datetime | None


@dataclass(frozen=True)
class LotFact:
    number: str
    expiry: date
    recalled: bool


@dataclass(frozen=True)
class CourseFact:
    planned_sessions: int
    sessions_done: int
    last_session_on: date | None
    improvement_recorded: bool


@dataclass(frozen=True)
class Snapshot:
    at: datetime  # aware, in the clinic's time zone: every date rule judges its local day
    birth_date: date
    product_ids: frozenset[int] = frozenset()
    allergy_tests: tuple[AllergyTestFact, ...] = ()
    medications: tuple[MedicationFact, ...] = ()
    conditions: frozenset[str] = frozenset()
    consents: tuple[ConsentFact, ...] = ()
    current_treatment_consent_version: int | None = None
    practitioner_qualified: bool = False
    intake_on_record: bool = True
    course: CourseFact | None = None
    lots: tuple[LotFact, ...] = ()
    depths_mm: tuple[float, ...] = ()
    depth_range_mm: tuple[float, float] | None = None  # the technique's, from the catalogue
    plan_depth_range_mm: tuple[float, float] | None = None  # the plan's, when it sets one
    open_adverse_events: tuple[str, ...] = ()  # labels of events awaiting review


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    source: str
    params: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Contraindication:
    name: str
    absolute: bool
    label: str
    source: str


# Absolute ones block; relative ones warn. Keyed by the intake's condition codes.
CONTRAINDICATIONS: dict[str, Contraindication] = {
    c.name: c
    for c in (
        Contraindication("pregnancy", True, "pregnancy", SRC_DESIGN),
        Contraindication("breastfeeding", True, "breastfeeding", SRC_DESIGN),
        Contraindication("bleeding-disorder", True,
                         "anticoagulants or a bleeding disorder", SRC_RISKS),
        Contraindication("infection-at-site", True,
                         "active infection or skin disease at a treatment site", SRC_BOOKING),
        Contraindication("lidocaine-allergy", True, "allergy to lidocaine", SRC_GUIDE),
        Contraindication("component-allergy", True,
                         "allergy to a component of the products", SRC_GUIDE),
        Contraindication("cancer", True, "cancer", SRC_DESIGN),
        Contraindication("cardiovascular", True, "severe cardiovascular disease", SRC_DESIGN),
        Contraindication("diabetes", False, "diabetes", SRC_DESIGN),
        Contraindication("autoimmune", False, "autoimmune disease", SRC_DESIGN),
        Contraindication("renal-failure", False, "renal failure", SRC_DESIGN),
        Contraindication("gallstones", False, "gallstones", SRC_DESIGN),
        Contraindication("herpes-simplex", False, "herpes simplex", SRC_DESIGN),
        Contraindication("keloid", False, "keloid scarring", SRC_RISKS),
        Contraindication("isotretinoin", False, "isotretinoin in the last 12 months",
                         SRC_DESIGN),
        Contraindication("recent-peel-or-laser", False,
                         "a peel or laser in the last 6 weeks", SRC_DESIGN),
        Contraindication("under-18", True, "age under 18", SRC_DESIGN),
        Contraindication("anticoagulants", True, "anticoagulant medication", SRC_RISKS),
    )
}


def _identity(text: str) -> str:
    return text


def _plain_day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _plain_moment(value: datetime) -> str:
    return f"{value.day} {value:%B %Y, %H:%M} ({value.tzinfo})"


@dataclass(frozen=True)
class Wording:
    """How findings are written: the language, a moment (already in the clinic's zone) and a
    day. The default is plain English; ``safety.selectors`` passes the clinic's own, which
    writes moments the way every page and email does."""

    gettext: Translate = _identity
    moment: Callable[[datetime], str] = _plain_moment
    day: Callable[[date], str] = _plain_day


PLAIN = Wording()


def dose_moment(last_dose: date | datetime, zone: tzinfo) -> datetime:
    """When a dose counts as taken. A day without a time is read conservatively: as taken at
    the very end of that day in the clinic's zone."""
    if isinstance(last_dose, datetime):
        return last_dose.astimezone(zone)
    return datetime.combine(last_dose + timedelta(days=1), time(0), tzinfo=zone)


def last_dose_from_text(value: str | None, zone: tzinfo) -> date | datetime | None:
    """A last dose as the intake stores it (ISO): a day, or a moment; a moment without an
    offset is the clinic's wall clock."""
    if not value:
        return None
    if "T" not in value and " " not in value:
        return date.fromisoformat(value)
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def age_on(birth_date: date, day: date) -> int:
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


def allergy_findings(s: Snapshot, w: Wording = PLAIN) -> list[Finding]:
    """``allergy-test-missing``, ``-unread`` and ``-positive``, per planned product (or, with
    no product named, for the patient's tests as a whole)."""
    _ = w.gettext
    tests = [t for t in s.allergy_tests if t.given_at <= s.at]
    wanted = s.product_ids or frozenset({-1})
    findings: dict[str, Finding] = {}
    for product in sorted(wanted):
        covering = [t for t in tests if product == -1 or product in t.product_ids]
        if not covering:
            findings.setdefault("allergy-test-missing", Finding(
                "allergy-test-missing", Severity.BLOCK,
                _("No allergy test is on record for the planned products."), SRC_BOOKING))
            continue
        latest = max(covering, key=lambda t: t.given_at)
        readable_from = (latest.given_at + ALLERGY_READ_DELAY).astimezone(s.at.tzinfo)
        read = latest.read_at is not None and latest.read_at <= s.at
        if read and latest.result == "positive":
            findings["allergy-test-positive"] = Finding(
                "allergy-test-positive", Severity.BLOCK,
                _("The allergy test reacted: these products must not be injected."),
                SRC_BOOKING)
        elif not read or latest.result != "negative" or latest.read_at < readable_from:
            if latest.result == "inconclusive" and read:
                message = _("The allergy test was inconclusive: repeat it before treating.")
            else:
                message = _("The allergy test has not been read yet; it can be read from "
                            "%(when)s.") % {"when": w.moment(readable_from)}
            findings.setdefault("allergy-test-unread", Finding(
                "allergy-test-unread", Severity.BLOCK, message, SRC_BOOKING,
                {"readable_from": readable_from.isoformat()}))
    return list(findings.values())


NSAID_CLASSES = ("aspirin", "nsaid")


def nsaid_findings(s: Snapshot, w: Wording = PLAIN) -> list[Finding]:
    """Blocks a session at T unless 7 full days have passed since the last aspirin or other
    NSAID. A dose recorded without a date is current use: it blocks, and asks for the date."""
    _ = w.gettext
    taken = [m for m in s.medications if m.drug_class in NSAID_CLASSES]
    if not taken:
        return []
    undated = [m.name or m.drug_class for m in taken if m.last_dose is None]
    if undated:
        return [Finding(
            "nsaid-washout", Severity.BLOCK,
            _("%(names)s is recorded without a last dose, so it is taken as current use: "
              "record the date (and time) of the last dose. No session until 7 days after "
              "it.") % {"names": ", ".join(undated)},
            SRC_RISKS, {"missing": "last_dose"})]
    last, recorded = max((dose_moment(m.last_dose, s.at.tzinfo), m.last_dose)
                         for m in taken if m.last_dose)
    # Seven days on the clinic's wall clock: a change of clocks does not shorten it.
    earliest = last + timedelta(days=NSAID_WASHOUT_DAYS)
    if s.at >= earliest:
        return []
    return [Finding(
        "nsaid-washout", Severity.BLOCK,
        _("Aspirin or another NSAID was last taken %(last)s: no session before %(earliest)s "
          "(7 full days without them).") % {
            "last": _("at %(moment)s") % {"moment": w.moment(last)}
            if isinstance(recorded, datetime) else _("on %(day)s") % {"day": w.day(recorded)},
            "earliest": w.moment(earliest)},
        SRC_RISKS, {"last_dose": last.isoformat(), "earliest_at": earliest.isoformat(),
                    "earliest": earliest.date().isoformat()})]


def consent_findings(s: Snapshot, w: Wording = PLAIN) -> list[Finding]:
    _ = w.gettext
    valid = s.current_treatment_consent_version is not None and any(
        c.kind == "treatment"
        and c.version == s.current_treatment_consent_version
        and c.signed_at <= s.at
        and (c.withdrawn_at is None or c.withdrawn_at > s.at)
        for c in s.consents
    )
    if valid:
        return []
    return [Finding("consent-missing", Severity.BLOCK,
                    _("No signed, unwithdrawn treatment consent of the current version."),
                    SRC_DESIGN)]


def practitioner_findings(s: Snapshot, w: Wording = PLAIN) -> list[Finding]:
    _ = w.gettext
    if s.practitioner_qualified:
        return []
    return [Finding("practitioner-not-qualified", Severity.BLOCK,
                    _("The practitioner has no verified mesotherapy qualification."),
                    SRC_WHAT)]


def contraindication_findings(s: Snapshot, w: Wording = PLAIN) -> list[Finding]:
    _ = w.gettext
    names = set(s.conditions) & CONTRAINDICATIONS.keys()
    if age_on(s.birth_date, s.at.date()) < ADULT_AGE:
        names.add("under-18")
    for medication in s.medications:
        if medication.drug_class == "anticoagulant":
            names.add("anticoagulants")
        elif medication.drug_class == "isotretinoin" and (
            medication.last_dose is None
            or (s.at.date() - dose_moment(medication.last_dose, s.at.tzinfo).date()).days
            < ISOTRETINOIN_WINDOW_DAYS
        ):
            names.add("isotretinoin")
    findings = []
    for name in sorted(names):
        rule = CONTRAINDICATIONS[name]
        severity = Severity.BLOCK if rule.absolute else Severity.WARN
        kind = _("Absolute contraindication") if rule.absolute else _(
            "Relative contraindication")
        findings.append(Finding(f"contraindication:{name}", severity,
                                f"{kind}: {_(rule.label)}.", rule.source))
    return findings


def intake_findings(s: Snapshot, w: Wording = PLAIN) -> list[Finding]:
    _ = w.gettext
    if s.intake_on_record:
        return []
    return [Finding("contraindication:intake-missing", Severity.BLOCK,
                    _("No intake questionnaire on record: contraindications are unknown."),
                    SRC_BOOKING)]


MAX_SESSIONS = 15
MIN_INTERVAL_DAYS = 7
INITIAL_INTERVAL_MAX_DAYS = 10


def course_findings(s: Snapshot, w: Wording = PLAIN) -> list[Finding]:
    """``course-max-sessions``, ``interval-too-short`` and ``interval-long`` (warn)."""
    _ = w.gettext
    course = s.course
    if course is None:
        return []
    findings = []
    limit = min(course.planned_sessions, MAX_SESSIONS)
    if course.sessions_done + 1 > limit:
        findings.append(Finding(
            "course-max-sessions", Severity.BLOCK,
            _("This would be session %(n)d of a course planned for %(limit)d (15 at most).")
            % {"n": course.sessions_done + 1, "limit": limit}, SRC_RISKS))
    if course.last_session_on is not None:
        gap = (s.at.date() - course.last_session_on).days
        if gap < MIN_INTERVAL_DAYS:
            earliest = course.last_session_on + timedelta(days=MIN_INTERVAL_DAYS)
            findings.append(Finding(
                "interval-too-short", Severity.BLOCK,
                _("Only %(gap)d days since the last session: the next is possible from "
                  "%(earliest)s.") % {"gap": gap, "earliest": w.day(earliest)}, SRC_RISKS,
                {"earliest": earliest.isoformat()}))
        elif gap > INITIAL_INTERVAL_MAX_DAYS and not course.improvement_recorded:
            findings.append(Finding(
                "interval-long", Severity.WARN,
                _("%(gap)d days since the last session: at first, sessions are 7 to 10 days "
                  "apart.") % {"gap": gap}, SRC_RISKS))
    return findings


def lot_findings(s: Snapshot, w: Wording = PLAIN) -> list[Finding]:
    _ = w.gettext
    findings = []
    for lot in s.lots:
        if lot.recalled:
            findings.append(Finding("lot-recalled", Severity.BLOCK,
                                    _("Lot %(lot)s has been recalled and may not be injected.")
                                    % {"lot": lot.number}, SRC_DESIGN))
        if lot.expiry < s.at.date():
            findings.append(Finding("lot-expired", Severity.BLOCK,
                                    _("Lot %(lot)s expired on %(day)s.")
                                    % {"lot": lot.number, "day": w.day(lot.expiry)}, SRC_DESIGN))
    return findings


def depth_findings(s: Snapshot, w: Wording = PLAIN) -> list[Finding]:
    """Warns for a depth outside the technique's catalogue range, and outside the plan's
    where the plan sets a narrower one."""
    _ = w.gettext
    findings = []
    ranges = ((s.depth_range_mm, _("the technique's")), (s.plan_depth_range_mm, _("the plan's")))
    for depth_range, whose in ranges:
        if depth_range is None:
            continue
        low, high = depth_range
        outside = sorted({d for d in s.depths_mm if not low <= d <= high})
        if outside:
            findings.append(Finding(
                "depth-out-of-range", Severity.WARN,
                _("Depth %(depths)s mm is outside %(whose)s %(low)s–%(high)s mm.")
                % {"depths": ", ".join(f"{d:g}" for d in outside), "whose": whose,
                   "low": f"{low:g}", "high": f"{high:g}"}, SRC_RISKS,
                {"low": f"{low:g}", "high": f"{high:g}"}))
            break  # one warning: the widest range the depth leaves
    return findings


def adverse_event_findings(s: Snapshot, w: Wording = PLAIN) -> list[Finding]:
    _ = w.gettext
    if not s.open_adverse_events:
        return []
    return [Finding("adverse-event-open", Severity.BLOCK,
                    _("An adverse event awaits a practitioner's review: %(events)s.")
                    % {"events": ", ".join(s.open_adverse_events)}, SRC_GUIDE)]


RULES = (practitioner_findings, consent_findings, intake_findings, allergy_findings,
         nsaid_findings, contraindication_findings, course_findings, lot_findings,
         depth_findings, adverse_event_findings)


def evaluate(snapshot: Snapshot, wording: Wording = PLAIN) -> list[Finding]:
    """Every finding for this snapshot, blocks first."""
    findings = [finding for rule in RULES for finding in rule(snapshot, wording)]
    return sorted(findings, key=lambda f: (f.severity != Severity.BLOCK, f.code))


def blocks(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == Severity.BLOCK]
