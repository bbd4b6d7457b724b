"""Reads for the support ticket pages: the list with its counts, one ticket with its
comments, files and history, the triage board, and the people a ticket may go to.

Everything is for a project the caller can see; a ticket or file of another project, or of
a project the caller is not on, answers 404. SLA states are worked out from the stored due
times in the project's working hours (implementation.hypercare), in Python once the rows are
loaded, so the number of queries does not grow with the number of tickets.
"""

import datetime
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from implementation import hypercare, sla
from implementation.choices import CONFIGURATION_AREAS, OPEN_TICKET_STATUSES
from implementation.models import (
    ConfigurationChange,
    Ticket,
    TicketAttachment,
    TicketComment,
    TicketEvent,
)
from implementation.services.hypercare import working_time
from projects import policy
from projects.models import Project, User
from projects.policy import ROLE_CAPABILITIES, Capability
from uat.choices import Severity

_RELATED = ("reporter", "assignee", "defect", "configuration_change")
# Roles whose members handle tickets whatever the hypercare team says (policy.can_handle_tickets).
HANDLER_ROLES = tuple(
    role for role, granted in ROLE_CAPABILITIES.items() if Capability.HANDLE_TICKETS in granted
)


def _ensure_visible(user, project: Project) -> None:
    if not policy.can_see(user, project):
        raise Http404(_("No project matches the given query."))


# --- SLA state of a row ---------------------------------------------------------------------


def working_text(left: datetime.timedelta) -> str:
    """Working time as hours and minutes: business days are hours of the working day."""
    minutes = max(int(left.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


@dataclass(frozen=True)
class SlaState:
    """What a row says about a ticket's SLA: breached, met, or due with working time left."""

    is_breached: bool
    is_running: bool
    due_at: datetime.datetime | None  # of the clock that runs now
    left: datetime.timedelta

    @property
    def left_text(self) -> str:
        return working_text(self.left)


def sla_state(ticket: Ticket, hours: sla.WorkingTime, now: datetime.datetime) -> SlaState:
    """Breached when either clock is; otherwise the clock that runs next with its time left."""
    response, resolution = hypercare.clocks(ticket, hours, now)
    breached = response.breached or resolution.breached
    running = response if response.running else resolution if resolution.running else None
    return SlaState(
        is_breached=breached,
        is_running=running is not None,
        due_at=running.due_at if running else None,
        left=running.left if running else datetime.timedelta(0),
    )


def with_sla_states(tickets, project: Project, now: datetime.datetime | None = None) -> list:
    """The tickets, each with `.sla` set (one query for the working hours, none per row)."""
    now = now or timezone.now()
    hours = working_time(project)
    rows = list(tickets)
    for ticket in rows:
        ticket.sla = sla_state(ticket, hours, now)
    return rows


# --- List and counts --------------------------------------------------------------------------


def ticket_list(*, user, project: Project) -> QuerySet[Ticket]:
    """A project's tickets, newest first, with what the list shows in the same query."""
    _ensure_visible(user, project)
    return Ticket.objects.filter(project=project).select_related(*_RELATED).order_by("-number")


def ticket_counts(*, project: Project, now: datetime.datetime | None = None) -> dict[str, int]:
    """Open tickets, and open tickets past a due time, in one query."""
    now = now or timezone.now()
    row = Ticket.objects.filter(project=project, status__in=OPEN_TICKET_STATUSES).aggregate(
        open=Count("pk"), breached=Count("pk", filter=hypercare.breached(now))
    )
    return {"open": row["open"] or 0, "breached": row["breached"] or 0}


def module_suggestions(*, project: Project) -> list[str]:
    """Modules already used on the project's tickets, then the usual configuration areas."""
    used = list(
        Ticket.objects.filter(project=project)
        .order_by("module")
        .values_list("module", flat=True)
        .distinct()
    )
    seen = set(used)
    return used + [str(area) for area in CONFIGURATION_AREAS if str(area) not in seen]


# --- One ticket ------------------------------------------------------------------------------


def ticket_get(*, user, project: Project, number: int) -> Ticket:
    """One ticket of a visible project by its number in the project."""
    ticket = ticket_list(user=user, project=project).filter(number=number).first()
    if ticket is None:
        raise Http404(_("No ticket matches the given query."))
    ticket.project = project  # the caller's instance carries the cached role
    return ticket


def ticket_comments(*, ticket: Ticket) -> list[TicketComment]:
    return list(ticket.comments.select_related("author").order_by("created_at", "pk"))


def ticket_attachments(*, ticket: Ticket) -> list[TicketAttachment]:
    return list(ticket.attachments.select_related("uploaded_by").order_by("uploaded_at", "pk"))


FIELD_NAMES = {field.name: field.verbose_name for field in Ticket._meta.fields}


def ticket_history(*, ticket: Ticket) -> list[TicketEvent]:
    """The ticket's events, oldest first, with names and change numbers readable: assignees
    by name and configuration changes by CFG number (two queries, whatever the length)."""
    events = list(ticket.events.select_related("actor").order_by("at", "pk"))
    user_pks, change_pks = set(), set()
    wanted = {"assignee": user_pks, "configuration_change": change_pks}
    for event in events:
        for name, value in (event.changes or {}).items():
            if name in wanted:
                pair = value if isinstance(value, list) else [value]
                wanted[name].update(v for v in pair if isinstance(v, int))
    names = (
        {user.pk: user.display_name for user in User.objects.filter(pk__in=user_pks)}
        if user_pks
        else {}
    )
    changes = (
        dict(
            ConfigurationChange.objects.filter(
                pk__in=change_pks, project_id=ticket.project_id
            ).values_list("pk", "number")
        )
        if change_pks
        else {}
    )

    def readable(name, value):
        if value is None or value == "":
            return ""
        if name == "severity" and value in Severity.values:
            return Severity(value).label
        if name == "assignee":
            return names.get(value, "?")
        if name == "configuration_change":
            return f"CFG-{changes[value]}" if value in changes else "?"
        if name == "defect":
            return f"DEF-{value}"
        return value

    for event in events:
        rows = []
        for name, value in (event.changes or {}).items():
            old, new = value if isinstance(value, list) and len(value) == 2 else (None, value)
            rows.append(
                {
                    "field": FIELD_NAMES.get(name, name),
                    "old": readable(name, old),
                    "new": readable(name, new),
                }
            )
        event.change_rows = rows
    return events


def attachment_get(*, user, project: Project, number: int, pk: int) -> TicketAttachment:
    """A file of one ticket of a visible project; 404 for anything else."""
    _ensure_visible(user, project)
    attachment = (
        TicketAttachment.objects.filter(pk=pk, ticket__project=project, ticket__number=number)
        .select_related("ticket")
        .first()
    )
    if attachment is None:
        raise Http404(_("No attachment matches the given query."))
    return attachment


def support_team(*, project: Project) -> QuerySet[User]:
    """Members who handle tickets (policy.can_handle_tickets), by name: a ticket's possible
    assignees. One membership must give both the project and the role or the team flag."""
    return (
        User.objects.filter(
            Q(is_active=True)
            & Q(memberships__project=project)
            & (Q(memberships__role__in=HANDLER_ROLES) | Q(memberships__on_hypercare_team=True))
        )
        .order_by("first_name", "last_name", "username")
        .distinct()
    )


def change_by_number(*, project: Project, number: int) -> ConfigurationChange | None:
    """An entry of the project's configuration log, or None."""
    return ConfigurationChange.objects.filter(project=project, number=number).first()


# --- Board ------------------------------------------------------------------------------------


@dataclass
class Column:
    severity: str
    label: str
    tickets: list
    breached: int
    # Open tickets in the column, shown or not: a column shows at most BOARD_CARDS cards.
    count: int = 0

    @property
    def more(self) -> int:
        return self.count - len(self.tickets)


# A hypercare week can leave thousands of tickets open; a column shows the ones breaching
# soonest and links to the full (paginated) list for the rest, so the board stays light. A
# triage column is read from the top: twenty cards fill a screen, and rendering fifty per
# column cost more than the database work behind it.
BOARD_CARDS = 20

# What a card shows; the ranking sorts only narrow rows, and only the cards shown are loaded.
CARD_FIELDS = (
    "number",
    "module",
    "title",
    "severity",
    "status",
    "created_at",
    "acknowledged_at",
    "response_due_at",
    "resolution_due_at",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
)


def _board_breach(now: datetime.datetime) -> Q:
    """implementation.hypercare.board's is_breached as SQL: the clock running now is past
    due, or the response came late."""
    return (
        Q(acknowledged_at__isnull=True, response_due_at__lt=now)
        | Q(acknowledged_at__isnull=False, resolution_due_at__lt=now)
        | Q(acknowledged_at__gt=F("response_due_at"))
    )


def _next_due() -> Case:
    """The due time of the clock that runs now: the response's until acknowledged."""
    return Case(
        When(acknowledged_at__isnull=True, then=F("response_due_at")),
        default=F("resolution_due_at"),
    )


def board_columns(
    *,
    user,
    project: Project,
    unassigned_only: bool = False,
    now=None,
    limit: int = BOARD_CARDS,
) -> list[Column]:
    """The triage board: one column per severity, open tickets breaching soonest first,
    at most `limit` cards each (`count` and `breached` cover every open ticket); each card
    has `next_due_at`, `is_breached` and the working time left (`left_text`).

    Two queries, however many tickets are open: the counts per column, grouped in SQL, and
    the cards, picked by a window function that ranks each severity's tickets."""
    _ensure_visible(user, project)
    now = now or timezone.now()
    hours = working_time(project)
    tickets = Ticket.objects.filter(project=project, status__in=OPEN_TICKET_STATUSES)
    if unassigned_only:
        tickets = tickets.filter(assignee__isnull=True)
    breach = _board_breach(now)
    totals = {
        row["severity"]: row
        for row in tickets.order_by()
        .values("severity")
        .annotate(count=Count("pk"), breached=Count("pk", filter=breach))
    }
    # The ranking carries only keys and due times through its sort; wide rows made it slow.
    shown = (
        tickets.annotate(
            next_due_at=_next_due(),
            rank=Window(
                RowNumber(),
                partition_by=[F("severity")],
                order_by=[F("next_due_at").asc(), F("created_at").asc(), F("pk").asc()],
            ),
        )
        .filter(rank__lte=limit)
        .values("pk")
    )
    cards = (
        Ticket.objects.filter(pk__in=shown)
        .annotate(
            next_due_at=_next_due(),
            is_breached=ExpressionWrapper(breach, output_field=BooleanField()),
        )
        .select_related("assignee")
        .only(*CARD_FIELDS)
        .order_by("next_due_at", "created_at", "pk")
    )
    by_severity: dict[str, list[Ticket]] = {severity: [] for severity in Severity.values}
    for ticket in cards:
        ticket.is_breached = bool(ticket.is_breached)  # SQL says NULL for "not breached" too
        ticket.left_text = working_text(sla.working_between(now, ticket.next_due_at, hours))
        by_severity[ticket.severity].append(ticket)
    return [
        Column(
            severity=severity,
            label=Severity(severity).label,
            tickets=shown_cards,
            breached=totals.get(severity, {}).get("breached", 0),
            count=totals.get(severity, {}).get("count", 0),
        )
        for severity, shown_cards in by_severity.items()
    ]
