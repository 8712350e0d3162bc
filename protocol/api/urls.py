from django.urls import path, re_path

from . import views

urlpatterns = [
    path("victims/<uuid:victim_id>/hold", views.HoldView.as_view(), name="api-victim-hold"),
    path(
        "victims/<uuid:victim_id>/export",
        views.SubjectAccessExportView.as_view(),
        name="api-victim-export",
    ),
    path(
        "victims/<uuid:victim_id>/hold/forecast",
        views.HoldForecastView.as_view(),
        name="api-victim-hold-forecast",
    ),
    path("hold-checks", views.HoldCheckView.as_view(), name="api-hold-checks"),
    path("holds", views.ReviewQueueView.as_view(), name="api-holds"),
    re_path(
        r"^holds/(?P<reference>H-[A-Za-z0-9]{1,12})/confirm-end$",
        views.ConfirmEndView.as_view(),
        name="api-hold-confirm-end",
    ),
    path("overrides", views.OverrideListView.as_view(), name="api-overrides"),
    path(
        "overrides/<uuid:override_id>/approve",
        views.OverrideApproveView.as_view(),
        name="api-override-approve",
    ),
    path(
        "overrides/<uuid:override_id>/reject",
        views.OverrideRejectView.as_view(),
        name="api-override-reject",
    ),
    path(
        "overrides/<uuid:override_id>/revoke",
        views.OverrideRevokeView.as_view(),
        name="api-override-revoke",
    ),
    path("statistics", views.StatisticsView.as_view(), name="api-statistics"),
    path("notifications", views.NotificationListView.as_view(), name="api-notifications"),
    path(
        "notifications/<uuid:notification_id>/read",
        views.NotificationReadView.as_view(),
        name="api-notification-read",
    ),
    path(
        "policy-simulations",
        views.PolicySimulationListView.as_view(),
        name="api-policy-simulations",
    ),
    path(
        "policy-simulations/<uuid:simulation_id>",
        views.PolicySimulationView.as_view(),
        name="api-policy-simulation",
    ),
]
