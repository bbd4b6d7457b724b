"""A member turns the weekly review e-mail for one project off or on (their own only).

Door onto implementation.services.reminders. Works without JavaScript (redirect to the
team page); with htmx it swaps the small toggle form.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from implementation.services import reminders as services
from projects.errors import ApplicationError
from projects.policy import Capability, project_view
from projects.web import UNPROCESSABLE, is_partial

TEMPLATE = "implementation/reminders/opt_out.html"


@project_view(Capability.VIEW_PROJECT)
@require_POST
def reminder_opt_out(request, project):
    """POST opt_out=1 to stop the e-mail, opt_out=0 to get it again."""
    opt_out = request.POST.get("opt_out") == "1"
    try:
        membership = services.membership_digest_opt_out_set(
            actor=request.user, project=project, opt_out=opt_out
        )
    except ApplicationError as error:
        if is_partial(request):
            context = {"project": project, "membership": None, "error": error.message}
            return render(request, TEMPLATE, context, status=UNPROCESSABLE)
        messages.error(request, error.message)
        return redirect("projects:team", code=project.code)
    if is_partial(request):
        return render(request, TEMPLATE, {"project": project, "membership": membership})
    if opt_out:
        messages.success(request, _("You will no longer get the weekly review e-mail."))
    else:
        messages.success(request, _("You will get the weekly review e-mail again."))
    return redirect("projects:team", code=project.code)


urlpatterns = [
    path("reminders/opt-out/", reminder_opt_out, name="reminder-opt-out"),
]
