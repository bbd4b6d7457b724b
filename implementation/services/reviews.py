"""Writes for weekly review meetings and their action items.

The project manager and consultants (MANAGE_REVIEWS) record a meeting once per day: its
date, who attended (team members only), notes and decisions. They raise action items, each
with an owner from the team and a due date, in a meeting or outside one, and edit them.

An action item is open, in progress, done or cancelled, and may move between any two of
those (a done item is reopened when it turns out not to be). Done and cancelled close it
(closed_at is set); moving back to open or in progress reopens it (closed_at is cleared).
Review runners move any item; an item's owner moves the status of their own item and
changes nothing else about it.

Open items are never copied to the next meeting: the selectors show them there.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from implementation.choices import OPEN_ACTION_STATUSES, ActionItemStatus
from implementation.models import ActionItem, ReviewMeeting
from projects import policy
from projects.models import Membership, Project, User
from projects.policy import Capability

MEETING_EDITABLE_FIELDS = ("held_on", "attendees", "notes", "decisions")
ACTION_ITEM_EDITABLE_FIELDS = ("title", "owner", "due_date", "raised_in", "status")


# --- Checks -------------------------------------------------------------------------------


NOT_A_MEMBER = gettext_lazy("Choose a member of this project's team.")


def _non_members(project: Project, users) -> list[User]:
    member_pks = set(
        Membership.objects.filter(project=project, user__in=users).values_list("user_id", flat=True)
    )
    return [user for user in users if user.pk not in member_pks]


def _ensure_attendees(project: Project, attendees) -> None:
    strangers = _non_members(project, attendees)
    if strangers:
        raise ValidationError(
            {
                # No names: the caller may not know people outside the project.
                "attendees": [NOT_A_MEMBER]
            }
        )


def _ensure_owner(project: Project, owner) -> None:
    if owner is None:
        raise ValidationError({"owner": _("Every action item needs an owner.")})
    if _non_members(project, [owner]):
        raise ValidationError({"owner": NOT_A_MEMBER})


def _ensure_due_date(due_date) -> None:
    if due_date is None:
        raise ValidationError({"due_date": _("Every action item needs a due date.")})


def _ensure_held_on(project: Project, held_on, exclude_pk: int | None = None) -> None:
    if held_on is None:
        raise ValidationError({"held_on": _("Give the meeting's date.")})
    if held_on > project.local_today():
        raise ValidationError({"held_on": _("A meeting can only be recorded once it is held.")})
    others = ReviewMeeting.objects.filter(project=project, held_on=held_on)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise ValidationError({"held_on": _duplicate_day_message(held_on)})


def _duplicate_day_message(held_on: datetime.date) -> str:
    return _("A review meeting is already recorded for %(day)s.") % {"day": held_on.isoformat()}


def _ensure_meeting_of(project: Project, meeting: ReviewMeeting | None) -> None:
    if meeting is not None and meeting.project_id != project.pk:
        raise ValidationError({"raised_in": _("Choose a meeting of this project.")})


def _ensure_status(status: str) -> None:
    if status not in ActionItemStatus.values:
        raise ValidationError(
            {"status": _("%(status)s is not an action item status.") % {"status": status}}
        )


# --- Meetings -----------------------------------------------------------------------------


def meeting_record(
    *,
    actor: User,
    project: Project,
    held_on: datetime.date,
    attendees=(),
    notes: str = "",
    decisions: str = "",
) -> ReviewMeeting:
    """Record a held review meeting: one per project and day, attended by team members."""
    policy.ensure(actor, project, Capability.MANAGE_REVIEWS)
    attendees = list(attendees)
    _ensure_held_on(project, held_on)
    _ensure_attendees(project, attendees)
    meeting = ReviewMeeting(
        project=project, held_on=held_on, notes=notes, decisions=decisions, created_by=actor
    )
    meeting.full_clean(exclude=["project", "created_by"], validate_constraints=False)
    try:
        with transaction.atomic():
            meeting.save()
            meeting.attendees.set(attendees)
    except IntegrityError as error:  # two people recording the same day at the same moment
        raise ValidationError({"held_on": _duplicate_day_message(held_on)}) from error
    return meeting


def meeting_update(*, actor: User, meeting: ReviewMeeting, **changes) -> ReviewMeeting:
    """Change a meeting's date, attendees, notes or decisions."""
    unknown = set(changes) - set(MEETING_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected meeting fields: {sorted(unknown)}")
    project = meeting.project
    policy.ensure(actor, project, Capability.MANAGE_REVIEWS)
    attendees = changes.pop("attendees", None)
    if "held_on" in changes:
        _ensure_held_on(project, changes["held_on"], exclude_pk=meeting.pk)
    if attendees is not None:
        attendees = list(attendees)
        _ensure_attendees(project, attendees)
    try:
        with transaction.atomic():
            locked = ReviewMeeting.objects.select_for_update().get(pk=meeting.pk)
            for field, value in changes.items():
                setattr(locked, field, value)
            locked.full_clean(exclude=["project", "created_by"], validate_constraints=False)
            locked.save(update_fields=[*changes, "updated_at"])
            if attendees is not None:
                locked.attendees.set(attendees)
    except IntegrityError as error:
        held_on = changes.get("held_on", meeting.held_on)
        raise ValidationError({"held_on": _duplicate_day_message(held_on)}) from error
    locked.project = project
    return locked


# --- Action items -------------------------------------------------------------------------


def _close_or_reopen(item: ActionItem, status: str) -> list[str]:
    """Set the status and keep closed_at in step with it; return the fields changed."""
    item.status = status
    if status in OPEN_ACTION_STATUSES:
        item.closed_at = None
    elif item.closed_at is None:
        item.closed_at = timezone.now()
    return ["status", "closed_at"]


def action_item_create(
    *,
    actor: User,
    project: Project,
    title: str,
    owner: User | None,
    due_date: datetime.date | None,
    raised_in: ReviewMeeting | None = None,
) -> ActionItem:
    """Raise an action item with an owner from the team and a due date."""
    policy.ensure(actor, project, Capability.MANAGE_REVIEWS)
    _ensure_owner(project, owner)
    _ensure_due_date(due_date)
    _ensure_meeting_of(project, raised_in)
    item = ActionItem(
        project=project,
        raised_in=raised_in,
        title=title.strip(),
        owner=owner,
        due_date=due_date,
        created_by=actor,
    )
    item.full_clean(exclude=["project", "raised_in", "owner", "created_by"])
    with transaction.atomic():
        item.save()
    return item


def _lock_item(item: ActionItem) -> ActionItem:
    locked = ActionItem.objects.select_for_update().get(pk=item.pk)
    locked.project = item.project  # the caller's instance carries the actor's role
    return locked


def action_item_update(*, actor: User, item: ActionItem, **changes) -> ActionItem:
    """Edit an action item: review runners change anything, its owner only the status."""
    unknown = set(changes) - set(ACTION_ITEM_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected action item fields: {sorted(unknown)}")
    project = item.project
    if set(changes) - {"status"} or not policy.can_update_action_item(actor, item):
        policy.ensure(actor, project, Capability.MANAGE_REVIEWS)
    if "owner" in changes:
        _ensure_owner(project, changes["owner"])
    if "due_date" in changes:
        _ensure_due_date(changes["due_date"])
    if "raised_in" in changes:
        _ensure_meeting_of(project, changes["raised_in"])
    if "status" in changes:
        _ensure_status(changes["status"])
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    with transaction.atomic():
        locked = _lock_item(item)
        fields = ["updated_at"]
        status = changes.pop("status", locked.status)
        if status != locked.status:
            fields += _close_or_reopen(locked, status)
        for field, value in changes.items():
            setattr(locked, field, value)
            fields.append(field)
        locked.full_clean(exclude=["project", "raised_in", "owner", "created_by"])
        locked.save(update_fields=fields)
    return locked


def ensure_may_change_status(actor: User, item: ActionItem) -> None:
    """Refuse (403) before the request is read: review runners move any item, an owner
    their own."""
    if not policy.can_update_action_item(actor, item):
        policy.ensure(actor, item.project, Capability.MANAGE_REVIEWS)


def action_item_change_status(*, actor: User, item: ActionItem, status: str) -> ActionItem:
    """Move an item to another status; done and cancelled close it, the others reopen it.

    Asking for the status it already has changes nothing (a second tap is harmless).
    """
    ensure_may_change_status(actor, item)
    _ensure_status(status)
    with transaction.atomic():
        locked = _lock_item(item)
        if status == locked.status:
            return locked
        fields = _close_or_reopen(locked, status)
        locked.save(update_fields=[*fields, "updated_at"])
    return locked
