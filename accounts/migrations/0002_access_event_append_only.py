from django.db import migrations

FORBID = """
CREATE OR REPLACE FUNCTION accounts_accessevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The access log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER accounts_accessevent_no_update_delete
    BEFORE UPDATE OR DELETE ON accounts_accessevent
    FOR EACH ROW EXECUTE FUNCTION accounts_accessevent_append_only();
"""

ALLOW = """
DROP TRIGGER IF EXISTS accounts_accessevent_no_update_delete ON accounts_accessevent;
DROP FUNCTION IF EXISTS accounts_accessevent_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunSQL(FORBID, ALLOW)]
