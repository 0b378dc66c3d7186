"""Schemathesis against the served application: every operation of the OpenAPI document,
with generated requests (a fixed seed, a bounded number per operation), must answer no 5xx
and only what the document declares, in the shape it declares.

Two of Schemathesis's checks are left out, each for a reason: `positive_data_acceptance`
(a request that fits the schema may still be refused by the clinic's rules: a day in the
past, a lot of another clinic) and `negative_data_rejection` (pydantic reads 0 as false
and a number as a date, by design of its lax mode)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mesoclinic.core.services import api_token_issue
from tests.factories import make_patient, make_product_with_lot, open_clinic_for_booking

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = 12
SEED = 20261122


def test_generated_requests_find_no_server_error_and_no_undeclared_answer(
        live_server, personas, catalogue, settings, tmp_path):
    settings.RATE_LIMITS_ENABLED = False
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    make_patient(clinic=personas.clinic)
    make_product_with_lot(clinic=personas.clinic)
    key, _token = api_token_issue(membership=personas.practitioner)
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "run",
        f"{live_server.url}/api/v1/openapi.json",
        "--header", f"Authorization: Bearer {key}",
        "--max-examples", str(EXAMPLES), "--seed", str(SEED),
        "--phases", "examples,fuzzing",
        "--exclude-checks", "positive_data_acceptance,negative_data_rejection",
        "--no-color", "--report-dir", str(tmp_path),
    ]
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    run = subprocess.run(command, capture_output=True, text=True, timeout=540,
                         env=environment)
    summary = run.stdout[-3000:]
    generated = re.search(r"(\d+) generated", run.stdout)
    assert generated and int(generated.group(1)) > 500, summary
    assert "Server error" not in run.stdout, summary
    assert run.returncode == 0, summary
