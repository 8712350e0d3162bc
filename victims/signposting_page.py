"""The signposting page (police and advisers, as for the victim): the routes worth raising for
this person, their rights and the next step, in the language the victim reads (`?language=`),
and a form to record that it was given, recorded as the API records it."""

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.languages import victim_facing
from core.permissions import POLICE_OR_ADVISER, audited, role_required
from protocol.rules.signposting import signpost

from .forms import SignpostingGivenForm
from .models import Victim
from .selectors import signposting_facts, signposting_given, victim_get
from .services import signposting_record
from .signposting_words import signposting_words


@victim_facing()
@role_required(*POLICE_OR_ADVISER, object_type="victim", actions={"POST": "create"})
def signposting_page(request, victim_id: UUID):
    posted = request.method == "POST"
    initial = {"language": get_language()}  # the language the page is shown in
    form = SignpostingGivenForm(request.POST if posted else None, initial=initial)
    if posted and form.is_valid():
        try:
            with audited(
                request, action="create", object_type="victim", object_id=victim_id, hidden=Victim
            ) as access:
                victim = victim_get(user=request.user, victim_id=victim_id)
                signposting_record(victim=victim, by=request.user, **form.cleaned_data)
                access.detail = "signposting given"
        except ValidationError as error:
            form.apply_service_errors(error)
        else:
            messages.success(request, _("Recorded that the victim was given this information."))
            return redirect("victims:detail", victim_id=victim.pk)
    with audited(
        request, action="view", object_type="victim", object_id=victim_id, hidden=Victim
    ) as access:
        victim = victim_get(user=request.user, victim_id=victim_id)
        answer = signposting_words(signpost(signposting_facts(victim), timezone.localdate()))
        given = list(signposting_given(victim))
        access.detail = "signposting"
    context = {"victim": victim, "form": form, "answer": answer, "given": given}
    return render(request, "victims/signposting.html", context)
