from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    """Each role's own work."""
    return render(request, "protocol/home.html", {"roles": sorted(request.user.roles)})
