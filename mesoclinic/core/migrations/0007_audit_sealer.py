"""Audit events are written without waiting for their chain; a sealer chains them after.
The database lets an event be updated once, by the sealer, and only in its chain fields."""

from django.db import migrations, models

REFUSAL = "The audit trail is append-only."
# Sealing: an unsealed event gets its sequence, the previous hash and its chained hash;
# nothing else of it may change, and a sealed event never changes again.
SQLITE_SEALING = """
    OLD.sequence IS NULL AND NEW.sequence IS NOT NULL
    AND NEW.id IS OLD.id AND NEW.scope IS OLD.scope AND NEW.at IS OLD.at
    AND NEW.actor_id IS OLD.actor_id AND NEW.actor_email IS OLD.actor_email
    AND NEW.role IS OLD.role AND NEW.clinic_id IS OLD.clinic_id AND NEW.action IS OLD.action
    AND NEW.object_type IS OLD.object_type AND NEW.object_id IS OLD.object_id
    AND NEW.patient_id IS OLD.patient_id AND NEW.ip IS OLD.ip AND NEW.detail IS OLD.detail
    AND NEW.keyed IS OLD.keyed"""

SQLITE = [
    f"""CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
        WHEN NOT ({SQLITE_SEALING})
        BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""",
    f"""CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent
        WHEN NOT EXISTS (SELECT 1 FROM core_audit_maintenance)
        BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS core_auditevent_no_update",
               "DROP TRIGGER IF EXISTS core_auditevent_no_delete"]

POSTGRES = [
    "DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent",
    f"""CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'UPDATE' AND OLD.sequence IS NULL AND NEW.sequence IS NOT NULL
             AND (to_jsonb(NEW) - ARRAY['sequence', 'prev_hash', 'hash'])
                 = (to_jsonb(OLD) - ARRAY['sequence', 'prev_hash', 'hash']) THEN
            RETURN NEW;
          END IF;
          RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'insufficient_privilege';
        END $$""",
    """CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON core_auditevent
        FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only()""",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0006_token_last_used'),
    ]

    operations = [
        # SQLite rebuilds the table to alter it: the triggers go first, and come back after.
        migrations.RunPython(_run({"sqlite": SQLITE_DROP}), _run({})),
        migrations.AlterField(
            model_name='auditevent',
            name='prev_hash',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='sequence',
            field=models.BigIntegerField(null=True),
        ),
        migrations.RunPython(_run({"sqlite": SQLITE, "postgresql": POSTGRES}), _run({})),
    ]
