"""Review meetings and action items: the services' rules, who may do what, and carry-over."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from implementation.choices import OPEN_ACTION_STATUSES, ActionItemStatus
from implementation.models import ActionItem, ReviewMeeting
from implementation.selectors import reviews as selectors
from implementation.services import reviews as services
from projects.choices import Role
from projects.selectors import project_get
from tests.factories import MembershipFactory, UserFactory
from tests.implementation.factories_reviews import ActionItemFactory, ReviewMeetingFactory

WRITERS = [Role.PROJECT_MANAGER, Role.CONSULTANT]
NON_WRITERS = [Role.IT, Role.KEY_USER, Role.PILOT_USER, Role.EXECUTIVE, Role.VIEWER]
S = ActionItemStatus


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


@pytest.fixture
def today(project):
    return project.local_today()


def as_seen_by(user, project):
    """The project as the user's request would load it (visibility and role cached)."""
    return project_get(user=user, code=project.code)


def meetings_snapshot(project) -> list[tuple]:
    return [
        (m.pk, m.held_on, m.notes, m.decisions, sorted(m.attendees.values_list("pk", flat=True)))
        for m in ReviewMeeting.objects.filter(project=project).order_by("pk")
    ]


def items_snapshot(project) -> list[dict]:
    return list(ActionItem.objects.filter(project=project).order_by("pk").values())


def field_errors(error: ValidationError) -> dict[str, list[str]]:
    return error.value.message_dict


# --- Recording meetings -------------------------------------------------------------------


@pytest.mark.parametrize("role", WRITERS)
def test_review_runner_records_a_meeting_with_attendees(project, members, today, role):
    actor = members[role]
    attendees = [members[Role.PROJECT_MANAGER], members[Role.KEY_USER]]

    meeting = services.meeting_record(
        actor=actor,
        project=as_seen_by(actor, project),
        held_on=today,
        attendees=attendees,
        notes="UAT round 1 at 88%.",
        decisions="Go-live date kept.",
    )

    meeting.refresh_from_db()
    assert (meeting.project_id, meeting.held_on, meeting.created_by) == (project.pk, today, actor)
    assert (meeting.notes, meeting.decisions) == ("UAT round 1 at 88%.", "Go-live date kept.")
    assert set(meeting.attendees.all()) == set(attendees)


@pytest.mark.parametrize("role", NON_WRITERS)
def test_member_without_manage_reviews_cannot_record_a_meeting(project, members, today, role):
    actor = members[role]

    with pytest.raises(PermissionDenied, match="does not allow you to run review meetings"):
        services.meeting_record(actor=actor, project=as_seen_by(actor, project), held_on=today)

    assert meetings_snapshot(project) == []


def test_a_non_member_attendee_is_a_field_error_and_nothing_is_recorded(project, pm, today):
    stranger = UserFactory(first_name="Bao", last_name="Tran")

    with pytest.raises(ValidationError) as error:
        services.meeting_record(actor=pm, project=project, held_on=today, attendees=[pm, stranger])

    assert field_errors(error) == {"attendees": ["Choose a member of this project's team."]}
    assert meetings_snapshot(project) == []


def test_a_second_meeting_on_the_same_day_is_a_field_error(project, pm, today):
    services.meeting_record(actor=pm, project=project, held_on=today, notes="first")
    before = meetings_snapshot(project)

    with pytest.raises(ValidationError) as error:
        services.meeting_record(actor=pm, project=project, held_on=today, notes="second")

    assert field_errors(error) == {
        "held_on": [f"A review meeting is already recorded for {today.isoformat()}."]
    }
    assert meetings_snapshot(project) == before


def test_the_same_day_on_another_project_is_fine(project, pm, today):
    ReviewMeetingFactory(held_on=today)

    meeting = services.meeting_record(actor=pm, project=project, held_on=today)

    assert meeting.held_on == today


def test_a_meeting_cannot_be_recorded_before_it_is_held(project, pm, today):
    with pytest.raises(ValidationError) as error:
        services.meeting_record(actor=pm, project=project, held_on=today + days(1))

    assert field_errors(error) == {"held_on": ["A meeting can only be recorded once it is held."]}
    assert meetings_snapshot(project) == []


def test_a_meeting_needs_a_date(project, pm):
    with pytest.raises(ValidationError) as error:
        services.meeting_record(actor=pm, project=project, held_on=None)

    assert field_errors(error) == {"held_on": ["Give the meeting's date."]}


# --- Editing meetings ---------------------------------------------------------------------


def test_review_runner_edits_a_meeting_and_replaces_its_attendees(
    project, pm, consultant, key_user, today
):
    meeting = ReviewMeetingFactory(
        project=project, held_on=today - days(7), created_by=pm, attendees=[pm, key_user]
    )
    meeting.project = as_seen_by(consultant, project)

    services.meeting_update(
        actor=consultant,
        meeting=meeting,
        held_on=today - days(6),
        attendees=[consultant],
        decisions="Round 2 of UAT.",
    )

    meeting.refresh_from_db()
    assert (meeting.held_on, meeting.decisions) == (today - days(6), "Round 2 of UAT.")
    assert list(meeting.attendees.all()) == [consultant]
    assert meeting.created_by == pm


def test_moving_a_meeting_onto_another_meetings_day_is_a_field_error(project, pm, today):
    ReviewMeetingFactory(project=project, held_on=today - days(7))
    meeting = ReviewMeetingFactory(project=project, held_on=today)
    meeting.project = project
    before = meetings_snapshot(project)

    with pytest.raises(ValidationError) as error:
        services.meeting_update(actor=pm, meeting=meeting, held_on=today - days(7))

    assert list(field_errors(error)) == ["held_on"]
    assert meetings_snapshot(project) == before


def test_keeping_a_meetings_own_day_is_not_a_duplicate(project, pm, today):
    meeting = ReviewMeetingFactory(project=project, held_on=today)
    meeting.project = project

    services.meeting_update(actor=pm, meeting=meeting, held_on=today, notes="Edited")

    meeting.refresh_from_db()
    assert meeting.notes == "Edited"


def test_editing_with_a_non_member_attendee_changes_nothing(project, pm, today):
    meeting = ReviewMeetingFactory(project=project, held_on=today, attendees=[pm])
    meeting.project = project
    stranger = UserFactory(first_name="Bao", last_name="Tran")
    before = meetings_snapshot(project)

    with pytest.raises(ValidationError) as error:
        services.meeting_update(actor=pm, meeting=meeting, attendees=[stranger], notes="x")

    assert field_errors(error) == {"attendees": ["Choose a member of this project's team."]}
    assert meetings_snapshot(project) == before


@pytest.mark.parametrize("role", NON_WRITERS)
def test_member_without_manage_reviews_cannot_edit_a_meeting(project, members, today, role):
    meeting = ReviewMeetingFactory(project=project, held_on=today, notes="As said")
    meeting.project = as_seen_by(members[role], project)
    before = meetings_snapshot(project)

    with pytest.raises(PermissionDenied):
        services.meeting_update(actor=members[role], meeting=meeting, notes="Rewritten")

    assert meetings_snapshot(project) == before


def test_meeting_update_refuses_unknown_fields(project, pm, today):
    meeting = ReviewMeetingFactory(project=project, held_on=today)
    meeting.project = project

    with pytest.raises(TypeError, match="created_by"):
        services.meeting_update(actor=pm, meeting=meeting, created_by=pm)


# --- Raising action items -----------------------------------------------------------------


@pytest.mark.parametrize("role", WRITERS)
def test_review_runner_raises_an_action_item_in_a_meeting(project, members, today, role):
    actor = members[role]
    owner = members[Role.KEY_USER]
    meeting = ReviewMeetingFactory(project=project, held_on=today)

    item = services.action_item_create(
        actor=actor,
        project=as_seen_by(actor, project),
        title="  Confirm the VND rounding rule  ",
        owner=owner,
        due_date=today + days(3),
        raised_in=meeting,
    )

    item.refresh_from_db()
    assert (item.title, item.owner, item.due_date) == (
        "Confirm the VND rounding rule",
        owner,
        today + days(3),
    )
    assert (item.status, item.closed_at, item.raised_in, item.created_by) == (
        S.OPEN,
        None,
        meeting,
        actor,
    )


def test_an_action_item_can_be_raised_outside_a_meeting(project, pm, today):
    item = services.action_item_create(
        actor=pm, project=project, title="Call the POS vendor", owner=pm, due_date=today
    )

    assert item.raised_in is None


@pytest.mark.parametrize("role", NON_WRITERS)
def test_member_without_manage_reviews_cannot_raise_an_action_item(project, members, today, role):
    actor = members[role]

    with pytest.raises(PermissionDenied):
        services.action_item_create(
            actor=actor,
            project=as_seen_by(actor, project),
            title="Mine",
            owner=actor,
            due_date=today,
        )

    assert items_snapshot(project) == []


@pytest.mark.parametrize(
    ("owner_kind", "due", "expected"),
    [
        ("stranger", 3, {"owner": ["Choose a member of this project's team."]}),
        ("none", 3, {"owner": ["Every action item needs an owner."]}),
        ("member", None, {"due_date": ["Every action item needs a due date."]}),
    ],
    ids=["non-member-owner", "no-owner", "no-due-date"],
)
def test_bad_action_item_input_is_a_field_error_and_nothing_is_raised(
    project, pm, today, owner_kind, due, expected
):
    owner = {
        "stranger": UserFactory(first_name="Bao", last_name="Tran"),
        "none": None,
        "member": pm,
    }[owner_kind]

    with pytest.raises(ValidationError) as error:
        services.action_item_create(
            actor=pm,
            project=project,
            title="Anything",
            owner=owner,
            due_date=None if due is None else today + days(due),
        )

    assert field_errors(error) == expected
    assert items_snapshot(project) == []


def test_an_empty_title_is_a_field_error(project, pm, today):
    with pytest.raises(ValidationError) as error:
        services.action_item_create(
            actor=pm, project=project, title="   ", owner=pm, due_date=today
        )

    assert list(field_errors(error)) == ["title"]
    assert items_snapshot(project) == []


def test_an_action_item_cannot_be_raised_in_another_projects_meeting(project, pm, today):
    elsewhere = ReviewMeetingFactory(held_on=today)

    with pytest.raises(ValidationError) as error:
        services.action_item_create(
            actor=pm, project=project, title="x", owner=pm, due_date=today, raised_in=elsewhere
        )

    assert field_errors(error) == {"raised_in": ["Choose a meeting of this project."]}
    assert items_snapshot(project) == []


# --- Status changes -----------------------------------------------------------------------


ALL_PAIRS = [(a, b) for a in S for b in S if a != b]


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS, ids=[f"{a}-{b}" for a, b in ALL_PAIRS])
def test_every_status_change_keeps_closed_at_in_step(project, pm, source, target):
    closed_before = None if source in OPEN_ACTION_STATUSES else timezone.now() - days(2)
    item = ActionItemFactory(project=project, owner=pm, status=source, closed_at=closed_before)
    item.project = project

    services.action_item_change_status(actor=pm, item=item, status=target)

    item.refresh_from_db()
    assert item.status == target
    if target in OPEN_ACTION_STATUSES:
        assert item.closed_at is None
    elif closed_before is not None:
        assert item.closed_at == closed_before  # done <-> cancelled keeps the first closing
    else:
        assert timezone.now() - item.closed_at < datetime.timedelta(seconds=30)


def test_asking_for_the_current_status_changes_nothing(project, pm):
    item = ActionItemFactory(project=project, owner=pm, status=S.IN_PROGRESS)
    item.project = project
    before = items_snapshot(project)

    services.action_item_change_status(actor=pm, item=item, status=S.IN_PROGRESS)

    assert items_snapshot(project) == before


def test_an_unknown_status_is_a_field_error(project, pm):
    item = ActionItemFactory(project=project, owner=pm)
    item.project = project
    before = items_snapshot(project)

    with pytest.raises(ValidationError) as error:
        services.action_item_change_status(actor=pm, item=item, status="forgotten")

    assert field_errors(error) == {"status": ["forgotten is not an action item status."]}
    assert items_snapshot(project) == before


@pytest.mark.parametrize("role", NON_WRITERS)
def test_an_owner_without_manage_reviews_moves_their_own_items_status(project, members, role):
    owner = members[role]
    item = ActionItemFactory(project=project, owner=owner)
    item.project = as_seen_by(owner, project)

    services.action_item_change_status(actor=owner, item=item, status=S.DONE)

    item.refresh_from_db()
    assert item.status == S.DONE
    assert item.closed_at is not None


@pytest.mark.parametrize("role", NON_WRITERS)
def test_a_member_without_manage_reviews_cannot_move_someone_elses_item(project, members, role):
    item = ActionItemFactory(project=project, owner=members[Role.PROJECT_MANAGER])
    item.project = as_seen_by(members[role], project)
    before = items_snapshot(project)

    with pytest.raises(PermissionDenied):
        services.action_item_change_status(actor=members[role], item=item, status=S.DONE)

    assert items_snapshot(project) == before


def test_an_owner_who_left_the_team_cannot_move_their_item(project, pm, pilot_user):
    item = ActionItemFactory(project=project, owner=pilot_user)
    pilot_user.memberships.filter(project=project).delete()
    item.project = project
    before = items_snapshot(project)

    with pytest.raises(PermissionDenied):
        services.action_item_change_status(actor=pilot_user, item=item, status=S.DONE)

    assert items_snapshot(project) == before


# --- Editing action items -----------------------------------------------------------------


@pytest.mark.parametrize("role", WRITERS)
def test_review_runner_edits_every_field_of_an_item(project, members, today, role):
    actor = members[role]
    meeting = ReviewMeetingFactory(project=project, held_on=today)
    item = ActionItemFactory(project=project, owner=members[Role.PROJECT_MANAGER])
    item.project = as_seen_by(actor, project)

    services.action_item_update(
        actor=actor,
        item=item,
        title="Re-test transfers",
        owner=members[Role.KEY_USER],
        due_date=today + days(9),
        raised_in=meeting,
        status=S.CANCELLED,
    )

    item.refresh_from_db()
    assert (item.title, item.owner, item.due_date, item.raised_in, item.status) == (
        "Re-test transfers",
        members[Role.KEY_USER],
        today + days(9),
        meeting,
        S.CANCELLED,
    )
    assert item.closed_at is not None


def test_an_owner_may_update_only_the_status_of_their_item(project, pilot_user, today):
    item = ActionItemFactory(project=project, owner=pilot_user, title="Write the guide")
    item.project = as_seen_by(pilot_user, project)
    before = items_snapshot(project)

    with pytest.raises(PermissionDenied):
        services.action_item_update(
            actor=pilot_user, item=item, status=S.DONE, due_date=today + days(30)
        )
    assert items_snapshot(project) == before

    services.action_item_update(actor=pilot_user, item=item, status=S.IN_PROGRESS)
    item.refresh_from_db()
    assert (item.status, item.title) == (S.IN_PROGRESS, "Write the guide")


def test_handing_an_item_to_a_non_member_is_a_field_error(project, pm):
    item = ActionItemFactory(project=project, owner=pm)
    item.project = project
    before = items_snapshot(project)

    stranger = UserFactory(first_name="Bao", last_name="Tran")

    with pytest.raises(ValidationError) as error:
        services.action_item_update(actor=pm, item=item, owner=stranger)

    assert field_errors(error) == {"owner": ["Choose a member of this project's team."]}
    assert items_snapshot(project) == before


def test_removing_the_due_date_is_a_field_error(project, pm):
    item = ActionItemFactory(project=project, owner=pm)
    item.project = project

    with pytest.raises(ValidationError) as error:
        services.action_item_update(actor=pm, item=item, due_date=None)

    assert field_errors(error) == {"due_date": ["Every action item needs a due date."]}


# --- Reads and carry-over -----------------------------------------------------------------


def test_a_meeting_shows_its_own_items_and_the_open_ones_from_before(project, pm, today):
    earlier = ReviewMeetingFactory(project=project, held_on=today - days(14))
    meeting = ReviewMeetingFactory(project=project, held_on=today - days(7))
    later = ReviewMeetingFactory(project=project, held_on=today)

    raised_open = ActionItemFactory(project=project, raised_in=meeting, due_date=today)
    raised_done = ActionItemFactory(
        project=project, raised_in=meeting, status=S.DONE, due_date=today + days(1)
    )
    carried = ActionItemFactory(
        project=project, raised_in=earlier, status=S.IN_PROGRESS, due_date=today - days(10)
    )
    ActionItemFactory(project=project, raised_in=earlier, status=S.DONE)
    ActionItemFactory(project=project, raised_in=earlier, status=S.CANCELLED)
    ActionItemFactory(project=project, raised_in=later)  # raised after this meeting
    outside_before = ActionItemFactory(project=project, raised_in=None, due_date=today - days(1))
    ActionItem.objects.filter(pk=outside_before.pk).update(created_at=timezone.now() - days(9))
    ActionItemFactory(project=project, raised_in=None)  # raised outside, today: after the meeting
    ActionItemFactory(raised_in=None)  # another project

    actions = selectors.meeting_actions(
        user=pm, meeting=selectors.meeting_get(user=pm, project=project, pk=meeting.pk)
    )

    assert [item.pk for item in actions.raised] == [raised_open.pk, raised_done.pk]
    assert [item.pk for item in actions.carried_over] == [carried.pk, outside_before.pk]
    assert len(actions) == 4


def test_the_next_meeting_sees_every_item_still_open(project, pm, today):
    first = ReviewMeetingFactory(project=project, held_on=today - days(14))
    second = ReviewMeetingFactory(project=project, held_on=today - days(7))
    still_open = ActionItemFactory(project=project, raised_in=first, due_date=today - days(3))
    closed_since = ActionItemFactory(project=project, raised_in=first, status=S.DONE)
    third = ReviewMeetingFactory(project=project, held_on=today)

    def carried(meeting):
        found = selectors.meeting_actions(
            user=pm, meeting=selectors.meeting_get(user=pm, project=project, pk=meeting.pk)
        )
        return [item.pk for item in found.carried_over]

    assert carried(second) == [still_open.pk]
    assert carried(third) == [still_open.pk]
    assert closed_since.pk not in carried(third)
    assert [i.pk for i in selectors.open_action_items(user=pm, project=project)] == [still_open.pk]
    assert ActionItem.objects.count() == 2  # nothing was copied


def test_meeting_list_counts_items_raised_and_still_open(project, pm, key_user, today):
    meeting = ReviewMeetingFactory(project=project, held_on=today, attendees=[pm, key_user])
    ActionItemFactory(project=project, raised_in=meeting)
    ActionItemFactory(project=project, raised_in=meeting, status=S.IN_PROGRESS)
    ActionItemFactory(project=project, raised_in=meeting, status=S.DONE)
    empty = ReviewMeetingFactory(project=project, held_on=today - days(7))

    rows = list(selectors.meeting_list(user=pm, project=project))

    assert [(m.pk, m.actions_raised, m.actions_open, m.attendee_count) for m in rows] == [
        (meeting.pk, 3, 2, 2),
        (empty.pk, 0, 0, 0),
    ]


def test_outsiders_read_nothing_through_the_selectors(project, pm, outsider, today):
    meeting = ReviewMeetingFactory(project=project, held_on=today)
    item = ActionItemFactory(project=project, owner=pm)

    for read in (
        lambda: selectors.meeting_list(user=outsider, project=project),
        lambda: selectors.meeting_get(user=outsider, project=project, pk=meeting.pk),
        lambda: selectors.action_item_get(user=outsider, project=project, pk=item.pk),
        lambda: selectors.action_item_list(user=outsider, project=project),
        lambda: selectors.open_action_items(user=outsider, project=project),
    ):
        with pytest.raises(Http404):
            read()
    assert list(selectors.meetings_visible_to(outsider)) == []
    assert list(selectors.action_items_visible_to(outsider)) == []


def test_a_meeting_of_another_project_is_not_found_through_this_one(project, pm, today):
    elsewhere = ReviewMeetingFactory(held_on=today)
    MembershipFactory(project=elsewhere.project, user=pm, role=Role.PROJECT_MANAGER)

    with pytest.raises(Http404):
        selectors.meeting_get(user=pm, project=project, pk=elsewhere.pk)


# --- Demo data ----------------------------------------------------------------------------


@pytest.fixture
def demo_users(project, members):
    extra = {
        name: MembershipFactory(project=project, role=Role.PILOT_USER).user
        for name in ("warehouse", "hr")
    }
    return {
        "pm": members[Role.PROJECT_MANAGER],
        "consultant": members[Role.CONSULTANT],
        "it": members[Role.IT],
        "keyuser": members[Role.KEY_USER],
        "sales": members[Role.PILOT_USER],
        "executive": members[Role.EXECUTIVE],
        "viewer": members[Role.VIEWER],
        **extra,
    }


@pytest.mark.parametrize("weekday_offset", range(7))
def test_demo_seeds_three_weekly_reviews_before_today_on_the_review_weekday(
    project, demo_users, weekday_offset
):
    from implementation.demo_reviews import seed_review_meetings

    today = project.local_today() - days(30) + days(weekday_offset)  # each day of a week

    seed_review_meetings(project=project, users=demo_users, today=today)

    held = list(
        ReviewMeeting.objects.filter(project=project)
        .order_by("held_on")
        .values_list("held_on", flat=True)
    )
    assert [d.weekday() for d in held] == [project.review_weekday] * 3
    assert [(b - a).days for a, b in zip(held, held[1:], strict=False)] == [7, 7]
    assert 1 <= (today - held[-1]).days <= 7


def test_demo_meetings_have_attendees_notes_decisions_and_carry_over(project, pm, demo_users):
    from implementation.demo_reviews import seed_review_meetings

    today = project.local_today()
    seed_review_meetings(project=project, users=demo_users, today=today)

    meetings = list(ReviewMeeting.objects.filter(project=project).order_by("held_on"))
    assert all(m.notes and m.decisions and m.attendees.count() >= 6 for m in meetings)
    assert [m.action_items.count() for m in meetings] == [3, 3, 3]
    items = ActionItem.objects.filter(project=project)
    statuses = sorted(items.values_list("status", flat=True))
    assert statuses.count(S.DONE) == 4
    assert statuses.count(S.CANCELLED) == 1
    assert [i.title for i in items.filter(status__in=OPEN_ACTION_STATUSES, due_date__lt=today)] == [
        "Fix the doubled quantity on transfers between warehouses"
    ]
    assert not items.filter(status__in=OPEN_ACTION_STATUSES, closed_at__isnull=False).exists()
    assert not items.exclude(status__in=OPEN_ACTION_STATUSES).filter(closed_at=None).exists()
    assert not items.filter(closed_at__gt=timezone.now()).exists()
    latest = selectors.meeting_get(user=pm, project=project, pk=meetings[-1].pk)
    carried = selectors.meeting_actions(user=pm, meeting=latest).carried_over
    assert [i.title for i in carried] == [
        "Fix the doubled quantity on transfers between warehouses",
        "Draft the cut-over plan: stock count weekend and the switch of the POS",
    ]
