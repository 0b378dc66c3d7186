"""The CapabilityStatement: exactly what /fhir/r4/ serves, read from the same table the
endpoint answers from, so the two cannot drift apart."""

from __future__ import annotations

from django.conf import settings

from mesoclinic.core import clock
from mesoclinic.fhir import codes
from mesoclinic.fhir.resources import FHIR_VERSION, Json, build
from mesoclinic.fhir.selectors import KINDS, OBSERVATION_PARAMS, Param

ACCESS_WORDS = {"desk": "every member of the clinic's staff",
                "clinical": "clinical staff (owners, practitioners, nurses)",
                "owner": "the clinic's owners"}
EXTERNAL_SYSTEMS = {
    codes.SNOMED: "SNOMED CT: body sites, the intradermal route",
    codes.LOINC: "LOINC: consent documents, pain scores",
    codes.UCUM: "UCUM: volumes, depths, lengths",
    codes.HL7: "HL7 terminology: statuses, categories, adverse-event grading, consent scope",
    "http://dicom.nema.org/resources/ontology/DCM": "DICOM: audit event types",
    "urn:ietf:bcp:47": "BCP 47: languages",
}


def _params(params: dict[str, Param]) -> list[Json]:
    return [{"name": "_id", "type": "token", "documentation": "The resource's id"},
            *({"name": name, "type": p.kind, "documentation": p.documentation}
              for name, p in params.items()),
            {"name": "_count", "type": "number", "documentation": "Page size (at most 200)"},
            {"name": "_offset", "type": "number", "documentation": "Where the page starts"}]


def capability_statement(base: str) -> Json:
    resources: list[Json] = []
    for name, kind in sorted(KINDS.items()):
        entry: Json = {
            "type": name,
            "documentation": f"Read by {ACCESS_WORDS[kind.access]}; each read is audited.",
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": _params(kind.params),
        }
        if kind.includes:
            entry["searchInclude"] = sorted(kind.includes)
        if name == "Appointment":
            entry["interaction"].append({"code": "create"})
            entry["documentation"] += (" Create: POST a proposed Appointment with the patient "
                                       "and the practitioner; it is booked by the same rules "
                                       "as the desk, or refused with an OperationOutcome "
                                       "naming the rule and the earliest allowed date.")
        if name == "Patient":
            entry["operation"] = [{
                "name": "everything",
                "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                "documentation": "Everything about one patient, for clinical staff."}]
        resources.append(entry)
    resources += [
        {"type": "Observation", "interaction": [{"code": "read"}, {"code": "search-type"}],
         "documentation": "Outcome-scale values (id m-…) and allergy test readings "
                          "(id allergy-…), for clinical staff.",
         "searchParam": _params(OBSERVATION_PARAMS)},
        {"type": "Slot", "interaction": [{"code": "search-type"}],
         "documentation": "Free times, computed by the booking engine (7 days by default, "
                          "31 at most).",
         "searchParam": [
             {"name": "start", "type": "date", "documentation": "The day, or ge/le a day"},
             {"name": "schedule", "type": "reference", "documentation": "Schedule/{id}"},
             {"name": "service-type", "type": "token",
              "documentation": f"{codes.ours('appointment-kind')}|treatment"}]},
        {"type": "CodeSystem", "interaction": [{"code": "read"}, {"code": "search-type"}],
         "documentation": "mesoclinic's own code systems."},
        {"type": "Binary", "interaction": [{"code": "read"}],
         "documentation": "Photos (photo-{id}) and signed consents (consent-{id}), for "
                          "clinical staff."},
    ]
    systems = "; ".join(f"{url} ({words})" for url, words in EXTERNAL_SYSTEMS.items())
    ours = ", ".join(codes.ours(name) for name in codes.OUR_SYSTEMS)
    return build({
        "resourceType": "CapabilityStatement", "status": "active",
        "date": clock.now().date().isoformat(), "publisher": "mesoclinic",
        "kind": "instance",
        "name": "mesoclinic", "title": "mesoclinic FHIR R4 server",
        "software": {"name": "mesoclinic", "version": getattr(settings, "VERSION", "1")},
        "implementation": {"description": "mesoclinic", "url": base},
        "fhirVersion": FHIR_VERSION, "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": f"Code systems used: {systems}. Ours, as CodeSystem resources: "
                             f"{ours}.",
            "security": {
                "service": [{"text": "Bearer token"}],
                "description": "The same bearer tokens as /api/v1/: POST /api/v1/auth/token."},
            "resource": resources,
        }],
    })
