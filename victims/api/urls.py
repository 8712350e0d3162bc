from django.urls import path

from . import notice_views, signposting_views, views

urlpatterns = [
    path("victims/<uuid:victim_id>", views.VictimDetailView.as_view(), name="api-victim"),
    path(
        "victims/<uuid:victim_id>/support-referrals",
        views.SupportReferralView.as_view(),
        name="api-victim-support-referrals",
    ),
    path(
        "victims/<uuid:victim_id>/support",
        views.SupportUpdateView.as_view(),
        name="api-victim-support",
    ),
    path(
        "victims/<uuid:victim_id>/applications",
        views.ApplicationCreateView.as_view(),
        name="api-victim-applications",
    ),
    path(
        "applications/<uuid:application_id>",
        views.ApplicationDetailView.as_view(),
        name="api-application",
    ),
    path(
        "victims/<uuid:victim_id>/disclosures",
        views.DisclosureListView.as_view(),
        name="api-victim-disclosures",
    ),
    path("notices", notice_views.NoticeListView.as_view(), name="api-notices"),
    path(
        "notices/<str:version>/<str:language>",
        notice_views.NoticeTextView.as_view(),
        name="api-notice-text",
    ),
    path(
        "victims/<uuid:victim_id>/signposting",
        signposting_views.SignpostingView.as_view(),
        name="api-victim-signposting",
    ),
]
