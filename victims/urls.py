"""Victim pages, mounted at /victims/."""

from django.urls import path

from . import views

app_name = "victims"

urlpatterns = [
    path("possible-duplicates", views.possible_duplicates, name="possible_duplicates"),
    path(
        "possible-duplicates/<uuid:pair_id>",
        views.possible_duplicate_decide,
        name="possible_duplicate_decide",
    ),
    path("", views.victim_list_page, name="list"),
    path("<uuid:victim_id>", views.victim_detail, name="detail"),
    path("<uuid:victim_id>/support-referral", views.support_referral, name="support_referral"),
    path("<uuid:victim_id>/applications/new", views.application_new, name="application_new"),
    path("<uuid:victim_id>/record", views.victim_record, name="record"),
    path("applications/<uuid:application_id>", views.application_change, name="application_change"),
    path("referrals", views.referral_list, name="referrals"),
    path(
        "referrals/<uuid:referral_id>/accept",
        views.referral_decide,
        {"decision": "accept"},
        name="referral_accept",
    ),
    path(
        "referrals/<uuid:referral_id>/decline",
        views.referral_decide,
        {"decision": "decline"},
        name="referral_decline",
    ),
    path(
        "<uuid:victim_id>/consent-withdrawal",
        views.consent_withdrawal,
        name="consent_withdrawal",
    ),
    path(
        "applications/<uuid:application_id>/take-over",
        views.application_take_over,
        name="application_take_over",
    ),
]
