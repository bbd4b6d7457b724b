"""The agenda of a project's next weekly review meeting, built from live data.

One plain function, `build_agenda`, serves the agenda page, the API and the reminder e-mail.
The agenda is a list of sections; each comes from a *section provider*, a function that
takes an `AgendaContext` and returns an `AgendaSection`, or None when it has nothing to say.
Providers register themselves with `@section`, in the order the agenda shows them:

    @section
    def open_defects(context: AgendaContext) -> AgendaSection | None:
        ...

A feature that brings its own section (open critical and high defects, pending sign-offs,
KPI measurements due) adds a provider in its own module and imports that module from its
AppConfig.ready(); the page, the API and the e-mail pick it up without a change. A provider
runs a fixed number of queries, whatever the number of rows, and never depends on who
asks: the callers have checked that the reader may see the project.
"""

import datetime
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from implementation.choices import OPEN_ACTION_STATUSES, PhaseStatus
from implementation.models import ActionItem, ChecklistItem, ConfigurationChange, ReviewMeeting
from implementation.selectors.reviews import last_meeting
from projects.models import Project, User

# Flags an agenda item may carry.
OVERDUE = "overdue"
MANDATORY = "mandatory"


@dataclass(frozen=True)
class AgendaItem:
    """One line of a section: a short text, and what helps the team act on it."""

    text: str
    detail: str = ""
    url: str = ""
    owner: User | None = None
    due_date: datetime.date | None = None
    flags: tuple[str, ...] = ()

    @property
    def is_overdue(self) -> bool:
        return OVERDUE in self.flags


# A meeting discusses what fits on a page; the rest is one click away (`more_url`).
SECTION_LIMIT = 30


@dataclass(frozen=True)
class AgendaSection:
    key: str
    title: str
    items: tuple[AgendaItem, ...] = ()
    empty_text: str = ""
    total: int | None = None  # how many there are when `items` shows only the first ones
    more_url: str = ""

    @property
    def count(self) -> int:
        return len(self.items) if self.total is None else self.total

    @property
    def hidden(self) -> int:
        return self.count - len(self.items)


def first_rows(queryset) -> tuple[list, int | None]:
    """The first SECTION_LIMIT rows and, only when there are more, the full count."""
    rows = list(queryset[: SECTION_LIMIT + 1])
    if len(rows) <= SECTION_LIMIT:
        return rows, None
    return rows[:SECTION_LIMIT], queryset.count()


@dataclass(frozen=True)
class AgendaContext:
    """What every provider gets: the project, the moment, and the meetings around it."""

    project: Project
    now: datetime.datetime
    today: datetime.date  # in the project's time zone
    next_meeting_at: datetime.datetime  # in the project's time zone
    last_meeting: ReviewMeeting | None


@dataclass(frozen=True)
class Agenda:
    project: Project
    today: datetime.date
    next_meeting_at: datetime.datetime
    last_meeting: ReviewMeeting | None
    sections: tuple[AgendaSection, ...] = field(default=())


SectionProvider = Callable[[AgendaContext], AgendaSection | None]
SECTION_PROVIDERS: list[SectionProvider] = []


def section(provider: SectionProvider) -> SectionProvider:
    """Register a section provider; the agenda shows sections in registration order."""
    SECTION_PROVIDERS.append(provider)
    return provider


def next_review_at(project: Project, now: datetime.datetime) -> datetime.datetime:
    """The next weekly review slot at or after `now`, in the project's time zone.

    On the review day itself, a slot that has already begun is over: the next one is a
    week later.
    """
    zone = zoneinfo.ZoneInfo(project.time_zone)
    local_now = now.astimezone(zone)
    days_ahead = (project.review_weekday - local_now.weekday()) % 7
    day = local_now.date() + datetime.timedelta(days=days_ahead)
    slot = datetime.datetime.combine(day, project.review_time, tzinfo=zone)
    if slot < local_now:
        # Combine again rather than add a timedelta, so the wall-clock time survives DST.
        slot = datetime.datetime.combine(
            day + datetime.timedelta(days=7), project.review_time, tzinfo=zone
        )
    return slot


def build_agenda(*, project: Project, now: datetime.datetime | None = None) -> Agenda:
    """The next review meeting's date and time, and every section that has something to say."""
    now = now or timezone.now()
    today = now.astimezone(zoneinfo.ZoneInfo(project.time_zone)).date()
    context = AgendaContext(
        project=project,
        now=now,
        today=today,
        next_meeting_at=next_review_at(project, now),
        last_meeting=last_meeting(project=project, before=today),
    )
    sections = (provider(context) for provider in SECTION_PROVIDERS)
    return Agenda(
        project=project,
        today=today,
        next_meeting_at=context.next_meeting_at,
        last_meeting=context.last_meeting,
        sections=tuple(item for item in sections if item is not None),
    )


def _url(name: str, *args) -> str:
    """A link when the page exists; an agenda never fails for a missing link."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- The sections every project has ---------------------------------------------------------


@section
def overdue_checklist_items(context: AgendaContext) -> AgendaSection:
    """Checklist items not done and due before today; mandatory ones first.

    Items of completed phases are left out: their gate was passed or waived.
    """
    items = (
        ChecklistItem.objects.filter(
            phase__project=context.project, done_at__isnull=True, due_date__lt=context.today
        )
        .exclude(phase__status=PhaseStatus.COMPLETED)
        .select_related("phase", "owner")
        .order_by("-is_mandatory", "due_date", "phase__position", "position", "pk")
    )
    code = context.project.code
    items, total = first_rows(items)
    return AgendaSection(
        key="overdue_checklist_items",
        total=total,
        more_url=_url("projects:detail", code),
        title=_("Overdue checklist items"),
        items=tuple(
            AgendaItem(
                text=item.title,
                detail=item.phase.get_kind_display(),
                url=_url("implementation:phase", code, item.phase.kind),
                owner=item.owner,
                due_date=item.due_date,
                flags=(OVERDUE, MANDATORY) if item.is_mandatory else (OVERDUE,),
            )
            for item in items
        ),
        empty_text=_("No checklist item is overdue."),
    )


@section
def open_action_items(context: AgendaContext) -> AgendaSection:
    """Every action item still open, due first; overdue ones flagged."""
    items = (
        ActionItem.objects.filter(project=context.project, status__in=OPEN_ACTION_STATUSES)
        .select_related("owner", "raised_in")
        .order_by("due_date", "pk")
    )
    actions_url = _url("implementation:action-list", context.project.code)
    items, total = first_rows(items)
    return AgendaSection(
        key="open_action_items",
        total=total,
        more_url=actions_url,
        title=_("Open action items"),
        items=tuple(
            AgendaItem(
                text=item.title,
                detail=(
                    _("Raised on %(day)s") % {"day": item.raised_in.held_on.isoformat()}
                    if item.raised_in
                    else _("Raised outside a meeting")
                )
                + " · "
                + item.get_status_display(),
                url=f"{actions_url}#action-{item.pk}" if actions_url else "",
                owner=item.owner,
                due_date=item.due_date,
                flags=(OVERDUE,) if item.due_date < context.today else (),
            )
            for item in items
        ),
        empty_text=_("No open action items."),
    )


@section
def configuration_changes(context: AgendaContext) -> AgendaSection:
    """Configuration changes recorded since the last meeting (all of them before the first).

    Changes recorded on the day of the last meeting are listed again: whether they came
    before or after the meeting is unknown, and showing one twice beats missing it.
    """
    changes = ConfigurationChange.objects.filter(project=context.project)
    if context.last_meeting is not None:
        day_start = datetime.datetime.combine(
            context.last_meeting.held_on,
            datetime.time.min,
            tzinfo=zoneinfo.ZoneInfo(context.project.time_zone),
        )
        changes = changes.filter(recorded_at__gte=day_start)
        title = _("Configuration changes since the meeting of %(day)s") % {
            "day": context.last_meeting.held_on.isoformat()
        }
    else:
        title = _("Configuration changes")
    code = context.project.code
    shown, total = first_rows(changes.select_related("requested_by").order_by("number"))
    return AgendaSection(
        key="configuration_changes",
        title=title,
        total=total,
        more_url=_url("implementation:config-list", code),
        items=tuple(
            AgendaItem(
                text=f"{change.display_number} · {change.area}: {change.setting}",
                detail=f"{change.get_environment_display()} · {change.new_value}"[:200],
                url=_url("implementation:config-detail", code, change.number),
                owner=change.requested_by,
            )
            for change in shown
        ),
        empty_text=_("No configuration change recorded since the last meeting."),
    )
