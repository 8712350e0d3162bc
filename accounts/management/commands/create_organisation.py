from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import organisation_create_or_update, parse_contact
from core.roles import OrganisationKind


class Command(BaseCommand):
    help = "Create or update an organisation (idempotent on --code)."

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=OrganisationKind.values)
        parser.add_argument("--code", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--contact", help='Protocol contact point: "TEAM; PHONE; EMAIL"')

    def handle(self, *args, kind, code, name, contact, **options):
        try:
            contact_fields = parse_contact(contact) if contact else None
            organisation, created = organisation_create_or_update(
                kind=kind, code=code, name=name, contact=contact_fields
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} {organisation}"))
