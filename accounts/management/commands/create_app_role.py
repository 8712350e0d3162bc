import dj_database_url
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from psycopg import sql

# The access log's tables: the service may add to the log and read it, never change it; the
# chain heads it reads, makes (for a new chain) and moves forward, never deletes. Every other
# table: the usual four. TRUNCATE, REFERENCES and TRIGGER: nowhere.
LOG_TABLES = {
    "accounts_accessevent": "SELECT, INSERT",
    "accounts_auditchainhead": "SELECT, INSERT, UPDATE",
}


class Command(BaseCommand):
    help = (
        "Run as the tables' owner after `migrate`: create (or update) the database role the "
        "service connects as, named with its password by APP_DATABASE_URL, and grant it what "
        "the service needs and no more: SELECT, INSERT, UPDATE and DELETE on every table "
        "(and on the tables later migrations create), but only SELECT and INSERT on the access "
        "log. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", help="the service's database URL (default APP_DATABASE_URL)")

    def handle(self, *args, url: str | None = None, **options):
        url = url or settings.APP_DATABASE_URL
        if not url:
            raise CommandError(
                "Set APP_DATABASE_URL to the URL the service connects with: its user is the "
                "role to create, its password the role's password."
            )
        app = dj_database_url.parse(url)
        role, password = app.get("USER"), app.get("PASSWORD") or None
        if not role:
            raise CommandError("APP_DATABASE_URL names no user: the role to create.")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_user, current_schema(), current_database(), "
                "(SELECT tableowner FROM pg_tables WHERE tablename = 'accounts_accessevent' "
                " AND schemaname = current_schema())"
            )
            current, schema, database, owner = cursor.fetchone()
            if owner is None:
                raise CommandError("The access log's table is missing: run `migrate` first.")
            if role in (current, owner):
                raise CommandError(
                    f"APP_DATABASE_URL names {role}, who owns or migrates the tables: the service "
                    f"must connect as a role of its own."
                )
            cursor.execute(
                "SELECT rolsuper, pg_has_role(rolname, %s, 'MEMBER') FROM pg_roles "
                "WHERE rolname = %s",
                [owner, role],
            )
            found = cursor.fetchone()
            if found and (found[0] or found[1]):
                raise CommandError(
                    f"The role {role} is a superuser or a member of the owner {owner}: it could "
                    f"change the access log. Give the service a role of its own."
                )

            def run(statement: str, **names) -> None:
                composed = sql.SQL(statement).format(
                    role=sql.Identifier(role),
                    **{name: sql.Identifier(value) for name, value in names.items()},
                    password=sql.Literal(password),
                )
                cursor.execute(composed.as_string(connection.connection))

            verb = "ALTER" if found else "CREATE"
            run(f"{verb} ROLE {{role}} LOGIN" + (" PASSWORD {password}" if password else ""))
            run("GRANT CONNECT ON DATABASE {database} TO {role}", database=database)
            run("GRANT USAGE ON SCHEMA {schema} TO {role}", schema=schema)
            run("REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}", schema=schema)
            run(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
                schema=schema,
            )
            run("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}", schema=schema)
            # Tables and sequences the owner's later migrations create.
            run(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
                "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
                owner=owner,
                schema=schema,
            )
            run(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
                "GRANT USAGE, SELECT ON SEQUENCES TO {role}",
                owner=owner,
                schema=schema,
            )
            for table, privileges in LOG_TABLES.items():
                run("REVOKE ALL ON {table} FROM {role}", table=table)
                run(f"GRANT {privileges} ON {{table}} TO {{role}}", table=table)
        self.stdout.write(
            self.style.SUCCESS(
                f"{'Updated' if found else 'Created'} the role {role}: it may read and write "
                f"the tables of {database}.{schema} (and those later migrations by {owner} "
                f"create), and only read and add to the access log."
            )
        )
