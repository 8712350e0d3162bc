"""Victim pages, mounted at /victims/."""

from django.urls import path

from . import signposting_page, views

app_name = "victims"

urlpatterns = [
    path("", views.victim_list_page, name="list"),
    path("<uuid:victim_id>", views.victim_detail, name="detail"),
    path("<uuid:victim_id>/support-referral", views.support_referral, name="support_referral"),
    path("<uuid:victim_id>/applications/new", views.application_new, name="application_new"),
    path("<uuid:victim_id>/record", views.victim_record, name="record"),
    path("<uuid:victim_id>/signposting", signposting_page.signposting_page, name="signposting"),
    path("applications/<uuid:application_id>", views.application_change, name="application_change"),
]
