from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from accounts.services import set_up_link, user_create_or_update
from core.roles import Role


class Command(BaseCommand):
    help = (
        "Create or update a user. A role that does not fit the organisation's kind is refused. "
        "Without --password, print a one-time set-up link."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--organisation", required=True, help="Organisation code")
        parser.add_argument("--role", required=True, action="append", choices=Role.values)
        parser.add_argument("--password")
        parser.add_argument("--name", default="", help="Full name")
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="For the set-up link"
        )

    def handle(self, *args, email, organisation, role, password, name, base_url, **options):
        found = Organisation.objects.filter(code=organisation).first()
        if found is None:
            raise CommandError(f"No organisation with code {organisation!r}.")
        try:
            user, created = user_create_or_update(
                email=email, organisation=found, roles=role, password=password, full_name=name
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} {user.email} ({', '.join(role)})"))
        if not password:
            self.stdout.write(f"One-time set-up link: {set_up_link(user, base_url)}")
