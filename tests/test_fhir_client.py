"""An outside system reads the demo patient's record: over HTTP with a FHIR client library
of its own (fhirpy), parsed with another's R4 models (fhirclient, FHIR 4.0.1), which refuse
any element R4 does not have."""

from __future__ import annotations

import pytest
from fhirclient.models.bundle import Bundle as R4Bundle
from fhirclient.models.capabilitystatement import CapabilityStatement as R4Capability
from fhirpy import SyncFHIRClient

from mesoclinic.core.models import Membership, Role
from mesoclinic.core.services import api_token_issue
from mesoclinic.demo.seed import demo_seed
from mesoclinic.patients.models import Patient

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_outside_client_reads_the_demo_patient_s_everything(live_server, catalogue):
    demo_seed(patients_per_clinic=5)
    practitioner = Membership.objects.filter(role=Role.PRACTITIONER).select_related(
        "clinic").order_by("id").first()
    key, _token = api_token_issue(membership=practitioner)
    patient = Patient.objects.filter(clinic=practitioner.clinic, plans__isnull=False) \
        .order_by("id").first()

    client = SyncFHIRClient(f"{live_server.url}/fhir/r4", authorization=f"Bearer {key}")
    statement = client.execute("metadata", method="get")
    assert R4Capability(statement).fhirVersion == "4.0.1"

    everything = client.execute(f"Patient/{patient.pk}/$everything", method="get")
    bundle = R4Bundle(everything)  # strict: raises on anything that is not R4
    kinds = {entry.resource.resource_type for entry in bundle.entry}
    assert {"Patient", "CarePlan", "Procedure", "Appointment", "AllergyIntolerance",
            "Observation", "Consent", "DocumentReference", "Practitioner", "Organization",
            "Location"} <= kinds
    person = next(e.resource for e in bundle.entry if e.resource.resource_type == "Patient")
    assert person.name[0].family == patient.last_name
    assert person.birthDate.isostring == patient.date_of_birth.isoformat()

    # The same client searches, as a registry would.
    found = client.resources("Procedure").search(patient=f"Patient/{patient.pk}").fetch_all()
    assert {p["subject"]["reference"] for p in found} == {f"Patient/{patient.pk}"}
