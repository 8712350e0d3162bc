"""The home page and the Immigration Enforcement pages."""

from django.urls import path

from . import evaluation_views, forecast_views, public_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("protocol", public_views.protocol_page, name="public_protocol"),
    path("check-a-hold", views.hold_check_page, name="hold_check"),
    path("holds/review", views.review_queue_page, name="review_queue"),
    path("holds/overrides", views.override_list, name="override_list"),
    path("holds/overrides/<uuid:override_id>", views.override_decide, name="override_decide"),
    path(
        "holds/overrides/<uuid:override_id>/revoke",
        views.override_revoke_page,
        name="override_revoke",
    ),
    path("notifications", views.notification_list_page, name="notifications"),
    path(
        "notifications/<uuid:notification_id>/read",
        views.notification_read_page,
        name="notification_read",
    ),
    path("victims/<uuid:victim_id>/export", views.subject_access_page, name="subject_access"),
    path(
        "victims/<uuid:victim_id>/export.pdf", views.subject_access_pdf, name="subject_access_pdf"
    ),
    path(
        "victims/<uuid:victim_id>/hold/forecast",
        forecast_views.hold_forecast_page,
        name="hold_forecast",
    ),
    path("statistics", evaluation_views.statistics_page, name="statistics"),
    path("statistics.csv", evaluation_views.statistics_csv, name="statistics_csv"),
    path("policy-simulations", evaluation_views.simulation_new, name="simulation_new"),
    path(
        "policy-simulations/<uuid:simulation_id>",
        evaluation_views.simulation_detail,
        name="simulation_detail",
    ),
    path("holds/<str:reference>", views.hold_detail, name="hold_detail"),
    path("holds/<str:reference>/confirm-end", views.hold_confirm_end, name="hold_confirm_end"),
    path("holds/<str:reference>/override", views.hold_override_request, name="hold_override"),
]
