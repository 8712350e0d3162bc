from django.urls import path

from . import views

urlpatterns = [
    path("referrals", views.ReferralView.as_view(), name="api-referrals"),
    path("cases", views.CaseListView.as_view(), name="api-cases"),
    path("cases/<uuid:case_id>", views.CaseDetailView.as_view(), name="api-case"),
    path("cases/<uuid:case_id>/status", views.CaseStatusView.as_view(), name="api-case-status"),
]
