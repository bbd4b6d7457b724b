"""Reads of review meetings and action items, for a project the caller can already see.

Open action items carry over by themselves: nothing is copied from one meeting to the next.
A meeting shows the items raised in it and, computed here, every item that is still open
and was raised before it (in an earlier meeting, or outside any meeting before its day).
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from implementation.choices import OPEN_ACTION_STATUSES
from implementation.models import ActionItem, ReviewMeeting
from projects import policy
from projects.models import Project, User

OPEN = Q(status__in=OPEN_ACTION_STATUSES)


def _ensure_visible(user, project) -> None:
    if not policy.can_see(user, project):
        raise Http404(_("No project matches the given query."))


def _day_end(project, day: datetime.date) -> datetime.datetime:
    """The first instant after `day` where the project happens."""
    return datetime.datetime.combine(
        day + datetime.timedelta(days=1),
        datetime.time.min,
        tzinfo=zoneinfo.ZoneInfo(project.time_zone),
    )


def members_of(project) -> QuerySet[User]:
    """The people who may attend a meeting or own an action item, by name."""
    return User.objects.filter(memberships__project=project).order_by(
        "first_name", "last_name", "username"
    )


# --- Meetings -----------------------------------------------------------------------------


def _with_counts(queryset: QuerySet[ReviewMeeting]) -> QuerySet[ReviewMeeting]:
    return queryset.annotate(
        actions_raised=Count("action_items", distinct=True),
        actions_open=Count(
            "action_items",
            filter=Q(action_items__status__in=OPEN_ACTION_STATUSES),
            distinct=True,
        ),
        attendee_count=Count("attendees", distinct=True),
    )


def meeting_list(*, user, project) -> QuerySet[ReviewMeeting]:
    """The project's review meetings, newest first, with counts of their action items."""
    _ensure_visible(user, project)
    return _with_counts(ReviewMeeting.objects.filter(project=project)).order_by("-held_on", "-pk")


def meeting_get(*, user, project, pk: int) -> ReviewMeeting:
    """One meeting of a visible project, with its attendees loaded."""
    _ensure_visible(user, project)
    meeting = (
        ReviewMeeting.objects.filter(project=project, pk=pk)
        .select_related("created_by")
        .prefetch_related("attendees")
        .first()
    )
    if meeting is None:
        raise Http404(_("No review meeting matches the given query."))
    meeting.project = project  # keep the caller's instance and its cached role
    return meeting


def last_meeting(*, project, before: datetime.date | None = None) -> ReviewMeeting | None:
    """The latest meeting held on or before a day (any day when none is given)."""
    queryset = ReviewMeeting.objects.filter(project=project)
    if before is not None:
        queryset = queryset.filter(held_on__lte=before)
    return queryset.order_by("-held_on", "-pk").first()


def meetings_visible_to(user) -> QuerySet[ReviewMeeting]:
    """Meetings of every project the user can see (for the API)."""
    return _with_counts(
        ReviewMeeting.objects.filter(project__in=Project.objects.visible_to(user).values("pk"))
    )


# --- Action items -------------------------------------------------------------------------


def _action_items(project) -> QuerySet[ActionItem]:
    return ActionItem.objects.filter(project=project).select_related("owner", "raised_in")


def carried_over_condition(project, held_on: datetime.date) -> Q:
    """Still open, and raised before a meeting held on `held_on`."""
    return OPEN & (
        Q(raised_in__held_on__lt=held_on)
        | Q(raised_in__isnull=True, created_at__lt=_day_end(project, held_on))
    )


@dataclass(frozen=True)
class MeetingActions:
    raised: list[ActionItem]
    carried_over: list[ActionItem]

    def __len__(self) -> int:
        return len(self.raised) + len(self.carried_over)


def meeting_actions(*, user, meeting: ReviewMeeting) -> MeetingActions:
    """The items raised in a meeting and the open ones carried over into it, in one query."""
    project = meeting.project
    _ensure_visible(user, project)
    items = list(
        _action_items(project)
        .filter(Q(raised_in=meeting) | carried_over_condition(project, meeting.held_on))
        .order_by("due_date", "pk")
    )
    for item in items:
        item.project = project
    return MeetingActions(
        raised=[item for item in items if item.raised_in_id == meeting.pk],
        carried_over=[item for item in items if item.raised_in_id != meeting.pk],
    )


def open_action_items(*, user, project) -> list[ActionItem]:
    """Every item still open, due first: what the next meeting goes through."""
    _ensure_visible(user, project)
    items = list(_action_items(project).filter(OPEN).order_by("due_date", "pk"))
    for item in items:
        item.project = project
    return items


def action_item_list(*, user, project) -> QuerySet[ActionItem]:
    """The project's action items, due first (pages narrow it with ActionItemFilter)."""
    _ensure_visible(user, project)
    return _action_items(project).order_by("due_date", "pk")


def action_item_get(*, user, project, pk: int) -> ActionItem:
    """One action item of a visible project."""
    _ensure_visible(user, project)
    item = _action_items(project).filter(pk=pk).first()
    if item is None:
        raise Http404(_("No action item matches the given query."))
    item.project = project
    return item


def action_items_visible_to(user) -> QuerySet[ActionItem]:
    """Action items of every project the user can see (for the API)."""
    return ActionItem.objects.filter(project__in=Project.objects.visible_to(user).values("pk"))
