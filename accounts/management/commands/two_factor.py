from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import two_factor_disable, two_factor_enable


class Command(BaseCommand):
    help = (
        "Turn on two-factor authentication for a user: print the otpauth:// address to add to "
        "their authenticator app (shown once; running it again replaces the secret). With "
        "--off, remove it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--off", action="store_true", help="remove the second factor")

    def handle(self, *args, email, off, **options):
        user = User.objects.filter(email=email.strip().lower()).first()
        if user is None:
            raise CommandError(f"No user has the email address {email!r}.")
        if off:
            removed = two_factor_disable(user=user)
            self.stdout.write(
                f"Two-factor authentication is off for {user.email}."
                if removed
                else f"{user.email} had no second factor."
            )
            return
        try:
            device = two_factor_enable(user=user)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(
            f"Two-factor authentication is on for {user.email}. Add this address to their "
            f"authenticator app (as a QR code or by hand), then sign in with the code it shows:\n"
            f"{device.config_url}"
        )
