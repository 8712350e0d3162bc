from django.http import JsonResponse
from django.urls import path

from config.urls import urlpatterns as service_urlpatterns


def bare(request):
    """A bare Django JSON endpoint through the same middleware: the baseline."""
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/bare", bare), *service_urlpatterns]
