"""Clinics opened before their consent texts were created with the clinic get version 1 of
each (they used to be created by the first page that showed them). The texts are those of
this day."""

from django.db import migrations

TEXTS = {'photos': ('Consent to clinical photographs',
            'I agree that the clinic takes photographs of the treated areas before and '
            'during my treatment, to follow its progress. They are kept in my record, '
            'seen only by the staff treating me, and never published. I may withdraw '
            'this consent at any time.'),
 'registry': ('Consent to anonymised registry use',
              'I agree that my treatment data, with my name and contact details '
              'removed, are used to study which treatments work and how often side '
              'effects occur. I may withdraw this consent at any time; later studies '
              'will then leave my data out.'),
 'treatment': ('Consent to mesotherapy treatment',
               'I agree to receive mesotherapy: a course of intradermal '
               'micro-injections of the products my practitioner has explained to me. '
               'I have been told that results vary, that the evidence for some uses is '
               'limited, and that several sessions are needed.\n'
               '\n'
               'I understand the expected effects: a burning sensation for 15 to 20 '
               'minutes, swelling and soreness for one to five days, itching for a day '
               'or two, redness or discolouration for a few days, and bruising. I '
               'understand the rarer risks: infection, allergic reaction, nerve damage '
               'and scarring.\n'
               '\n'
               'I will avoid aspirin and other anti-inflammatory medicines for 7 days '
               'before each session, follow the aftercare advice, and report any '
               'reaction that lasts longer than expected. I may withdraw this consent '
               'at any time.')}


def open_texts(apps, schema_editor):
    Clinic = apps.get_model("core", "Clinic")
    ConsentText = apps.get_model("consultation", "ConsentText")
    for clinic in Clinic.objects.all():
        for kind, (title, text) in TEXTS.items():
            if not ConsentText.objects.filter(clinic=clinic, kind=kind).exists():
                ConsentText.objects.create(clinic=clinic, kind=kind, version=1, title=title,
                                           body=text)


class Migration(migrations.Migration):
    dependencies = [("consultation", "0004_patient_links"),
                    ("core", "0008_audit_unsealed_index")]
    operations = [migrations.RunPython(open_texts, migrations.RunPython.noop)]
