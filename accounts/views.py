"""Signing in and out, the one-time set-up link, and administrators' pages for managing user
accounts and organisations.

The management pages show accounts and organisations only: names, email addresses, roles,
contact points. Nothing on them reads a victim, a case or a hold. Every change goes through
the services an API call would use (`accounts.services`), so both say no in the same way:
no password is ever set by an administrator (a set-up link is emailed to the user), nobody
changes their own roles, and role changes and deactivations are access events.
"""

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.errors import ConflictError
from core.permissions import audited, listed, role_required, viewed_or_404
from core.roles import Role

from . import services
from .api import selectors
from .forms import OrganisationForm, PasswordSetForm, SignInForm, UserForm
from .models import Organisation, User

ADMINISTRATOR = (Role.ADMINISTRATOR,)


class SignInView(auth_views.LoginView):
    """Email and password; an account is locked for an address after repeated failures there
    (see `SignInForm` and `accounts.services.sign_in_check`)."""

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
            services.sign_in_complete(user=form.get_user(), request=self.request, via="page")
        return response


class SignOutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            with transaction.atomic():
                services.sign_out_record(user=request.user, request=request)
        response = super().post(request, *args, **kwargs)
        messages.success(request, _("You have signed out."))
        return response


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """The one-time set-up link (emailed by an administrator, or printed by `create_user`
    without `--password`)."""

    template_name = "accounts/password_set.html"
    form_class = PasswordSetForm
    success_url = "/accounts/login"
    post_reset_login = False

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.request = self.request
        return form

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set. Sign in with it now."))
        return response


# --- Administrators: user accounts ------------------------------------------------------------


def _user_initial(account: User) -> dict:
    return {
        "full_name": account.full_name,
        "organisation": account.organisation.code if account.organisation else "",
        "roles": sorted(account.roles),
        "is_active": account.is_active,
    }


@role_required(*ADMINISTRATOR, object_type="user")
def user_list(request):
    """Every user account, filterable by organisation."""
    code = request.GET.get("organisation", "")
    organisation = Organisation.objects.filter(code=code).first() if code else None
    accounts = selectors.user_list(
        user=request.user, organisation=organisation.code if organisation else None
    )
    rows, listing = listed(
        request,
        accounts,
        object_type="user",
        detail=f"organisation={organisation.code}" if organisation else "",
    )
    return render(
        request,
        "accounts/user_list.html",
        {
            "accounts": rows,
            "organisations": Organisation.objects.order_by("name"),
            "organisation": organisation,
            **listing,
        },
    )


@role_required(*ADMINISTRATOR, object_type="user", actions={"POST": "create"})
def user_new(request):
    """Create an account: its user is emailed a link to set their own password."""
    form = UserForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with audited(request, action="create", object_type="user") as access:
                account = services.user_create(
                    by=request.user,
                    email=data["email"],
                    organisation=data["organisation"],
                    roles=data["roles"],
                    full_name=data["full_name"],
                    base_url=services.site_url(request),
                    request=request,
                )
                access.object_id = str(account.pk)
        except (ValidationError, ConflictError) as error:
            form.apply_service_errors(error)
        else:
            messages.success(
                request,
                _("Account created. A link to set their password was sent to %(email)s.")
                % {"email": account.email},
            )
            return redirect("accounts:user_detail", user_id=account.pk)
    return render(request, "accounts/user_form.html", {"form": form, "account": None})


@role_required(*ADMINISTRATOR, object_type="user")
def user_detail(request, user_id: UUID):
    """Change an account's name, organisation, roles or active state; send a set-up link."""
    account = viewed_or_404(
        request, selectors.user_get, object_type="user", hidden=User, user_id=user_id
    )
    own = account.pk == request.user.pk
    form = UserForm(
        request.POST if request.method == "POST" else None,
        initial=_user_initial(account),
        editing=True,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with audited(request, action="change", object_type="user", object_id=account.pk):
                services.user_update(
                    by=request.user,
                    account=account,
                    organisation=data["organisation"],
                    roles=data["roles"],
                    full_name=data["full_name"],
                    is_active=data["is_active"],
                    request=request,
                )
        except PermissionDenied as refusal:  # recorded as denied by audited
            form.add_error(None, str(refusal))
        except (ValidationError, ConflictError) as error:
            form.apply_service_errors(error)
        else:
            messages.success(
                request, _("The account of %(email)s is saved.") % {"email": account.email}
            )
            return redirect("accounts:user_detail", user_id=account.pk)
    return render(
        request, "accounts/user_form.html", {"form": form, "account": account, "own": own}
    )


@role_required(*ADMINISTRATOR, object_type="user")
def user_set_up_link(request, user_id: UUID):
    """Email the account's user a new link to set their own password (POST only)."""
    if request.method != "POST":
        return redirect("accounts:user_detail", user_id=user_id)
    access = {"object_id": user_id, "detail": services.SET_UP_LINK_SENT, "hidden": User}
    try:
        with audited(request, action="change", object_type="user", **access):
            account = selectors.user_get(user=request.user, user_id=user_id)
            services.set_up_link_send(account=account, base_url=services.site_url(request))
    except ConflictError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("A link to set their password was sent to %(email)s.") % {"email": account.email},
        )
    return redirect("accounts:user_detail", user_id=user_id)


# --- Administrators: organisations ------------------------------------------------------------


@role_required(*ADMINISTRATOR, object_type="organisation")
def organisation_list(request):
    """Every organisation, with its kind and contact point."""
    rows, listing = listed(
        request, selectors.organisation_list(user=request.user), object_type="organisation"
    )
    return render(request, "accounts/organisation_list.html", {"organisations": rows, **listing})


def _organisation_save(request, form, *, code: str, created_expected: bool):
    data = form.cleaned_data
    action = "create" if created_expected else "change"
    with audited(request, action=action, object_type="organisation") as access:
        if created_expected and Organisation.objects.filter(code=code).exists():
            raise ValidationError({"code": _("An organisation with this code already exists.")})
        organisation, _created = services.organisation_create_or_update(
            kind=data["kind"], code=code, name=data["name"], contact=form.contact()
        )
        access.object_id = str(organisation.pk)
    return organisation


@role_required(*ADMINISTRATOR, object_type="organisation", actions={"POST": "create"})
def organisation_new(request):
    form = OrganisationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = _organisation_save(
                request, form, code=form.cleaned_data["code"], created_expected=True
            )
        except ValidationError as error:
            form.apply_service_errors(error, {"contact": "contact_team"})
        else:
            messages.success(request, _("%(name)s is created.") % {"name": organisation.name})
            return redirect("accounts:organisation_list")
    return render(request, "accounts/organisation_form.html", {"form": form, "organisation": None})


@role_required(*ADMINISTRATOR, object_type="organisation")
def organisation_detail(request, code: str):
    try:
        organisation = _organisation_get(user=request.user, code=code)
    except Organisation.DoesNotExist:
        raise Http404 from None
    form = OrganisationForm(
        request.POST if request.method == "POST" else None,
        initial={
            "name": organisation.name,
            "kind": organisation.kind,
            "contact_team": organisation.contact_team,
            "contact_phone": organisation.contact_phone,
            "contact_email": organisation.contact_email,
        },
        editing=True,
    )
    if request.method == "POST" and form.is_valid():
        try:
            _organisation_save(request, form, code=organisation.code, created_expected=False)
        except ValidationError as error:
            form.apply_service_errors(error, {"contact": "contact_team"})
        else:
            messages.success(request, _("%(name)s is saved.") % {"name": form.cleaned_data["name"]})
            return redirect("accounts:organisation_list")
    return render(
        request, "accounts/organisation_form.html", {"form": form, "organisation": organisation}
    )


def _organisation_get(*, user, code: str) -> Organisation:
    return selectors.organisation_list(user=user).get(code=code)
