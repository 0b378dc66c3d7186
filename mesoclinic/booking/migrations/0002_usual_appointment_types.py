"""Clinics opened before appointment types were created with the clinic get the usual four
(they used to be created by the first page that listed them)."""

from django.db import migrations

USUAL = (("consultation", "Consultation", 30, 10),
         ("allergy_read", "Allergy-test reading", 15, 5),
         ("treatment", "Treatment session", 30, 10), ("follow_up", "Follow-up", 15, 5))


def open_types(apps, schema_editor):
    Clinic = apps.get_model("core", "Clinic")
    AppointmentType = apps.get_model("booking", "AppointmentType")
    for clinic in Clinic.objects.filter(appointment_types__isnull=True):
        AppointmentType.objects.bulk_create(
            [AppointmentType(clinic=clinic, kind=kind, name=name, duration_minutes=duration,
                             buffer_minutes=buffer,
                             currency="GBP" if clinic.country == "GB" else "EUR")
             for kind, name, duration, buffer in USUAL], ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("booking", "0001_initial"), ("core", "0008_audit_unsealed_index")]
    operations = [migrations.RunPython(open_types, migrations.RunPython.noop)]
