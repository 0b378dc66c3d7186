"""mesoclinic's records as FHIR R4 resources. Each function takes rows already read and
returns the resource as JSON; ``build`` validates every one with ``fhir.resources`` before
it leaves. Times are written in the clinic's zone, with its offset."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from mesoclinic.courses import zones
from mesoclinic.fhir import codes
from mesoclinic.fhir.codes import HL7, LOINC, SNOMED, UCUM, extension, ours

Json = dict[str, Any]
FHIR_VERSION = "4.0.1"


# The shapes (elements and value types, not values) already validated in this process.
_VALID_SHAPES: set[Any] = set()
_MAX_SHAPES = 5000


def _shape(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return tuple((k, _shape(v)) for k, v in value.items())
    if kind is list:
        # A list's items by their distinct shapes: three points or thirty are one shape.
        return ("[]", *dict.fromkeys(_shape(v) for v in value))
    return kind


def build(data: Json, *, every_value: bool = False) -> Json:
    """The resource, checked against its FHIR model: a resource that does not validate is
    a bug, and fails loudly here rather than in another system. Our values come from typed
    columns, so a shape that has validated once (the same elements, with values of the
    same types) is not validated again in this process: 200 injections of a record cost
    one validation, not 200. ``every_value`` validates regardless, as the tests do."""
    shape = None if every_value else (data["resourceType"], _shape(data))
    if shape is not None and shape in _VALID_SHAPES:
        return data
    kind = data["resourceType"]
    module = importlib.import_module(f"fhir.resources.R4B.{kind.lower()}")
    getattr(module, kind).model_validate(data)
    if shape is not None and len(_VALID_SHAPES) < _MAX_SHAPES:
        _VALID_SHAPES.add(shape)
    return data


@dataclass
class Render:
    """What every resource needs besides its row: the clinic (for times and references),
    the absolute base of the FHIR endpoint, and the member id of each user of the clinic."""

    clinic: Any
    base: str
    members: dict[int, int] = field(default_factory=dict)
    # The members the rendered resources refer to, for a bundle that must hold them.
    referred: set[int] = field(default_factory=set)

    def when(self, moment: datetime | None) -> str | None:
        if moment is None:
            return None
        return moment.astimezone(self.clinic.zoneinfo).isoformat(timespec="seconds")

    def practitioner(self, user_id: int | None) -> Json | None:
        member = self.members.get(user_id) if user_id else None
        if member is None:
            return None
        self.referred.add(member)
        return ref("Practitioner", member)


def ref(kind: str, pk: Any, display: str | None = None) -> Json:
    reference: Json = {"reference": f"{kind}/{pk}"}
    if display:
        reference["display"] = display
    return reference


def coding(system: str, code: str, display: Any = None) -> Json:
    found: Json = {"system": system, "code": code}
    if display:
        found["display"] = str(display)
    return found


def concept(*codings: Json | None, text: Any = None) -> Json:
    found: Json = {"coding": [c for c in codings if c]}
    if not found["coding"]:
        del found["coding"]
    if text:
        found["text"] = str(text)
    return found


def number(value: Decimal | float | int) -> float | int:
    """A FHIR decimal: JSON has no Decimal, and these amounts are short enough for a float
    to print exactly."""
    as_float = float(value)
    return int(as_float) if as_float.is_integer() and isinstance(value, int) else as_float


def quantity(value: Decimal | float, unit: str, code: str | None = None) -> Json:
    found: Json = {"value": number(value), "unit": unit}
    if code:
        found.update(system=UCUM, code=code)
    return found


def _clean(data: Json) -> Json:
    """Drop empty values: FHIR has no nulls and no empty lists."""
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


# The clinic and its people -------------------------------------------------------------


def organization(clinic: Any, render: Render) -> Json:
    return build(_clean({
        "resourceType": "Organization", "id": str(clinic.pk), "active": True,
        "identifier": [{"system": codes.identifier_system("clinic"), "value": clinic.slug}],
        "name": clinic.name,
        "telecom": [{"system": "phone", "value": clinic.phone}] if clinic.phone else [],
        "address": [_address(clinic)],
    }))


def _address(clinic: Any) -> Json:
    return _clean({"text": ", ".join(p for p in (clinic.address, clinic.city) if p),
                   "line": [clinic.address] if clinic.address else [], "city": clinic.city,
                   "country": clinic.country})


def location(clinic: Any, render: Render) -> Json:
    position = None
    if clinic.latitude is not None and clinic.longitude is not None:
        position = {"latitude": clinic.latitude, "longitude": clinic.longitude}
    return build(_clean({
        "resourceType": "Location", "id": str(clinic.pk), "status": "active",
        "name": clinic.name, "mode": "instance",
        "telecom": [{"system": "phone", "value": clinic.phone}] if clinic.phone else [],
        "address": _address(clinic), "position": position,
        "managingOrganization": ref("Organization", clinic.pk),
    }))


def practitioner(member: Any, render: Render) -> Json:
    user = member.user
    qualification = []
    if member.qualification_verified:
        qualification.append(_clean({
            "identifier": [{"system": codes.identifier_system("qualification"),
                            "value": member.qualification_certificate}]
            if member.qualification_certificate else [],
            "code": concept(coding(ours("qualification"), "mesotherapy",
                                   "Mesotherapy qualification, verified by the clinic")),
            "period": _clean({"start": render.when(member.qualification_verified_at)}),
            "issuer": ref("Organization", member.clinic_id),
        }))
    return build(_clean({
        "resourceType": "Practitioner", "id": str(member.pk), "active": member.is_active,
        "name": [{"text": user.full_name}],
        "telecom": [{"system": "email", "value": user.email}],
        "communication": [concept(coding("urn:ietf:bcp:47", user.language))]
        if user.language else [],
        "qualification": qualification,
    }))


def practitioner_role(member: Any, render: Render) -> Json:
    return build(_clean({
        "resourceType": "PractitionerRole", "id": str(member.pk), "active": member.is_active,
        "practitioner": ref("Practitioner", member.pk, member.user.full_name),
        "organization": ref("Organization", member.clinic_id),
        "location": [ref("Location", member.clinic_id)],
        "code": [concept(coding(ours("staff-role"), member.role, member.get_role_display()))],
        "specialty": [concept(coding(ours("qualification"), "mesotherapy",
                                     "Mesotherapy qualification, verified by the clinic"))]
        if member.qualification_verified else [],
    }))


# The patient -----------------------------------------------------------------------------

_GENDER = {"female": "female", "male": "male", "intersex": "other", "unknown": "unknown"}


def patient(row: Any, render: Render) -> Json:
    telecom = []
    if row.phone:
        telecom.append({"system": "phone", "value": row.phone})
    if row.email:
        telecom.append({"system": "email", "value": row.email})
    return build(_clean({
        "resourceType": "Patient", "id": str(row.pk),
        "meta": {"versionId": str(row.version), "lastUpdated": render.when(row.updated_at)},
        "identifier": [{"system": codes.identifier_system(f"patient/{render.clinic.slug}"),
                        "value": str(row.pk)}],
        "active": True,
        "name": [{"use": "official", "family": row.last_name, "given": [row.first_name],
                  "text": f"{row.first_name} {row.last_name}"}],
        "telecom": telecom, "gender": _GENDER.get(row.sex, "unknown"),
        "birthDate": row.date_of_birth.isoformat(),
        "address": [{"text": row.address}] if row.address else [],
        "communication": [{"language": concept(coding("urn:ietf:bcp:47", row.language)),
                           "preferred": True}] if row.language else [],
        "managingOrganization": ref("Organization", row.clinic_id),
    }))


# Scheduling ----------------------------------------------------------------------------

APPOINTMENT_STATUS = {"booked": "booked", "arrived": "arrived", "in_treatment": "checked-in",
                       "completed": "fulfilled", "no_show": "noshow",
                       "cancelled": "cancelled"}


def appointment(row: Any, render: Render) -> Json:
    participants = [{"actor": ref("Patient", row.patient_id), "required": "required",
                     "status": "accepted"}]
    performer = render.practitioner(row.practitioner_id)
    if performer:
        participants.append({"actor": performer, "required": "required",
                             "status": "accepted"})
    participants.append({"actor": ref("Location", row.clinic_id), "required": "required",
                         "status": "accepted"})
    return build(_clean({
        "resourceType": "Appointment", "id": str(row.pk),
        "status": APPOINTMENT_STATUS[row.status],
        "cancelationReason": concept(text=row.cancel_reason or row.get_cancelled_by_display())
        if row.status == "cancelled" else None,
        "serviceType": [concept(coding(ours("appointment-kind"), row.kind,
                                       row.get_kind_display()), text=row.type.name)],
        "description": str(row.type.name),
        "start": render.when(row.starts_at), "end": render.when(row.ends_at),
        "minutesDuration": int((row.ends_at - row.starts_at).total_seconds() // 60),
        "created": render.when(row.created_at), "participant": participants,
    }))


def schedule(member: Any, render: Render) -> Json:
    return build({
        "resourceType": "Schedule", "id": str(member.pk), "active": member.is_active,
        "actor": [ref("Practitioner", member.pk, member.user.full_name),
                  ref("Location", member.clinic_id)],
    })


def slot(free: Any, kind: Any, render: Render) -> Json:
    from datetime import timedelta

    ends = free.starts_at + timedelta(minutes=kind.duration_minutes)
    return build({
        "resourceType": "Slot",
        "id": f"{free.membership.pk}-{int(free.starts_at.timestamp())}",
        "schedule": ref("Schedule", free.membership.pk),
        "serviceType": [concept(coding(ours("appointment-kind"), kind.kind,
                                       kind.get_kind_display()), text=kind.name)],
        "status": "free", "start": render.when(free.starts_at), "end": render.when(ends),
    })


# The course ------------------------------------------------------------------------------


def _area(area: Any) -> Json:
    snomed = codes.BODY_AREA_SNOMED.get(area.code)
    return concept(coding(SNOMED, *snomed) if snomed else None,
                   coding(ours("body-area"), area.code, area.name), text=area.name)


def _zone(injection: Any) -> Json:
    snomed = codes.zone_snomed(injection.chart_map, injection.zone)
    label = zones.zone_label(injection.chart_map, injection.zone) if injection.zone else \
        zones.MAPS[injection.chart_map].label
    return concept(coding(SNOMED, *snomed) if snomed else None,
                   coding(ours("chart-zone"), f"{injection.chart_map}/{injection.zone}", label)
                   if injection.zone else None, text=label)


PLAN_STATUS = {"active": "active", "completed": "completed", "stopped": "revoked"}
_ACTIVITY_STATUS = {"planned": "scheduled", "in_progress": "in-progress",
                    "completed": "completed", "missed": "stopped", "cancelled": "cancelled"}
PROCEDURE_STATUS = {"planned": "preparation", "in_progress": "in-progress",
                     "completed": "completed", "missed": "not-done", "cancelled": "not-done"}


def care_plan(plan: Any, render: Render) -> Json:
    technique = concept(coding(ours("technique"), plan.technique.code, plan.technique.name))
    activities = []
    for session in plan.sessions.all():
        detail = _clean({
            "kind": "ServiceRequest", "code": technique,
            "status": _ACTIVITY_STATUS[session.status],
            "scheduledString": session.scheduled_on.isoformat(),
            "location": ref("Location", plan.clinic_id),
            "productCodeableConcept": concept(text=plan.protocol_label)
            if plan.protocol_label else None,
        })
        activity: Json = {"detail": detail}
        if session.started_at is not None:
            activity["outcomeReference"] = [ref("Procedure", session.pk)]
        activities.append(activity)
    depth = (f"{plan.depth_min_mm}–{plan.depth_max_mm} mm"
             if plan.depth_min_mm is not None and plan.depth_max_mm is not None else "")
    return build(_clean({
        "resourceType": "CarePlan", "id": str(plan.pk),
        "status": PLAN_STATUS[plan.status], "intent": "plan",
        "category": [concept(coding(ours("indication"), plan.indication.code,
                                    plan.indication.name))],
        "title": f"{plan.indication.name}: {plan.planned_sessions} × {plan.technique.name}",
        "description": "; ".join(p for p in (plan.protocol_label, depth) if p),
        "subject": ref("Patient", plan.patient_id),
        "period": {"start": render.when(plan.created_at)},
        "created": render.when(plan.created_at),
        "author": render.practitioner(plan.created_by_id),
        "activity": activities,
        "note": [{"text": plan.notes}] if plan.notes else [],
    }))


def procedure(session: Any, render: Render) -> Json:
    plan = session.plan
    technique = session.technique or plan.technique
    performed = None
    if session.started_at is not None:
        performed = _clean({"start": render.when(session.started_at),
                            "end": render.when(session.ended_at)})
    performer = render.practitioner(session.practitioner_id)
    return build(_clean({
        "resourceType": "Procedure", "id": str(session.pk),
        "extension": [{"url": codes.PROCEDURE_METHOD,
                       "valueCodeableConcept": concept(coding(
                           ours("technique"), technique.code, technique.name))}],
        "status": PROCEDURE_STATUS[session.status],
        "code": concept(coding(ours("procedure"), "mesotherapy-session",
                               "Mesotherapy session"), text="Mesotherapy"),
        "subject": ref("Patient", session.patient_id),
        "basedOn": [ref("CarePlan", plan.pk)],
        "performedPeriod": performed,
        "performer": [{"actor": performer}] if performer else [],
        "location": ref("Location", session.clinic_id),
        "reasonCode": [concept(coding(ours("indication"), plan.indication.code,
                                      plan.indication.name))],
        "bodySite": [_area(a) for a in plan.body_areas.all()],
        "note": [{"text": session.notes}] if session.notes else [],
    }))


def medication(lot: Any, render: Render) -> Json:
    return build(_clean({
        "resourceType": "Medication", "id": str(lot.pk),
        "code": concept(text=lot.product.name),
        "status": "inactive" if lot.recalled else "active",
        "batch": {"lotNumber": lot.number, "expirationDate": lot.expiry.isoformat()},
    }))


def medication_administration(injection: Any, render: Render) -> Json:
    session = injection.session
    removed = injection.removed_at is not None
    extensions = [
        {"url": extension("injection-depth"),
         "valueQuantity": quantity(injection.depth_mm, "mm", "mm")},
        {"url": extension("passes"), "valueInteger": injection.passes},
    ]
    needle = session.plan.needle_length_mm
    if needle is not None:
        extensions.append({"url": extension("needle-length"),
                           "valueQuantity": quantity(needle, "mm", "mm")})
    performer = render.practitioner(session.practitioner_id)
    return build(_clean({
        "resourceType": "MedicationAdministration", "id": str(injection.pk),
        "extension": extensions,
        "status": "entered-in-error" if removed else "completed",
        "statusReason": [concept(text=injection.removal_reason)] if removed else [],
        "medicationReference": ref("Medication", injection.lot_id,
                                   f"{injection.product.name} · {injection.lot.number}"),
        "subject": ref("Patient", session.patient_id),
        "partOf": [ref("Procedure", session.pk)],
        "effectiveDateTime": render.when(injection.created_at),
        "performer": [{"actor": performer}] if performer else [],
        "dosage": _clean({
            "text": f"{number(injection.volume_ml)} mL at {number(injection.depth_mm)} mm"
                    + (", whole zone" if injection.whole_zone else ""),
            "site": _zone(injection),
            "route": concept(coding(*codes.ROUTE_INTRADERMAL)),
            "dose": quantity(injection.volume_ml, "mL", "mL"),
        }),
    }))


# Allergy test, outcomes, side effects ---------------------------------------------------

_VERIFICATION = {"positive": "confirmed", "negative": "refuted", "pending": "unconfirmed",
                 "inconclusive": "unconfirmed"}


def _test_products(test: Any) -> str:
    return ", ".join(sorted({i.product.name for i in test.injections.all()}))


def allergy_intolerance(test: Any, render: Render) -> Json:
    verification = _VERIFICATION[test.result]
    return build(_clean({
        "resourceType": "AllergyIntolerance", "id": str(test.pk),
        "clinicalStatus": concept(coding(
            f"{HL7}/allergyintolerance-clinical",
            "inactive" if verification == "refuted" else "active")),
        "verificationStatus": concept(coding(
            f"{HL7}/allergyintolerance-verification", verification)),
        "type": "allergy", "category": ["medication"],
        "code": concept(text=_test_products(test)),
        "patient": ref("Patient", test.patient_id),
        "recordedDate": render.when(test.read_at or test.given_at),
        "recorder": render.practitioner(test.read_by_id or test.given_by_id),
        "reaction": [{"manifestation": [concept(text=test.reaction)]}]
        if test.result == "positive" and test.reaction else [],
    }))


def allergy_observation(test: Any, render: Render) -> Json:
    read = test.result != "pending"
    return build(_clean({
        "resourceType": "Observation", "id": f"allergy-{test.pk}",
        "status": "final" if read else "registered",
        "category": [concept(coding(f"{HL7}/observation-category", "exam", "Exam"))],
        "code": concept(coding(ours("allergy-test"), "reading",
                               "Allergy test reading, 24 hours or more after the test"),
                        text="Allergy test"),
        "subject": ref("Patient", test.patient_id),
        "effectiveDateTime": render.when(test.read_at or test.given_at),
        "performer": [p for p in [render.practitioner(test.read_by_id or test.given_by_id)]
                      if p],
        "valueCodeableConcept": concept(coding(ours("allergy-test"), test.result,
                                               test.get_result_display())) if read else None,
        "bodySite": concept(text=", ".join(i.site for i in test.injections.all())),
        "note": [{"text": f"{_test_products(test)}"
                  + (f" — {test.reaction}" if test.reaction else "")}],
    }))


_CATEGORY_OF_RATER = {"patient": "survey", "practitioner": "exam", "measured": "exam"}


def measurement_observation(row: Any, render: Render) -> Json:
    scale = row.scale
    loinc = codes.SCALE_LOINC.get(scale.code)
    performer = ref("Patient", row.patient_id) if row.rated_by == "patient" else \
        render.practitioner(row.recorded_by_id)
    return build(_clean({
        "resourceType": "Observation", "id": f"m-{row.pk}",
        "status": "final",
        "category": [concept(coding(f"{HL7}/observation-category",
                                    _CATEGORY_OF_RATER[row.rated_by]))],
        "code": concept(coding(LOINC, *loinc) if loinc else None,
                        coding(ours("outcome-scale"), scale.code, scale.name),
                        text=scale.name),
        "subject": ref("Patient", row.patient_id),
        "basedOn": [ref("CarePlan", row.plan_id)] if row.plan_id else [],
        "partOf": [ref("Procedure", row.session_id)] if row.session_id else [],
        "effectiveDateTime": row.measured_on.isoformat(),
        "issued": render.when(row.created_at),
        "performer": [performer] if performer else [],
        "valueQuantity": quantity(row.value, scale.unit or "1",
                                  "cm" if scale.unit == "cm" else None),
        "note": [{"text": row.notes}] if row.notes else [],
    }))


_AE_OUTCOME = {"ongoing": "ongoing", "resolved": "resolved",
               "sequelae": "resolvedWithSequelae", "unknown": "unknown"}


def adverse_event(event: Any, suspects: list[Any], render: Render) -> Json:
    """``suspects``: the charted injections of the event's session from its lots (all of
    the session's when no lot was named)."""
    entities = [{"instance": ref("MedicationAdministration", i.pk)} for i in suspects]
    entities += [{"instance": ref("Medication", lot.pk, f"{lot.product.name} · {lot.number}")}
                 for lot in event.lots.all()]
    return build(_clean({
        "resourceType": "AdverseEvent", "id": str(event.pk), "actuality": "actual",
        "event": concept(coding(ours("side-effect"), event.side_effect.code,
                                event.side_effect.name), text=event.side_effect.name),
        "subject": ref("Patient", event.patient_id),
        "date": render.when(event.onset_at), "recordedDate": render.when(event.created_at),
        "recorder": render.practitioner(event.recorded_by_id),
        "seriousness": concept(coding(f"{HL7}/adverse-event-seriousness",
                                      "serious" if event.serious else "non-serious")),
        "severity": concept(coding(f"{HL7}/adverse-event-severity", event.severity)),
        "outcome": concept(coding(f"{HL7}/adverse-event-outcome", _AE_OUTCOME[event.outcome])),
        "suspectEntity": entities,
        "location": ref("Location", event.clinic_id),
    }))


# Consent, documents and photos --------------------------------------------------------

_CONSENT_SCOPE = {"treatment": "treatment", "photos": "patient-privacy",
                  "registry": "research"}


def consent(row: Any, render: Render) -> Json:
    withdrawn = row.withdrawn_at is not None
    return build(_clean({
        "resourceType": "Consent", "id": str(row.pk),
        "status": "inactive" if withdrawn else "active",
        "scope": concept(coding(f"{HL7}/consentscope", _CONSENT_SCOPE[row.kind])),
        "category": [concept(coding(*codes.CONSENT_DOCUMENT)),
                     concept(coding(ours("consent-kind"), row.kind, row.get_kind_display()))],
        "patient": ref("Patient", row.patient_id),
        "dateTime": render.when(row.signed_at),
        "organization": [ref("Organization", row.clinic_id)],
        "sourceReference": ref("DocumentReference", row.pk),
        "policyRule": concept(coding("http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                     "OPTIN")),
        "provision": _clean({"type": "deny" if withdrawn else "permit",
                             "period": _clean({"start": render.when(row.signed_at),
                                               "end": render.when(row.withdrawn_at)})}),
    }))


def consent_document(row: Any, render: Render) -> Json:
    return build(_clean({
        "resourceType": "DocumentReference", "id": str(row.pk),
        "status": "superseded" if row.withdrawn_at else "current",
        "type": concept(coding(*codes.CONSENT_DOCUMENT)),
        "subject": ref("Patient", row.patient_id),
        "date": render.when(row.signed_at),
        "custodian": ref("Organization", row.clinic_id),
        "description": f"{row.text.title} (v{row.text.version})",
        "content": [{"attachment": {
            "contentType": "application/pdf", "url": f"{render.base}Binary/consent-{row.pk}",
            "title": row.text.title, "creation": render.when(row.signed_at)}}],
    }))


def media(photo: Any, render: Render) -> Json:
    return build(_clean({
        "resourceType": "Media", "id": str(photo.pk), "status": "completed",
        "type": concept(coding("http://terminology.hl7.org/CodeSystem/media-type", "image",
                               "Image")),
        "view": concept(coding(ours("photo-view"), photo.view, photo.get_view_display())),
        "subject": ref("Patient", photo.patient_id),
        "createdDateTime": render.when(photo.taken_at),
        "operator": render.practitioner(photo.uploaded_by_id),
        "bodySite": _area(photo.body_area),
        "height": photo.height, "width": photo.width,
        "content": {"contentType": photo.content_type, "size": photo.size_bytes,
                    "url": f"{render.base}Binary/photo-{photo.pk}",
                    "creation": render.when(photo.taken_at)},
        "note": [{"text": "Sent by the patient with a check-in"}]
        if photo.kind == "checkin" else [],
    }))


# The audit trail ------------------------------------------------------------------------

_DCM = "http://dicom.nema.org/resources/ontology/DCM"


def _audit_verb(action: str) -> str:
    verb = action.rsplit(".", 1)[-1]
    if verb in {"view", "thumbnail", "read", "search", "list", "export", "open"}:
        return "R"
    if verb in {"create", "add", "book", "sign", "upload", "record", "register", "issue"}:
        return "C"
    if verb in {"delete"}:
        return "D"
    if verb in {"update", "set", "move", "correct", "remove", "cancel", "withdraw",
                "review", "read_result"}:
        return "U"
    return "E"


def audit_event(event: Any, render: Render) -> Json:
    agent: Json = {"requestor": True,
                   "who": render.practitioner(event.actor_id) or
                   {"display": event.actor_email or "mesoclinic"}}
    if event.ip:
        agent["network"] = {"address": event.ip, "type": "2"}  # 2: an IP address
    entity = [{"what": ref("Patient", event.patient_id)}] if event.patient_id else []
    if event.object_type:
        entity.append({"what": {"identifier": {
            "system": codes.identifier_system(event.object_type),
            "value": event.object_id or "-"}}})
    return build(_clean({
        "resourceType": "AuditEvent", "id": str(event.pk),
        "type": coding(_DCM, "110110", "Patient Record") if event.patient_id else
        coding(_DCM, "110100", "Application Activity"),
        "subtype": [coding(ours("audit-action"), event.action)],
        "action": _audit_verb(event.action), "recorded": render.when(event.at),
        "outcome": "0", "agent": [agent],
        "source": {"observer": ref("Organization", event.clinic_id)
                   if event.clinic_id else {"display": "mesoclinic"}},
        "entity": entity,
    }))


# Errors and bundles ------------------------------------------------------------------


def operation_outcome(message: str, *, code: str = "processing", rule: str = "",
                      earliest: date | None = None, field: str | None = None) -> Json:
    issue: Json = {"severity": "error", "code": code, "diagnostics": message}
    details = [coding(ours("rule"), rule)] if rule else []
    issue["details"] = concept(*details, text=message)
    if field:
        issue["expression"] = [field]
    if earliest is not None:
        issue["extension"] = [{"url": extension("earliest-date"),
                               "valueDate": earliest.isoformat()}]
    return build({"resourceType": "OperationOutcome", "issue": [issue]})


def bundle(*, kind: str, entries: list[tuple[Json, str]], base: str, total: int | None,
           links: dict[str, str]) -> Json:
    """A searchset or a collection; ``entries``: (resource, "match" or "include"). Each
    entry is already validated, so the bundle is checked for its own shape only."""
    data: Json = {"resourceType": "Bundle", "type": kind}
    if total is not None:
        data["total"] = total
    if links:
        data["link"] = [{"relation": relation, "url": url} for relation, url in links.items()]
    data["entry"] = [
        _clean({"fullUrl": f"{base}{r['resourceType']}/{r['id']}", "resource": r,
                "search": {"mode": mode} if kind == "searchset" else None})
        for r, mode in entries]
    if not data["entry"]:
        del data["entry"]
    from fhir.resources.R4B.bundle import Bundle

    # The entries were validated one by one and are made alike: the bundle's own shape is
    # checked with its first entry standing for them all.
    Bundle.model_validate({**data, "entry": [
        {**e, "resource": {"resourceType": "Basic", "id": e["resource"]["id"],
                           "code": {"text": e["resource"]["resourceType"]}}}
        for e in data.get("entry", [])[:1]]})
    return data
