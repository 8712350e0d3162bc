from django.conf import settings
from django.contrib.auth import views as auth_views

from .forms import SignInForm


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["failure_limit"] = settings.LOGIN_FAILURE_LIMIT
        context["lockout_minutes"] = settings.LOGIN_LOCKOUT_MINUTES
        return context


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """The one-time set-up link printed by `create_user` without `--password`."""

    template_name = "accounts/password_set.html"
    success_url = "/accounts/login"
    post_reset_login = False
