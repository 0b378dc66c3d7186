"""The audit chain becomes keyed (HMAC), and the database itself refuses to change or
remove an audit event."""

from django.db import migrations, models

REFUSAL = "The audit trail is append-only."

SQLITE = [
    # Not a model: `manage.py flush` never empties it. The test suite alone marks it while
    # it empties its test database between tests.
    "CREATE TABLE core_audit_maintenance (since TEXT NOT NULL)",
    f"""CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
        BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""",
    f"""CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent
        WHEN NOT EXISTS (SELECT 1 FROM core_audit_maintenance)
        BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""",
]
SQLITE_BACK = ["DROP TRIGGER core_auditevent_no_delete",
               "DROP TRIGGER core_auditevent_no_update",
               "DROP TABLE core_audit_maintenance"]

POSTGRES = [
    f"""CREATE FUNCTION core_auditevent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'insufficient_privilege'; END $$""",
    """CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON core_auditevent
        FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only()""",
]
POSTGRES_BACK = ["DROP TRIGGER core_auditevent_append_only ON core_auditevent",
                 "DROP FUNCTION core_auditevent_append_only()"]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_clinic_description_clinic_listed_and_more'),
    ]

    operations = [
        # Events already written keep their plain hash: keyed=False for them, True after.
        migrations.AddField(
            model_name='auditevent',
            name='keyed',
            field=models.BooleanField(default=False),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='keyed',
            field=models.BooleanField(default=True),
        ),
        migrations.RunPython(_run({"sqlite": SQLITE, "postgresql": POSTGRES}),
                             _run({"sqlite": SQLITE_BACK, "postgresql": POSTGRES_BACK})),
    ]
