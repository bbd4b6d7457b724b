"""Support ticket pages: the list, raising a ticket from a phone, one ticket with its SLA
clocks, moves, comments, files and history, and the self-refreshing triage board.

Doors onto implementation.selectors.tickets and implementation.services.hypercare. Reading
needs only to see the project; raising needs RAISE_TICKETS; every other write is decided
by the service (the support team of policy.can_handle_tickets, or the reporter closing and
reopening their own resolved ticket), and the page offers only what `may_move` and the
same predicates allow. Everything works without JavaScript; with htmx, comments and files
update in place and the board refreshes itself.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from implementation import hypercare
from implementation.choices import TICKET_TRANSITIONS, TicketStatus
from implementation.selectors import tickets as selectors
from implementation.services import hypercare as services
from implementation.ticket_forms import (
    MODULE_SUGGESTIONS_ID,
    AssignForm,
    AttachmentForm,
    CommentForm,
    LinkChangeForm,
    TicketEditForm,
    TicketFilter,
    TicketRaiseForm,
    TransitionForm,
)
from implementation.views.configuration import in_project_time_zone
from projects import policy
from projects.errors import ApplicationError
from projects.policy import Capability, project_view
from projects.web import UNPROCESSABLE, apply_error, is_partial, paginate, query_without_page
from uat import attachments

LIST_PAGE_SIZE = 50
TICKETS_CHANGED = "ticketsChanged"
BOARD_LIVE = "implementation/hypercare/tickets/board.html#live"
DETAIL = "implementation/hypercare/tickets/detail.html"
S = TicketStatus
MOVE_ORDER = (S.ACKNOWLEDGED, S.IN_PROGRESS, S.RESOLVED, S.CLOSED)
MOVE_LABELS = {
    S.ACKNOWLEDGED: gettext_lazy("Acknowledge"),
    S.IN_PROGRESS: gettext_lazy("Start work"),
    S.RESOLVED: gettext_lazy("Mark resolved"),
    S.CLOSED: gettext_lazy("Close: it is fixed"),
}
DONE = frozenset({S.RESOLVED, S.CLOSED})


def _detail_url(project, ticket) -> str:
    return reverse("hypercare:ticket", args=[project.code, ticket.number])


def _can_write(user, project) -> bool:
    """Who may comment on and attach files to tickets (the services' rule)."""
    return policy.can(user, project, Capability.RAISE_TICKETS) or policy.can_handle_tickets(
        user, project
    )


def _ensure_handler(user, project) -> None:
    if not policy.can_handle_tickets(user, project):
        raise PermissionDenied(_("Only the support team does this."))


# --- List ---------------------------------------------------------------------------------


def _list_context(request, project) -> dict:
    ticket_filter = TicketFilter(
        request.GET,
        queryset=selectors.ticket_list(user=request.user, project=project),
        user=request.user,
    )
    page = paginate(request, ticket_filter.qs, LIST_PAGE_SIZE)
    now = timezone.now()
    return {
        "project": project,
        "filter": ticket_filter,
        "page": page,
        "now": now,
        "rows": selectors.with_sla_states(page.object_list, project, now),
        "counts": selectors.ticket_counts(project=project, now=now),
        "query": query_without_page(request),
        "can_raise": policy.can(request.user, project, Capability.RAISE_TICKETS),
        "module_suggestions": selectors.module_suggestions(project=project),
        "module_suggestions_id": MODULE_SUGGESTIONS_ID,
    }


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_GET
def ticket_list(request, project):
    """Tickets, filtered, 50 a page, with their SLA state; open and breached counts on top."""
    context = _list_context(request, project)
    template = "implementation/hypercare/tickets/list.html"
    if is_partial(request):
        template += "#results"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- Raise --------------------------------------------------------------------------------


@project_view(Capability.RAISE_TICKETS)
@in_project_time_zone
@require_http_methods(["GET", "POST"])
def ticket_new(request, project):
    """Raise a ticket, with a screenshot if there is one: both are saved, or neither."""
    form = TicketRaiseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                ticket = services.ticket_raise(
                    actor=request.user,
                    project=project,
                    module=data["module"],
                    title=data["title"],
                    description=data["description"],
                    severity=data["severity"],
                    business_impact=data["business_impact"],
                )
                if data["file"] is not None:
                    services.ticket_attach(actor=request.user, ticket=ticket, upload=data["file"])
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(
                request,
                _("%(ticket)s raised. The SLA clock is running.")
                % {"ticket": ticket.display_number},
            )
            return redirect(_detail_url(project, ticket))
    context = {
        "project": project,
        "form": form,
        "module_suggestions": selectors.module_suggestions(project=project),
        "module_suggestions_id": MODULE_SUGGESTIONS_ID,
    }
    status = UNPROCESSABLE if form.is_bound else 200
    return render(request, "implementation/hypercare/tickets/new.html", context, status=status)


# --- One ticket ---------------------------------------------------------------------------


def _moves(request, ticket, bound: TransitionForm | None = None) -> list[dict]:
    """The moves this user may make now, from the map and predicate the service checks."""
    allowed = TICKET_TRANSITIONS.get(ticket.status, set())
    moves = []
    for target in MOVE_ORDER:
        if target not in allowed or not services.may_move(request.user, ticket, target):
            continue
        is_reopen = target == S.IN_PROGRESS and ticket.status in DONE
        if bound is not None and bound.data.get("status") == target:
            form = bound
        else:
            form = TransitionForm(initial={"status": target}, auto_id=f"id_{target}_%s")
        moves.append(
            {
                "status": target,
                "label": _("Reopen") if is_reopen else MOVE_LABELS[target],
                "is_reopen": is_reopen,
                # Reopening must say why; a fix may say what was done.
                "asks_comment": is_reopen or target == S.RESOLVED,
                "form": form,
            }
        )
    return moves


def _detail_context(request, project, ticket, **extra) -> dict:
    now = timezone.now()
    response_clock, resolution_clock = hypercare.clocks(ticket, services.working_time(project), now)
    can_handle = policy.can_handle_tickets(request.user, project)
    context = {
        "project": project,
        "ticket": ticket,
        "now": now,
        "clocks": [
            {
                "key": "response",
                "label": _("Response"),
                "stopped_label": _("First response"),
                "clock": response_clock,
                "is_breached": (response_clock.stopped_at or now) > response_clock.due_at,
                "left_text": selectors.working_text(response_clock.left),
            },
            {
                "key": "resolution",
                "label": _("Resolution"),
                "stopped_label": _("Resolved"),
                "clock": resolution_clock,
                "is_breached": (resolution_clock.stopped_at or now) > resolution_clock.due_at,
                "left_text": selectors.working_text(resolution_clock.left),
            },
        ],
        "moves": _moves(request, ticket, extra.pop("bound", None)),
        "can_handle": can_handle,
        # The defect is reported in the actor's name, so defect_report's rule applies too.
        "can_convert": can_handle and policy.can(request.user, project, Capability.LOG_DEFECTS),
        "can_write": _can_write(request.user, project),
        "comments": selectors.ticket_comments(ticket=ticket),
        "attachments": selectors.ticket_attachments(ticket=ticket),
        "events": selectors.ticket_history(ticket=ticket),
        "comment_form": CommentForm(),
        "attachment_form": AttachmentForm(),
        "link_form": LinkChangeForm(),
    }
    if can_handle:
        context["assign_form"] = AssignForm(
            initial={"assignee": ticket.assignee_id},
            team=selectors.support_team(project=project),
        )
    context.update(extra)
    return context


def _detail_page(request, project, ticket, status=200, **extra):
    return render(
        request, DETAIL, _detail_context(request, project, ticket, **extra), status=status
    )


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_GET
def ticket_detail(request, project, number):
    ticket = selectors.ticket_get(user=request.user, project=project, number=number)
    return _detail_page(request, project, ticket)


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_POST
def ticket_transition(request, project, number):
    """Move a ticket; the service decides who may (PermissionDenied is a 403)."""
    ticket = selectors.ticket_get(user=request.user, project=project, number=number)
    services.ensure_may_move_ticket(request.user, ticket)
    target = request.POST.get("status", "")
    form = TransitionForm(request.POST, auto_id=f"id_{target if target in S.values else 'move'}_%s")
    if form.is_valid():
        try:
            moved = services.ticket_transition(
                actor=request.user,
                ticket=ticket,
                status=form.cleaned_data["status"],
                comment=form.cleaned_data["comment"],
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
    if form.errors:
        if not any(move["form"] is form for move in _moves(request, ticket, form)):
            # A hand-made request for a move the page does not offer: say it on top.
            for texts in form.errors.values():
                for text in texts:
                    messages.error(request, text)
        return _detail_page(request, project, ticket, UNPROCESSABLE, bound=form)
    messages.success(
        request,
        _("%(ticket)s is now %(status)s.")
        % {"ticket": ticket.display_number, "status": moved.get_status_display().lower()},
    )
    return redirect(_detail_url(project, ticket))


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_http_methods(["GET", "POST"])
def ticket_edit(request, project, number):
    """The support team edits a ticket (severity, assignee, wording); the detail page's
    assign box posts here too, with only the assignee."""
    ticket = selectors.ticket_get(user=request.user, project=project, number=number)
    _ensure_handler(request.user, project)
    team = selectors.support_team(project=project)
    if request.method == "POST" and request.POST.get("form") == AssignForm.FORM:
        return _assign(request, project, ticket, team)
    form = TicketEditForm(request.POST or None, instance=ticket, team=team)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "comment"}
        comment = form.cleaned_data["comment"]
        # The form wrote into the instance; the service compares against the stored row.
        ticket = selectors.ticket_get(user=request.user, project=project, number=number)
        try:
            if changes or comment:
                services.ticket_update(
                    actor=request.user, ticket=ticket, comment=comment, **changes
                )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(
                request,
                _("%(ticket)s saved.") % {"ticket": ticket.display_number}
                if changes or comment
                else _("Nothing changed."),
            )
            return redirect(_detail_url(project, ticket))
    context = {
        "project": project,
        "ticket": ticket,
        "form": form,
        "module_suggestions": selectors.module_suggestions(project=project),
        "module_suggestions_id": MODULE_SUGGESTIONS_ID,
    }
    status = UNPROCESSABLE if form.is_bound else 200
    return render(request, "implementation/hypercare/tickets/edit.html", context, status=status)


def _assign(request, project, ticket, team):
    form = AssignForm(request.POST, team=team)
    if form.is_valid():
        assignee = form.cleaned_data["assignee"]
        try:
            if assignee != ticket.assignee:
                services.ticket_update(actor=request.user, ticket=ticket, assignee=assignee)
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            messages.success(
                request,
                _("%(ticket)s is assigned to %(person)s.")
                % {"ticket": ticket.display_number, "person": assignee.display_name}
                if assignee
                else _("%(ticket)s is unassigned.") % {"ticket": ticket.display_number},
            )
            return redirect(_detail_url(project, ticket))
    return _detail_page(request, project, ticket, UNPROCESSABLE, assign_form=form)


# --- Comments and files -------------------------------------------------------------------


def _section(request, project, ticket, partial, status=200, **extra):
    context = _detail_context(request, project, ticket, **extra)
    response = render(request, f"{DETAIL}#{partial}", context, status=status)
    if status == 200:
        response["HX-Trigger"] = TICKETS_CHANGED
    return response


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_POST
def ticket_comment(request, project, number):
    ticket = selectors.ticket_get(user=request.user, project=project, number=number)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_comment_add(
                actor=request.user, ticket=ticket, body=form.cleaned_data["body"]
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            if is_partial(request):
                return _section(request, project, ticket, "comments")
            messages.success(request, _("Comment added."))
            return redirect(_detail_url(project, ticket))
    elif not _can_write(request.user, project):
        raise PermissionDenied(_("Your role on this project does not allow you to comment."))
    if is_partial(request):
        return _section(request, project, ticket, "comments", UNPROCESSABLE, comment_form=form)
    return _detail_page(request, project, ticket, UNPROCESSABLE, comment_form=form)


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_POST
def ticket_attach(request, project, number):
    ticket = selectors.ticket_get(user=request.user, project=project, number=number)
    if not _can_write(request.user, project):
        raise PermissionDenied(_("Your role on this project does not allow you to attach files."))
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.ticket_attach(
                actor=request.user, ticket=ticket, upload=form.cleaned_data["file"]
            )
        except (ApplicationError, ValidationError) as error:
            apply_error(form, error)
        else:
            if is_partial(request):
                return _section(request, project, ticket, "attachments")
            messages.success(request, _("File attached."))
            return redirect(_detail_url(project, ticket))
    if is_partial(request):
        return _section(
            request, project, ticket, "attachments", UNPROCESSABLE, attachment_form=form
        )
    return _detail_page(request, project, ticket, UNPROCESSABLE, attachment_form=form)


@project_view(Capability.VIEW_PROJECT)
@require_GET
def ticket_attachment(request, project, number, pk):
    """Served through the policy, only to members of the ticket's own project."""
    attachment = selectors.attachment_get(user=request.user, project=project, number=number, pk=pk)
    return attachments.attachment_response(attachment)


# --- Defect and configuration change ------------------------------------------------------


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_POST
def ticket_convert(request, project, number):
    """Log the ticket as a defect (support team); the ticket then links to it."""
    ticket = selectors.ticket_get(user=request.user, project=project, number=number)
    _ensure_handler(request.user, project)
    try:
        ticket = services.ticket_convert_to_defect(actor=request.user, ticket=ticket)
    except (ApplicationError, ValidationError) as error:
        texts = error.messages if isinstance(error, ValidationError) else [error.message]
        for text in texts:
            messages.error(request, text)
        return _detail_page(request, project, ticket, UNPROCESSABLE)
    messages.success(
        request,
        _("%(ticket)s is logged as defect %(defect)s.")
        % {"ticket": ticket.display_number, "defect": ticket.defect.display_number},
    )
    return redirect(_detail_url(project, ticket))


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_POST
def ticket_link_change(request, project, number):
    """Link the configuration change that fixed the ticket, by its CFG number."""
    ticket = selectors.ticket_get(user=request.user, project=project, number=number)
    _ensure_handler(request.user, project)
    form = LinkChangeForm(request.POST)
    if form.is_valid():
        change = selectors.change_by_number(project=project, number=form.cleaned_data["change"])
        if change is None:
            form.add_error("change", _("The configuration log has no such change."))
        else:
            try:
                services.ticket_link_change(actor=request.user, ticket=ticket, change=change)
            except (ApplicationError, ValidationError) as error:
                apply_error(form, error)
            else:
                messages.success(
                    request,
                    _("%(ticket)s is linked to %(change)s.")
                    % {"ticket": ticket.display_number, "change": change.display_number},
                )
                return redirect(_detail_url(project, ticket))
    return _detail_page(request, project, ticket, UNPROCESSABLE, link_form=form)


# --- Triage board -------------------------------------------------------------------------


def _board_context(request, project) -> dict:
    unassigned_only = request.GET.get("unassigned") == "1"
    now = timezone.now()
    columns = selectors.board_columns(
        user=request.user, project=project, unassigned_only=unassigned_only, now=now
    )
    return {
        "project": project,
        # Cards link to tickets/<number>/ below it: one reverse() rather than one per card.
        "tickets_url": reverse("hypercare:tickets", args=[project.code]),
        "columns": columns,
        "breached": sum(column.breached for column in columns),
        "total": sum(column.count for column in columns),
        "unassigned_only": unassigned_only,
        "now": now,
    }


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_GET
def board(request, project):
    """Open tickets in four severity columns, breaching soonest first."""
    context = _board_context(request, project)
    context["can_raise"] = policy.can(request.user, project, Capability.RAISE_TICKETS)
    return render(request, "implementation/hypercare/tickets/board.html", context)


@project_view(Capability.VIEW_PROJECT)
@in_project_time_zone
@require_GET
def board_live(request, project):
    """Only the columns, which the board polls every 60 seconds."""
    response = render(request, BOARD_LIVE, _board_context(request, project))
    patch_vary_headers(response, ["HX-Request"])
    return response


urlpatterns = [
    path("tickets/", ticket_list, name="tickets"),
    path("tickets/new/", ticket_new, name="ticket-new"),
    path("tickets/<int:number>/", ticket_detail, name="ticket"),
    path("tickets/<int:number>/move/", ticket_transition, name="ticket-transition"),
    path("tickets/<int:number>/edit/", ticket_edit, name="ticket-edit"),
    path("tickets/<int:number>/comments/", ticket_comment, name="ticket-comment"),
    path("tickets/<int:number>/attachments/", ticket_attach, name="ticket-attach"),
    path(
        "tickets/<int:number>/attachments/<int:pk>/",
        ticket_attachment,
        name="ticket-attachment",
    ),
    path("tickets/<int:number>/convert/", ticket_convert, name="ticket-convert"),
    path("tickets/<int:number>/change/", ticket_link_change, name="ticket-link-change"),
    path("board/", board, name="board"),
    path("board/live/", board_live, name="board-live"),
]
