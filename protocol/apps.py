from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class ProtocolConfig(AppConfig):
    name = "protocol"
    verbose_name = "Enforcement holds"

    def ready(self) -> None:
        # A bad policy value stops the service at start with a clear message.
        from .policy import current_policy

        try:
            current_policy()
        except ValueError as error:
            raise ImproperlyConfigured(f"Invalid hold policy setting: {error}") from error
