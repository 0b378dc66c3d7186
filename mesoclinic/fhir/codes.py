"""The code systems the FHIR resources use: SNOMED CT where a code exists (body sites, the
intradermal route), LOINC for consent documents and pain scores, UCUM for quantities, HL7's
own systems, and mesoclinic's for the rest (catalogue codes, chart zones). Each of ours is
published as a CodeSystem resource and named in the CapabilityStatement."""

from __future__ import annotations

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
HL7 = "http://terminology.hl7.org/CodeSystem"
# Our canonical base: code systems, extensions and identifiers are named under it.
BASE = "https://mesoclinic.org/fhir"

ROUTE_INTRADERMAL = (SNOMED, "372464004", "Intradermal route")
CONSENT_DOCUMENT = (LOINC, "59284-0", "Patient Consent")
PROCEDURE_METHOD = "http://hl7.org/fhir/StructureDefinition/procedure-method"


def ours(name: str) -> str:
    return f"{BASE}/CodeSystem/{name}"


def extension(name: str) -> str:
    return f"{BASE}/StructureDefinition/{name}"


def identifier_system(name: str) -> str:
    return f"{BASE}/identifier/{name}"


# Our code systems: name → (title, what its codes are).
OUR_SYSTEMS: dict[str, tuple[str, str]] = {
    "body-area": ("Body areas", "The body areas of the mesotherapy catalogue."),
    "chart-zone": ("Charting zones", "Named zones of the charting maps, as map/zone."),
    "indication": ("Indications", "What a course of mesotherapy treats."),
    "technique": ("Techniques", "How mesotherapy is delivered."),
    "side-effect": ("Side effects", "Side effects of mesotherapy, with their expected "
                    "course."),
    "outcome-scale": ("Outcome scales", "The scales outcomes are measured on."),
    "allergy-test": ("Allergy test", "The allergy test before a first session, and its "
                     "reading."),
    "appointment-kind": ("Appointment kinds", "Consultation, allergy test, treatment, "
                         "review."),
    "photo-view": ("Photo views", "From which side a clinical photo was taken."),
    "consent-kind": ("Consent kinds", "What a patient consents to."),
    "staff-role": ("Staff roles", "What a member of a clinic's staff does there."),
    "qualification": ("Qualifications", "A practitioner's mesotherapy qualification, "
                      "verified by the clinic."),
    "procedure": ("Procedures", "The procedures mesoclinic records."),
    "rule": ("Rules", "The safety and booking rules whose refusals an OperationOutcome "
             "names."),
    "audit-action": ("Audit actions", "What an audit event records."),
}

# SNOMED CT body structures for the catalogue's body areas (as DICOM's CID 4 lists them).
BODY_AREA_SNOMED: dict[str, tuple[str, str]] = {
    "face": ("89545001", "Face structure"),
    "periorbital": ("371398005", "Eye region structure"),
    "neck": ("45048000", "Neck structure"),
    "decolletage": ("43799004", "Thoracic structure"),
    "scalp": ("41695006", "Scalp structure"),
    "arms": ("40983000", "Upper arm structure"),
    "hands": ("85562004", "Hand structure"),
    "abdomen": ("113345001", "Abdominal structure"),
    "back": ("77568009", "Back structure"),
    "flanks": ("58602004", "Flank structure"),
    "buttocks": ("46862004", "Buttock structure"),
    "thighs": ("68367000", "Thigh structure"),
    "knees": ("72696002", "Knee region structure"),
    "legs": ("30021000", "Lower leg structure"),
    "shoulder": ("16982005", "Shoulder region structure"),
    "lumbar": ("52612000", "Lumbar region structure"),
    "neck-muscles": ("45048000", "Neck structure"),
}

# A chart zone's body structure, by the zone's name without its side.
ZONE_SNOMED: dict[str, tuple[str, str]] = {
    "forehead": ("52795006", "Forehead structure"),
    "periorbital": ("371398005", "Eye region structure"),
    "nose": ("45206002", "Nose structure"),
    "cheek": ("60819002", "Buccal region of face"),
    "lips": ("48477009", "Lip structure"),
    "jaw": ("661005", "Jaw region structure"),
    "neck": ("45048000", "Neck structure"),
    "decolletage": ("43799004", "Thoracic structure"),
    "arm": ("40983000", "Upper arm structure"),
    "arm-back": ("40983000", "Upper arm structure"),
    "abdomen": ("113345001", "Abdominal structure"),
    "flank": ("58602004", "Flank structure"),
    "back-flank": ("58602004", "Flank structure"),
    "thigh": ("68367000", "Thigh structure"),
    "thigh-back": ("68367000", "Thigh structure"),
    "knee": ("72696002", "Knee region structure"),
    "leg": ("30021000", "Lower leg structure"),
    "calf": ("53840002", "Calf of leg structure"),
    "buttock": ("46862004", "Buttock structure"),
    "upper-back": ("77568009", "Back structure"),
    "lower-back": ("52612000", "Lumbar region structure"),
    "trapezius": ("16982005", "Shoulder region structure"),
}
# The maps whose every zone lies in one structure, when the zone has none of its own.
MAP_SNOMED: dict[str, tuple[str, str]] = {
    "face": ("89545001", "Face structure"),
    "face-right": ("89545001", "Face structure"),
    "face-left": ("89545001", "Face structure"),
    "scalp": ("41695006", "Scalp structure"),
}

# LOINC where the scale has a code; the others are in our outcome-scale system only.
SCALE_LOINC: dict[str, tuple[str, str]] = {
    "vas-pain": ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported"),
}


def zone_snomed(map_code: str, zone_code: str) -> tuple[str, str] | None:
    """The body structure of a chart zone: its own, else its map's."""
    base = zone_code.removesuffix("-right").removesuffix("-left")
    return ZONE_SNOMED.get(base) or MAP_SNOMED.get(map_code)
