from django.urls import path

from . import views

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
        "applications/<uuid:application_id>/take-over",
        views.ApplicationTakeOverView.as_view(),
        name="api-application-take-over",
    ),
    path(
        "support-referrals",
        views.SupportReferralListView.as_view(),
        name="api-support-referrals",
    ),
    path(
        "support-referrals/<uuid:referral_id>/accept",
        views.SupportReferralAcceptView.as_view(),
        name="api-support-referral-accept",
    ),
    path(
        "support-referrals/<uuid:referral_id>/decline",
        views.SupportReferralDeclineView.as_view(),
        name="api-support-referral-decline",
    ),
    path(
        "victims/<uuid:victim_id>/consent-withdrawals",
        views.ConsentWithdrawalView.as_view(),
        name="api-victim-consent-withdrawals",
    ),
]
