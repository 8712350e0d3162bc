from django.urls import path

from . import unreported, views

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
    path(
        "unreported-crimes",
        unreported.UnreportedCrimeListView.as_view(),
        name="api-unreported-crimes",
    ),
    path(
        "unreported-crimes/<uuid:crime_id>",
        unreported.UnreportedCrimeDetailView.as_view(),
        name="api-unreported-crime",
    ),
]
