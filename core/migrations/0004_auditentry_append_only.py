"""On PostgreSQL the audit trail refuses changes from anyone who can send SQL, not only from the admin.

A trigger on stations_auditentry refuses every UPDATE and DELETE, with two exceptions: deleting a
station sets its rows' `station` to NULL (on_delete=SET_NULL; nothing else of the row may change),
and the housekeeping purge (core.audit.audit_entries_purge) deletes records of personal-data access
older than 180 days, the legal minimum. TRUNCATE is left to the database's owner (the test runner
empties tables with it). SQLite, used for development and tests, has no such trigger.
"""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION stations_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.station_id IS NULL AND (to_jsonb(NEW) - 'station_id') = (to_jsonb(OLD) - 'station_id') THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '操作记录不可修改（stations_auditentry 只能追加）。';
    END IF;
    IF OLD.action IN ('personal_data.view', 'personal_data.export')
       AND OLD."at" < now() - interval '180 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '操作记录不可删除（stations_auditentry 只能追加）。';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS stations_auditentry_append_only ON stations_auditentry;
CREATE TRIGGER stations_auditentry_append_only
    BEFORE UPDATE OR DELETE ON stations_auditentry
    FOR EACH ROW EXECUTE FUNCTION stations_auditentry_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS stations_auditentry_append_only ON stations_auditentry;
DROP FUNCTION IF EXISTS stations_auditentry_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_notification")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]
