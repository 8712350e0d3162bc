from django.urls import path

from . import audit_views, views

app_name = "accounts"

urlpatterns = [
    path("login", views.SignInView.as_view(), name="login"),
    path("logout", views.SignOutView.as_view(), name="logout"),
    path("set-password/<uidb64>/<token>", views.PasswordSetView.as_view(), name="password_set"),
    # Administrators: user accounts and organisations.
    path("users", views.user_list, name="user_list"),
    path("users/new", views.user_new, name="user_new"),
    path("users/<uuid:user_id>", views.user_detail, name="user_detail"),
    path("users/<uuid:user_id>/set-up-link", views.user_set_up_link, name="user_set_up_link"),
    path("organisations", views.organisation_list, name="organisation_list"),
    path("organisations/new", views.organisation_new, name="organisation_new"),
    path("organisations/<slug:code>", views.organisation_detail, name="organisation_detail"),
    # Auditors: the access and disclosure log.
    path("audit-log", audit_views.audit_log, name="audit_log"),
]
