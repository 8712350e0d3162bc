"""The home page and the Immigration Enforcement pages."""

from django.urls import path

from . import public_views, views

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
    path("holds/<str:reference>", views.hold_detail, name="hold_detail"),
    path("holds/<str:reference>/confirm-end", views.hold_confirm_end, name="hold_confirm_end"),
    path("holds/<str:reference>/override", views.hold_override_request, name="hold_override"),
]
