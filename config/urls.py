from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import IsAuthenticated

from core import health, views

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("victims.api.urls")),
    path("", include("cases.api.urls")),
    path("", include("protocol.api.urls")),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("language/<str:code>", views.choose_language, name="choose_language"),
    path("api/v1/", include(api_v1)),
    # The schema and its browser need a signed-in user (a token, or the session).
    path(
        "api/schema/",
        SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]),
        name="schema",
    ),
    path(
        "api/docs/",
        login_required(SpectacularSwaggerView.as_view(url_name="schema")),
        name="api-docs",
    ),
    # Anything else under /api/ is a JSON 404, with DEBUG on too (never Django's HTML page).
    re_path(r"^api/", views.api_not_found),
    # The admin site signs in through the site's own sign-in page, never its own form, so the
    # second factor, the lockout and the access log apply there too.
    path("admin/login/", views.admin_sign_in, name="admin-sign-in"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("cases/", include("cases.urls")),
    path("victims/", include("victims.urls")),
    path("", include("protocol.urls")),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
