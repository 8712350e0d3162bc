from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares: API conventions, GOV.UK forms and template tags, permission
    helpers, references and normalisation. No models; imports no other app."""

    name = "core"
    verbose_name = "Core"
