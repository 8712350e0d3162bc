from django.db import migrations

# Statement-level: TRUNCATE fires no row triggers, so the append-only trigger of 0002 never sees
# it. The function is 0002's (its message names the operation).
FORBID = """
CREATE TRIGGER accounts_accessevent_no_truncate
    BEFORE TRUNCATE ON accounts_accessevent
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_accessevent_append_only();
CREATE TRIGGER accounts_auditchainhead_no_truncate
    BEFORE TRUNCATE ON accounts_auditchainhead
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_accessevent_append_only();
"""

ALLOW = """
DROP TRIGGER IF EXISTS accounts_accessevent_no_truncate ON accounts_accessevent;
DROP TRIGGER IF EXISTS accounts_auditchainhead_no_truncate ON accounts_auditchainhead;
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_audit_chain_head_signatures")]

    operations = [migrations.RunSQL(FORBID, ALLOW)]
