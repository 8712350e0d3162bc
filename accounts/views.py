from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import transaction

from .audit import record_access
from .forms import PasswordSetForm, SignInForm


class SignInView(auth_views.LoginView):
    """Email and password; an account is locked after repeated failures (see `SignInForm`)."""

    template_name = "accounts/login.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["failure_limit"] = settings.LOGIN_FAILURE_LIMIT
        context["lockout_minutes"] = settings.LOGIN_LOCKOUT_MINUTES
        return context

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            record_access(user=form.get_user(), action="sign_in", request=self.request)
        return response


class SignOutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, "You have signed out.")
        return response


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """The one-time set-up link printed by `create_user` without `--password`."""

    template_name = "accounts/password_set.html"
    form_class = PasswordSetForm
    success_url = "/accounts/login"
    post_reset_login = False
