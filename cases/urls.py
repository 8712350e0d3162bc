"""Police pages, mounted at /cases/."""

from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list_page, name="list"),
    path("referral/", views.referral_start, name="referral_start"),
    path("referral/dependant", views.referral_dependant, name="referral_dependant"),
    path(
        "referral/dependant/<int:index>/remove",
        views.referral_dependant_remove,
        name="referral_dependant_remove",
    ),
    path("referral/check-your-answers", views.referral_check, name="referral_check"),
    path("referral/<slug:slug>", views.referral_step, name="referral_step"),
    path("<uuid:case_id>", views.case_detail, name="detail"),
    path("<uuid:case_id>/referral-logged", views.referral_done, name="referral_done"),
]
