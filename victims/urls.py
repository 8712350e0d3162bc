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
]
