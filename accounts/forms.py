from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm

from .services import login_failure_record, login_failures_clear, login_is_locked


class SignInForm(AuthenticationForm):
    """Email and password, with a lockout after repeated failures."""

    username = forms.EmailField(
        label="Email address",
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput,
        error_messages={"required": "Enter your password"},
    )
    error_messages = {
        "invalid_login": "Enter a correct email address and password. Both are case sensitive.",
        "inactive": "This account has been disabled. Contact your organisation's administrator.",
        "locked": (
            "Too many failed attempts. This account is locked for "
            f"{settings.LOGIN_LOCKOUT_MINUTES} minutes: try again later or ask your administrator."
        ),
    }

    def clean(self):
        email = (self.cleaned_data.get("username") or "").lower()
        if email and login_is_locked(email):
            raise forms.ValidationError(self.error_messages["locked"], code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if email:
                login_failure_record(
                    email, self.request.META.get("REMOTE_ADDR") if self.request else None
                )
            raise
        if email:
            login_failures_clear(email)
        return cleaned
