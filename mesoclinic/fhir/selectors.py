"""The FHIR reads: each resource type's rows in the actor's clinic, who may read them, its
search parameters, and the patient's whole record for $everything. Another clinic's row is
not found; a role that may not read a type is refused; every read is audited."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from mesoclinic.aftercare.models import AdverseEvent
from mesoclinic.booking.models import Appointment, AppointmentKind
from mesoclinic.booking.selectors import appointment_type_of, free_times
from mesoclinic.consultation.models import AllergyTest, AllergyTestInjection, Consent, Photo
from mesoclinic.core import clock, moments
from mesoclinic.core.audit import audit_record
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import InvalidInput, NotFound
from mesoclinic.core.models import AuditEvent, Clinic, Membership
from mesoclinic.core.roles import CLINICAL_ROLES, require_clinician, require_owner
from mesoclinic.courses.models import Injection, Session, TreatmentPlan
from mesoclinic.fhir import resources as fhir
from mesoclinic.fhir.codes import OUR_SYSTEMS, ours
from mesoclinic.fhir.resources import Json, Render
from mesoclinic.inventory.models import Lot
from mesoclinic.outcomes.models import OutcomeMeasurement
from mesoclinic.patients import search_keys
from mesoclinic.patients.models import Patient

Access = Literal["desk", "clinical", "owner"]
DEFAULT_COUNT, MAX_COUNT = 50, 200
DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le")


@dataclass(frozen=True)
class Param:
    kind: Literal["reference", "date", "token", "string"]
    documentation: str
    apply: Callable[[QuerySet[Any], str, Actor], QuerySet[Any]]


@dataclass(frozen=True)
class Kind:
    """One resource type: its rows in a clinic, who reads it, and how."""

    name: str
    access: Access
    rows: Callable[[Actor], QuerySet[Any]]
    render: Callable[[Any, Render], Json]
    patient_of: Callable[[Any], int | None] = lambda row: getattr(row, "patient_id", None)
    params: dict[str, Param] = field(default_factory=dict)
    # _include: its name → the resources a page of rows refers to.
    includes: dict[str, Callable[[list[Any], Actor, Render], list[Json]]] = \
        field(default_factory=dict)
    order: tuple[str, ...] = ("id",)
    id_prefix: str = ""


# Parameter values ------------------------------------------------------------------------


def reference_id(value: str, kind: str) -> int:
    """ "Patient/12" or "12": the row id, or a clear error."""
    raw = value.removeprefix(f"{kind}/")
    if not raw.isdigit():
        raise InvalidInput(_("%(value)s is not a reference to a %(kind)s.")
                           % {"value": value, "kind": kind}, field=kind.lower())
    return int(raw)


def _instant(text: str, clinic: Clinic) -> tuple[datetime, datetime]:
    """A FHIR date or dateTime as the interval it names. A bare day is the clinic's day,
    from its local midnight to the next."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime.combine(day, time.min, clinic.zoneinfo)
            return start, datetime.combine(day + timedelta(days=1), time.min, clinic.zoneinfo)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidInput(_("%(value)s is not a date (write 2026-11-22 or "
                             "2026-11-22T09:30:00+01:00).") % {"value": text},
                           field="date") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clinic.zoneinfo)
    return moment, moment + timedelta(seconds=1)


def date_filter(column: str, *, is_day: bool = False) -> Callable[..., QuerySet[Any]]:
    """A date search on ``column``, with FHIR's prefixes (ge2026-11-01, lt2026-12-01)."""

    def apply(rows: QuerySet[Any], value: str, actor: Actor) -> QuerySet[Any]:
        prefix = value[:2] if value[:2] in DATE_PREFIXES else "eq"
        start, end = _instant(value[2:] if value[:2] in DATE_PREFIXES else value,
                              actor.clinic)
        low: Any = moments.local_day(start, actor.clinic) if is_day else start
        high: Any = (moments.local_day(end - timedelta(microseconds=1), actor.clinic)
                     + timedelta(days=1)) if is_day else end
        return {
            "eq": lambda: rows.filter(**{f"{column}__gte": low, f"{column}__lt": high}),
            "ne": lambda: rows.exclude(**{f"{column}__gte": low, f"{column}__lt": high}),
            "gt": lambda: rows.filter(**{f"{column}__gte": high}),
            "ge": lambda: rows.filter(**{f"{column}__gte": low}),
            "lt": lambda: rows.filter(**{f"{column}__lt": low}),
            "le": lambda: rows.filter(**{f"{column}__lt": high}),
        }[prefix]()

    return apply


def patient_filter(column: str = "patient_id") -> Param:
    return Param("reference", "The patient: Patient/{id}",
                 lambda rows, value, actor: rows.filter(**{column: reference_id(
                     value, "Patient")}))


def token_filter(column: str, mapping: dict[str, str], documentation: str) -> Param:
    """A status search in FHIR's words, mapped back to ours (several, comma-separated)."""
    ours_of: dict[str, list[str]] = {}
    for mine, theirs in mapping.items():
        ours_of.setdefault(theirs, []).append(mine)

    def apply(rows: QuerySet[Any], value: str, actor: Actor) -> QuerySet[Any]:
        wanted = [mine for code in value.split(",") for mine in ours_of.get(code.strip(), [])]
        return rows.filter(**{f"{column}__in": wanted})

    return Param("token", documentation + " (" + ", ".join(sorted(ours_of)) + ")", apply)


def _patient_name(rows: QuerySet[Any], value: str, actor: Actor) -> QuerySet[Any]:
    key = search_keys.name_key(value)
    return rows.filter(Q(last_key__startswith=key) | Q(first_key__startswith=key))


def _member_filter(column: str) -> Param:
    def apply(rows: QuerySet[Any], value: str, actor: Actor) -> QuerySet[Any]:
        member = Membership.objects.filter(
            pk=reference_id(value.replace("PractitionerRole/", "Practitioner/"),
                            "Practitioner"), clinic_id=actor.clinic_id).first()
        return rows.filter(**{column: member.user_id}) if member else rows.none()

    return Param("reference", "The practitioner: Practitioner/{id}", apply)


# Rows of each type -----------------------------------------------------------------


def _clinic_rows(model: Any, *related: str, prefetch: Iterable[Any] = ()
                 ) -> Callable[[Actor], QuerySet[Any]]:
    def rows(actor: Actor) -> QuerySet[Any]:
        found = model.objects.filter(clinic_id=actor.clinic_id)
        if related:
            found = found.select_related(*related)
        return found.prefetch_related(*prefetch)

    return rows


def _members(actor: Actor) -> QuerySet[Membership]:
    return Membership.objects.filter(clinic_id=actor.clinic_id).select_related("user")


def _clinics(actor: Actor) -> QuerySet[Clinic]:
    return Clinic.objects.filter(pk=actor.clinic_id)


_TEST_INJECTIONS = Prefetch("injections",
                            queryset=AllergyTestInjection.objects.select_related("product"))
_EVENT_LOTS = Prefetch("lots", queryset=Lot.objects.select_related("product"))
_EVENT_INJECTIONS = Prefetch("session__injections",
                             queryset=Injection.objects.filter(removed_at__isnull=True)
                             .order_by("id"))


def _suspects(event: AdverseEvent) -> list[Injection]:
    if event.session_id is None:
        return []
    lots = {lot.pk for lot in event.lots.all()}
    return [i for i in event.session.injections.all() if not lots or i.lot_id in lots]


def _include_patients(rows: list[Any], actor: Actor, render: Render) -> list[Json]:
    ids = {r.patient_id for r in rows}
    return [fhir.patient(p, render) for p in Patient.objects.filter(
        clinic_id=actor.clinic_id, pk__in=ids).order_by("id")]


def _include_practitioners(rows: list[Any], actor: Actor, render: Render) -> list[Json]:
    ids = {r.practitioner_id for r in rows}
    return [fhir.practitioner(m, render) for m in _members(actor).filter(user_id__in=ids)]


def _include_medications(rows: list[Any], actor: Actor, render: Render) -> list[Json]:
    ids = {r.lot_id for r in rows}
    return [fhir.medication(lot, render) for lot in
            Lot.objects.filter(clinic_id=actor.clinic_id, pk__in=ids).select_related("product")]



KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("Patient", "desk", lambda actor: Patient.objects.filter(clinic_id=actor.clinic_id),
         fhir.patient, patient_of=lambda row: row.pk, order=("last_key", "first_key", "id"),
         params={"name": Param("string", "The start of a first or last name", _patient_name),
                 "birthdate": Param("date", "The date of birth",
                                    date_filter("date_of_birth", is_day=True))}),
    Kind("Practitioner", "desk", _members, fhir.practitioner, patient_of=lambda row: None),
    Kind("PractitionerRole", "desk", _members, fhir.practitioner_role,
         patient_of=lambda row: None),
    Kind("Organization", "desk", _clinics, fhir.organization, patient_of=lambda row: None),
    Kind("Location", "desk", _clinics, fhir.location, patient_of=lambda row: None),
    Kind("Schedule", "desk",
         lambda actor: _members(actor).filter(role__in=CLINICAL_ROLES, is_active=True),
         fhir.schedule, patient_of=lambda row: None),
    Kind("Appointment", "desk", _clinic_rows(Appointment, "type"), fhir.appointment,
         order=("starts_at", "id"),
         params={"patient": patient_filter(),
                 "date": Param("date", "When it starts", date_filter("starts_at")),
                 "status": token_filter("status", fhir.APPOINTMENT_STATUS, "The status"),
                 "practitioner": _member_filter("practitioner_id")},
         includes={"Appointment:patient": _include_patients,
                   "Appointment:practitioner": _include_practitioners}),
    Kind("CarePlan", "clinical",
         _clinic_rows(TreatmentPlan, "indication", "technique",
                      prefetch=(Prefetch("sessions", queryset=Session.objects.order_by(
                          "scheduled_on", "id")),)),
         fhir.care_plan, order=("created_at", "id"),
         params={"patient": patient_filter(),
                 "status": token_filter("status", fhir.PLAN_STATUS, "The status"),
                 "date": Param("date", "When it was written", date_filter("created_at"))},
         includes={"CarePlan:patient": _include_patients}),
    Kind("Procedure", "clinical",
         _clinic_rows(Session, "plan__indication", "plan__technique", "technique",
                      prefetch=("plan__body_areas",)),
         fhir.procedure, order=("scheduled_on", "id"),
         params={"patient": patient_filter(),
                 "date": Param("date", "The day it is scheduled on",
                               date_filter("scheduled_on", is_day=True)),
                 "status": token_filter("status", fhir.PROCEDURE_STATUS, "The status")},
         includes={"Procedure:patient": _include_patients}),
    Kind("MedicationAdministration", "clinical",
         _clinic_rows(Injection, "session__plan", "lot", "product"),
         fhir.medication_administration, patient_of=lambda row: row.session.patient_id,
         order=("created_at", "id"),
         params={"patient": patient_filter("session__patient_id"),
                 "effective-time": Param("date", "When it was given",
                                         date_filter("created_at")),
                 "status": Param("token", "completed, or entered-in-error (removed)",
                                 lambda rows, value, actor: rows.filter(
                                     removed_at__isnull=value != "entered-in-error"))},
         includes={"MedicationAdministration:medication": _include_medications}),
    Kind("Medication", "clinical", _clinic_rows(Lot, "product"), fhir.medication,
         patient_of=lambda row: None,
         params={"lot-number": Param("token", "The lot number",
                                     lambda rows, value, actor: rows.filter(number=value))}),
    Kind("AllergyIntolerance", "clinical",
         _clinic_rows(AllergyTest, prefetch=(_TEST_INJECTIONS,)), fhir.allergy_intolerance,
         order=("given_at", "id"),
         params={"patient": patient_filter(),
                 "date": Param("date", "When the test was given", date_filter("given_at"))}),
    Kind("AdverseEvent", "clinical",
         _clinic_rows(AdverseEvent, "side_effect", "session",
                      prefetch=(_EVENT_LOTS, _EVENT_INJECTIONS)),
         lambda row, render: fhir.adverse_event(row, _suspects(row), render),
         order=("onset_at", "id"),
         params={"subject": patient_filter(), "patient": patient_filter(),
                 "date": Param("date", "When it began", date_filter("onset_at"))}),
    Kind("Consent", "clinical", _clinic_rows(Consent, "text"), fhir.consent,
         order=("signed_at", "id"),
         params={"patient": patient_filter(),
                 "date": Param("date", "When it was signed", date_filter("signed_at")),
                 "status": Param("token", "active or inactive (withdrawn)",
                                 lambda rows, value, actor: rows.filter(
                                     withdrawn_at__isnull=value != "inactive"))}),
    Kind("DocumentReference", "clinical", _clinic_rows(Consent, "text"),
         fhir.consent_document, order=("signed_at", "id"),
         params={"patient": patient_filter(),
                 "date": Param("date", "When it was signed", date_filter("signed_at"))}),
    Kind("Media", "clinical", _clinic_rows(Photo, "body_area"), fhir.media,
         order=("taken_at", "id"),
         params={"patient": patient_filter(),
                 "created": Param("date", "When it was taken", date_filter("taken_at"))}),
    Kind("AuditEvent", "owner",
         lambda actor: AuditEvent.objects.filter(clinic_id=actor.clinic_id),
         fhir.audit_event, order=("-at", "-id"),
         params={"patient": patient_filter(),
                 "date": Param("date", "When it happened", date_filter("at"))}),
)}

# Observation gathers two kinds of row: outcome measurements (m-12) and allergy test
# readings (allergy-3).
OBSERVATION_PARTS: dict[str, Kind] = {
    "m": Kind("Observation", "clinical", _clinic_rows(OutcomeMeasurement, "scale"),
              fhir.measurement_observation, order=("measured_on", "id"),
              params={"patient": patient_filter(),
                      "date": Param("date", "The day it was measured",
                                    date_filter("measured_on", is_day=True))}),
    "allergy": Kind("Observation", "clinical",
                    _clinic_rows(AllergyTest, prefetch=(_TEST_INJECTIONS,)),
                    fhir.allergy_observation, order=("given_at", "id"),
                    params={"patient": patient_filter(),
                            "date": Param("date", "When the test was given",
                                          date_filter("given_at"))}),
}
OBSERVATION_PARAMS = OBSERVATION_PARTS["m"].params
SEARCHABLE = sorted([*KINDS, "Observation", "Slot", "CodeSystem"])


def require_access(actor: Actor, access: Access) -> None:
    if access == "clinical":
        require_clinician(actor.role)
    elif access == "owner":
        require_owner(actor.role)


def render_for(actor: Actor, base: str) -> Render:
    members = dict(Membership.objects.filter(clinic_id=actor.clinic_id)
                   .values_list("user_id", "pk"))
    return Render(clinic=actor.clinic, base=base, members=members)


def access_kind(*, actor: Actor, name: str) -> Kind:
    kind = KINDS.get(name)
    if kind is None:
        raise NotFound(_("mesoclinic does not serve %(type)s resources.") % {"type": name})
    require_access(actor, kind.access)
    return kind


# Reads -------------------------------------------------------------------------------


def fhir_read(*, actor: Actor, name: str, resource_id: str, base: str) -> Json:
    """One resource of the actor's clinic, audited against its patient."""
    if name == "Observation":
        prefix, _sep, raw = resource_id.partition("-")
        kind = OBSERVATION_PARTS.get(prefix)
        if kind is None or not raw.isdigit():
            raise NotFound(_("No such Observation."))
        require_access(actor, kind.access)
    elif name == "CodeSystem":
        return code_system(resource_id)
    else:
        kind, raw = access_kind(actor=actor, name=name), resource_id
        if not raw.isdigit():
            raise NotFound(_("No such %(type)s.") % {"type": name})
    row = kind.rows(actor).filter(pk=int(raw)).first()
    if row is None:
        raise NotFound(_("No such %(type)s.") % {"type": name})
    audit_record(actor=actor, action="fhir.read", object_type=name, object_id=resource_id,
                 patient_id=kind.patient_of(row))
    return kind.render(row, render_for(actor, base))


@dataclass(frozen=True)
class SearchPage:
    matches: list[Json]
    included: list[Json]
    total: int
    offset: int
    count: int


def _count_and_offset(params: dict[str, list[str]]) -> tuple[int, int]:
    try:
        count = int(params.pop("_count", [str(DEFAULT_COUNT)])[0])
        offset = int(params.pop("_offset", ["0"])[0])
    except ValueError as error:
        raise InvalidInput(_("_count and _offset are whole numbers."), field="_count") \
            from error
    if count < 0 or offset < 0:
        raise InvalidInput(_("_count and _offset cannot be negative."), field="_count")
    return min(count, MAX_COUNT), offset


def _filtered(kind: Kind, actor: Actor, params: dict[str, list[str]]) -> QuerySet[Any]:
    rows = kind.rows(actor)
    for name, values in params.items():
        if name == "_id":
            ids = [v for value in values for v in value.split(",")]
            if not all(i.isdigit() for i in ids):
                return rows.none()
            rows = rows.filter(pk__in=[int(i) for i in ids])
            continue
        param = kind.params.get(name)
        if param is None:
            raise InvalidInput(_("%(type)s cannot be searched by %(name)s; it can by: "
                                 "%(known)s.") % {"type": kind.name, "name": name,
                                                   "known": ", ".join(["_id", *kind.params])},
                               field=name)
        for value in values:
            rows = param.apply(rows, value, actor)
    return rows.order_by(*kind.order)


def fhir_search(*, actor: Actor, name: str, params: dict[str, list[str]], base: str
                ) -> SearchPage:
    """A page of matches, the resources they include, and one audit event naming the
    patients shown."""
    params = {k: list(v) for k, v in params.items()}
    count, offset = _count_and_offset(params)
    includes = params.pop("_include", [])
    if name == "Observation":
        return _observation_search(actor=actor, params=params, base=base, count=count,
                                   offset=offset)
    kind = access_kind(actor=actor, name=name)
    for include in includes:
        if include not in kind.includes:
            raise InvalidInput(_("%(type)s can include: %(known)s.") % {
                "type": name, "known": ", ".join(kind.includes) or "—"}, field="_include")
    rows = _filtered(kind, actor, params)
    total = rows.count()
    page = list(rows[offset:offset + count])
    render = render_for(actor, base)
    included = [r for include in includes for r in kind.includes[include](page, actor, render)]
    _audit_search(actor, name, [kind.patient_of(r) for r in page], len(page))
    return SearchPage([kind.render(r, render) for r in page], included, total, offset, count)


def _observation_search(*, actor: Actor, params: dict[str, list[str]], base: str,
                        count: int, offset: int) -> SearchPage:
    require_clinician(actor.role)
    found: list[tuple[Any, Kind]] = []
    for kind in OBSERVATION_PARTS.values():
        found += [(row, kind) for row in _filtered(kind, actor, dict(params))]
    page = found[offset:offset + count]
    render = render_for(actor, base)
    _audit_search(actor, "Observation", [r.patient_id for r, _k in page], len(page))
    return SearchPage([kind.render(row, render) for row, kind in page], [], len(found),
                      offset, count)


def _audit_search(actor: Actor, name: str, patient_ids: list[int | None], shown: int) -> None:
    patients = sorted({p for p in patient_ids if p is not None})
    audit_record(actor=actor, action="fhir.search", object_type=name,
                 patient_id=patients[0] if len(patients) == 1 else None,
                 detail={"patients": patients, "shown": shown})


# Slots: free times, computed --------------------------------------------------------------


def fhir_slots(*, actor: Actor, params: dict[str, list[str]], base: str) -> SearchPage:
    """Free times of the clinic's practitioners, by the booking engine itself."""
    params = {k: list(v) for k, v in params.items()}
    count, offset = _count_and_offset(params)
    today = moments.today(actor.clinic)
    first, last = today, today + timedelta(days=6)
    kind_code = AppointmentKind.CONSULTATION
    members = list(_members(actor).filter(role__in=CLINICAL_ROLES, is_active=True))
    for name, values in params.items():
        for value in values:
            if name == "start":
                prefix = value[:2] if value[:2] in DATE_PREFIXES else "eq"
                day = moments.local_day(_instant(value.removeprefix(prefix), actor.clinic)[0],
                                        actor.clinic)
                if prefix == "eq":
                    first = last = day
                elif prefix in ("ge", "gt"):
                    first = day + timedelta(days=int(prefix == "gt"))
                    last = max(last, first + timedelta(days=6))
                elif prefix in ("le", "lt"):
                    last = day - timedelta(days=int(prefix == "lt"))
            elif name == "schedule":
                wanted = reference_id(value, "Schedule")
                members = [m for m in members if m.pk == wanted]
            elif name == "service-type":
                kind_code = value.rsplit("|", 1)[-1]
                if kind_code not in AppointmentKind.values:
                    raise InvalidInput(_("Unknown service type: %(code)s.")
                                       % {"code": kind_code}, field="service-type")
            else:
                raise InvalidInput(_("Slot can be searched by start, schedule and "
                                     "service-type."), field=name)
    if (last - first).days > 31:
        last = first + timedelta(days=31)
    appointment_type = appointment_type_of(clinic=actor.clinic, kind=kind_code)
    free = free_times(members=members, appointment_type=appointment_type, first=first,
                      last=last, not_before=clock.now()).get(actor.clinic_id, [])
    render = render_for(actor, base)
    page = free[offset:offset + count]
    return SearchPage([fhir.slot(f, appointment_type, render) for f in page], [], len(free),
                      offset, count)


# Code systems of our own -------------------------------------------------------------


def code_system(name: str) -> Json:
    from mesoclinic.catalog import selectors as catalogue
    from mesoclinic.courses import zones

    if name not in OUR_SYSTEMS:
        raise NotFound(_("No such CodeSystem."))
    title, description = OUR_SYSTEMS[name]
    concepts: list[tuple[str, str]] = []
    if name == "body-area":
        concepts = [(a.code, str(a.name)) for a in catalogue.body_areas()]
    elif name == "indication":
        concepts = [(i.code, str(i.name)) for i in catalogue.indications()]
    elif name == "technique":
        concepts = [(t.code, str(t.name)) for t in catalogue.techniques()]
    elif name == "side-effect":
        concepts = [(s.code, str(s.name)) for s in catalogue.side_effects()]
    elif name == "outcome-scale":
        concepts = [(s.code, str(s.name)) for s in catalogue.outcome_scales()]
    elif name == "chart-zone":
        concepts = [(f"{m.code}/{z.code}", f"{m.label}: {z.label}")
                    for m in zones.MAPS.values() for z in m.zones]
    return fhir.build({
        "resourceType": "CodeSystem", "id": name, "url": ours(name), "name": name.replace(
            "-", "_"), "title": title, "status": "active", "description": description,
        "content": "complete" if concepts else "not-present",
        "publisher": "mesoclinic",
        **({"concept": [{"code": c, "display": d} for c, d in concepts]} if concepts else {}),
    })


def code_systems() -> list[Json]:
    return [code_system(name) for name in OUR_SYSTEMS]


# Everything about one patient ----------------------------------------------------------------


def patient_everything(*, actor: Actor, patient_id: int, base: str) -> list[Json]:
    """The patient and every resource about them, with the practitioners, medications,
    clinic and place they refer to: what another system or the patient takes away. A
    constant number of statements whatever the record's length."""
    require_clinician(actor.role)
    patient = KINDS["Patient"].rows(actor).filter(pk=patient_id).first()
    if patient is None:
        raise NotFound(_("No such Patient."))
    audit_record(actor=actor, action="fhir.everything", object_type="Patient",
                 object_id=patient.pk, patient_id=patient.pk)
    return _everything(actor, patient, base)


@dataclass(frozen=True)
class ClinicReader:
    """The clinic reading its own rows for the patient's own export: no member reads it,
    the patient's request is the audited act."""

    clinic: Clinic
    role: str = "owner"

    @property
    def clinic_id(self) -> int:
        return self.clinic.pk


def everything_for_export(*, patient: Patient, base: str) -> list[Json]:
    """$everything for the patient's data export, built by the worker."""
    return _everything(ClinicReader(patient.clinic), patient, base)  # type: ignore[arg-type]


def _everything(actor: Actor, patient: Patient, base: str) -> list[Json]:
    render = render_for(actor, base)
    out: list[Json] = [fhir.patient(patient, render)]

    def of(name: str, column: str = "patient_id") -> list[Any]:
        kind = KINDS[name]
        return list(kind.rows(actor).filter(**{column: patient.pk}).order_by(*kind.order))

    plans = of("CarePlan")
    sessions = of("Procedure")
    injections = of("MedicationAdministration", "session__patient_id")
    tests = of("AllergyIntolerance")
    consents = of("Consent")
    events = of("AdverseEvent")
    lots = {i.lot_id: i.lot for i in injections}
    for event in events:
        lots.update({lot.pk: lot for lot in event.lots.all()})
    for lot in lots.values():
        lot.product = next((i.product for i in injections if i.lot_id == lot.pk),
                           None) or lot.product
    out += [fhir.appointment(a, render) for a in of("Appointment")]
    out += [fhir.care_plan(p, render) for p in plans]
    out += [fhir.procedure(s, render) for s in sessions]
    out += [fhir.medication(lot, render) for lot in sorted(lots.values(), key=lambda x: x.pk)]
    out += [fhir.medication_administration(i, render) for i in injections]
    out += [fhir.allergy_intolerance(t, render) for t in tests]
    out += [fhir.allergy_observation(t, render) for t in tests]
    out += [fhir.measurement_observation(m, render) for m in
            OBSERVATION_PARTS["m"].rows(actor).filter(patient_id=patient.pk)
            .order_by("measured_on", "id")]
    out += [fhir.adverse_event(e, _suspects(e), render) for e in events]
    out += [fhir.consent(c, render) for c in consents]
    out += [fhir.consent_document(c, render) for c in consents]
    out += [fhir.media(p, render) for p in of("Media")]
    out += [fhir.practitioner(m, render) for m in _members(actor).filter(
        pk__in=sorted(render.referred))]
    clinic = actor.clinic
    out += [fhir.organization(clinic, render), fhir.location(clinic, render)]
    return out


def fhir_binary(*, actor: Actor, binary_id: str) -> tuple[bytes, str]:
    """A photo or a signed consent's PDF, to clinical staff of the clinic, audited."""
    from mesoclinic.consultation.pdf import consent_pdf
    from mesoclinic.consultation.selectors import access_photo
    from mesoclinic.consultation.services import photo_storage

    kind, _sep, raw = binary_id.partition("-")
    if not raw.isdigit() or kind not in ("photo", "consent"):
        raise NotFound(_("No such Binary."))
    require_clinician(actor.role)
    if kind == "photo":
        photo = access_photo(actor=actor, photo_id=int(raw), original=True)
        with photo_storage().open(photo.stored_name, "rb") as stored:
            return stored.read(), photo.content_type
    consent = Consent.objects.filter(pk=int(raw), clinic_id=actor.clinic_id) \
        .select_related("text", "patient", "clinic").first()
    if consent is None:
        raise NotFound(_("No such Binary."))
    audit_record(actor=actor, action="consent.export", object_type="consent",
                 object_id=consent.pk, patient_id=consent.patient_id)
    return consent_pdf(consent), "application/pdf"

