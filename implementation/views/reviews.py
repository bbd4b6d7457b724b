"""Pages for weekly review meetings, their action items and the next meeting's agenda.

Doors onto implementation.selectors.reviews, implementation.services.reviews and
implementation.agenda. Every page works without JavaScript; with htmx, status changes and
new action items swap one table row and send ACTION_ITEMS_CHANGED.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from implementation import agenda as agendas
from implementation.choices import OPEN_ACTION_STATUSES, ActionItemStatus
from implementation.review_forms import (
    UNRESOLVED,
    ActionItemEditForm,
    ActionItemFilter,
    ActionItemForm,
    ActionStatusForm,
    MeetingForm,
)
from implementation.selectors import reviews as selectors
from implementation.services import reviews as services
from projects import policy
from projects.errors import ApplicationError
from projects.policy import Capability, project_view
from projects.web import UNPROCESSABLE, apply_error, is_partial, paginate, query_without_page

ACTION_ITEMS_CHANGED = "actionItemsChanged"


# --- Helpers ------------------------------------------------------------------------------


def _mark_overdue(items, today) -> list:
    for item in items:
        item.overdue = item.status in OPEN_ACTION_STATUSES and item.due_date < today
    return items


def _row_context(request, project, next_url: str) -> dict:
    """What every action item row needs besides the item itself."""
    return {
        "project": project,
        "can_manage": policy.can(request.user, project, Capability.MANAGE_REVIEWS),
        "user_pk": request.user.pk,
        "statuses": ActionItemStatus.choices,
        "next_url": next_url,
    }


def _safe_next(request, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _action_list_url(project) -> str:
    return reverse("implementation:action-list", args=[project.code])


def _row_response(request, project, item, *, next_url, status=200, row_error=None):
    item.project = project
    _mark_overdue([item], project.local_today())
    context = {**_row_context(request, project, next_url), "item": item, "row_error": row_error}
    response = render(
        request, "implementation/reviews/partials.html#action-row", context, status=status
    )
    if status == 200:
        trigger_client_event(response, ACTION_ITEMS_CHANGED)
    return response


# --- Meetings -----------------------------------------------------------------------------


@project_view(Capability.VIEW_PROJECT)
@require_GET
def meeting_list(request, project):
    """Past meetings, newest first, and the way to the next agenda."""
    page = paginate(request, selectors.meeting_list(user=request.user, project=project))
    context = {
        "project": project,
        "page": page,
        "next_meeting_at": agendas.next_review_at(project, timezone.now()),
        "can_manage": policy.can(request.user, project, Capability.MANAGE_REVIEWS),
    }
    return render(request, "implementation/reviews/meeting_list.html", context)


@project_view(Capability.VIEW_PROJECT)
@require_GET
def agenda(request, project):
    """The next meeting's date and time in the project's time zone, and every section."""
    context = {
        "project": project,
        "agenda": agendas.build_agenda(project=project),
        "can_manage": policy.can(request.user, project, Capability.MANAGE_REVIEWS),
    }
    return render(request, "implementation/reviews/agenda.html", context)


def _meeting_form_page(request, project, form, *, meeting=None, status=200):
    today = project.local_today()
    context = {
        "project": project,
        "form": form,
        "meeting": meeting,
        "open_items": (
            _mark_overdue(selectors.open_action_items(user=request.user, project=project), today)
            if meeting is None
            else []
        ),
        **_row_context(request, project, request.get_full_path()),
    }
    return render(request, "implementation/reviews/meeting_form.html", context, status=status)


@project_view(Capability.MANAGE_REVIEWS)
@require_http_methods(["GET", "POST"])
def meeting_create(request, project):
    """Record a meeting; the open action items are at hand to update during it."""
    form = MeetingForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_record(
                actor=request.user, project=project, **form.cleaned_data
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(
                request,
                _("Review meeting of %(day)s recorded.") % {"day": meeting.held_on.isoformat()},
            )
            return redirect(meeting)
    status = UNPROCESSABLE if form.is_bound else 200
    return _meeting_form_page(request, project, form, status=status)


@project_view(Capability.MANAGE_REVIEWS)
@require_http_methods(["GET", "POST"])
def meeting_edit(request, project, pk):
    meeting = selectors.meeting_get(user=request.user, project=project, pk=pk)
    form = MeetingForm(request.POST or None, instance=meeting, project=project)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.meeting_update(actor=request.user, meeting=meeting, **changes)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Review meeting saved."))
            return redirect(meeting)
    status = UNPROCESSABLE if form.is_bound else 200
    return _meeting_form_page(request, project, form, meeting=meeting, status=status)


def _meeting_detail_context(request, project, meeting, add_form=None) -> dict:
    actions = selectors.meeting_actions(user=request.user, meeting=meeting)
    today = project.local_today()
    context = _row_context(request, project, request.get_full_path())
    return {
        **context,
        "meeting": meeting,
        "attendees": sorted(meeting.attendees.all(), key=lambda user: user.display_name),
        "raised": _mark_overdue(actions.raised, today),
        "carried_over": _mark_overdue(actions.carried_over, today),
        "add_form": add_form
        or (
            ActionItemForm(project=project, initial={"raised_in": meeting})
            if context["can_manage"]
            else None
        ),
    }


@project_view(Capability.VIEW_PROJECT)
@require_GET
def meeting_detail(request, project, pk):
    """Notes, decisions, attendees, the items raised here and the open ones carried over."""
    meeting = selectors.meeting_get(user=request.user, project=project, pk=pk)
    return render(
        request,
        "implementation/reviews/meeting_detail.html",
        _meeting_detail_context(request, project, meeting),
    )


# --- Action items -------------------------------------------------------------------------


@project_view(Capability.VIEW_PROJECT)
@require_GET
def action_list(request, project):
    """All action items, open or in progress ones unless another status is asked for."""
    filters = request.GET.copy()
    if "status" not in filters:
        filters["status"] = UNRESOLVED
    action_filter = ActionItemFilter(
        filters,
        queryset=selectors.action_item_list(user=request.user, project=project),
    )
    page = paginate(request, action_filter.qs)
    _mark_overdue(page.object_list, project.local_today())
    context = {
        "filter": action_filter,
        "page": page,
        "query": query_without_page(request),
        **_row_context(request, project, request.get_full_path()),
    }
    template = "implementation/reviews/action_list.html"
    return render(request, f"{template}#results" if is_partial(request) else template, context)


def _meeting_from_query(request, project):
    pk = request.GET.get("meeting", "")
    if not pk.isdigit():
        return None
    return selectors.meeting_get(user=request.user, project=project, pk=int(pk))


@project_view(Capability.MANAGE_REVIEWS)
@require_http_methods(["GET", "POST"])
def action_create(request, project):
    """Raise an action item; from a meeting page it lands in that meeting's table."""
    meeting = _meeting_from_query(request, project)
    form = ActionItemForm(
        request.POST or None, project=project, initial={"raised_in": meeting} if meeting else None
    )
    if request.method == "POST" and form.is_valid():
        try:
            item = services.action_item_create(
                actor=request.user, project=project, **form.cleaned_data
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            back = (
                item.raised_in.get_absolute_url() if item.raised_in else _action_list_url(project)
            )
            if is_partial(request):
                return _row_response(request, project, item, next_url=_safe_next(request, back))
            messages.success(request, _("Action item raised."))
            return redirect(back)
    context = {"project": project, "form": form, "meeting": meeting, "item": None}
    if is_partial(request):
        response = render(
            request,
            "implementation/reviews/partials.html#action-add",
            {**context, "add_form": form, "next_url": _safe_next(request, "")},
            status=UNPROCESSABLE,
        )
        response["HX-Retarget"] = "#action-add"
        response["HX-Reswap"] = "outerHTML"
        return response
    status = UNPROCESSABLE if form.is_bound else 200
    return render(request, "implementation/reviews/action_form.html", context, status=status)


@project_view(Capability.MANAGE_REVIEWS)
@require_http_methods(["GET", "POST"])
def action_edit(request, project, pk):
    item = selectors.action_item_get(user=request.user, project=project, pk=pk)
    form = ActionItemEditForm(request.POST or None, instance=item, project=project)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            item = services.action_item_update(actor=request.user, item=item, **changes)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Action item saved."))
            return redirect(_safe_next(request, _action_list_url(project)))
    status = UNPROCESSABLE if form.is_bound else 200
    context = {
        "project": project,
        "form": form,
        "item": item,
        "meeting": item.raised_in,
        "next_url": _safe_next(request, ""),
    }
    return render(request, "implementation/reviews/action_form.html", context, status=status)


@project_view(Capability.VIEW_PROJECT)
@require_POST
def action_status(request, project, pk):
    """One tap: review runners move any item, an owner their own (the service decides)."""
    item = selectors.action_item_get(user=request.user, project=project, pk=pk)
    services.ensure_may_change_status(request.user, item)
    next_url = _safe_next(request, _action_list_url(project))
    form = ActionStatusForm(request.POST)
    if form.is_valid():
        try:
            item = services.action_item_change_status(
                actor=request.user, item=item, status=form.cleaned_data["status"]
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
    if form.errors:
        if is_partial(request):
            errors = [str(message) for messages_ in form.errors.values() for message in messages_]
            return _row_response(
                request,
                project,
                item,
                next_url=next_url,
                status=UNPROCESSABLE,
                row_error=" ".join(errors),
            )
        for messages_ in form.errors.values():
            for message in messages_:
                messages.error(request, message)
        return redirect(next_url)
    if is_partial(request):
        return _row_response(request, project, item, next_url=next_url)
    messages.success(
        request,
        _("%(title)s is now %(status)s.")
        % {"title": item.title, "status": item.get_status_display().lower()},
    )
    return redirect(next_url)


urlpatterns = [
    path("reviews/", meeting_list, name="meeting-list"),
    path("reviews/agenda/", agenda, name="agenda"),
    path("reviews/new/", meeting_create, name="meeting-create"),
    path("reviews/<int:pk>/", meeting_detail, name="meeting-detail"),
    path("reviews/<int:pk>/edit/", meeting_edit, name="meeting-edit"),
    path("actions/", action_list, name="action-list"),
    path("actions/new/", action_create, name="action-create"),
    path("actions/<int:pk>/edit/", action_edit, name="action-edit"),
    path("actions/<int:pk>/status/", action_status, name="action-status"),
]
