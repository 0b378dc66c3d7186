"""`manage.py backup` and `restore` round-trip a live database, on SQLite and PostgreSQL."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mesoclinic.patients.models import Patient
from tests.factories import make_patient


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_the_database_as_it_was(personas, tmp_path, settings):
    # No checkpoint between the backup and the restore: the restored trail is then whole.
    # (One written meanwhile would rightly report the events the restore took back.)
    settings.AUDIT_CHECKPOINT_MINUTES = 10**6
    kept = make_patient(clinic=personas.clinic, last_name="BeforeBackup")
    archive = tmp_path / "mesoclinic.backup"
    call_command("backup", str(archive))
    make_patient(clinic=personas.clinic, last_name="AfterBackup")
    kept.phone = "+33 6 00 00 00 00"
    kept.save()

    call_command("restore", str(archive), yes=True)
    names = set(Patient.objects.values_list("last_name", flat=True))
    assert "BeforeBackup" in names and "AfterBackup" not in names
    assert Patient.objects.get(last_name="BeforeBackup").phone != "+33 6 00 00 00 00"
    call_command("audit_verify")  # the trail came back whole
    assert oct(archive.stat().st_mode & 0o777) == "0o600"  # the backup is its owner's alone


def test_restoring_a_missing_file_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("restore", str(tmp_path / "nothing"), yes=True)
