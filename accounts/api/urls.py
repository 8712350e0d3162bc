from django.urls import path

from . import views

urlpatterns = [
    path("auth/token", views.TokenView.as_view(), name="api-token"),
    path("organisations", views.OrganisationListView.as_view(), name="api-organisations"),
    path("users", views.UserListView.as_view(), name="api-users"),
    path("users/<uuid:user_id>", views.UserDetailView.as_view(), name="api-user"),
    path(
        "users/<uuid:user_id>/set-up-link",
        views.UserSetUpLinkView.as_view(),
        name="api-user-set-up-link",
    ),
    path("audit-events", views.AccessEventListView.as_view(), name="api-audit-events"),
]
