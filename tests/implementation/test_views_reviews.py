"""Review pages: who sees what, what they may change, what the pages and fragments send."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from implementation.choices import ActionItemStatus
from implementation.models import ActionItem, ReviewMeeting
from implementation.views import reviews as views
from projects.choices import Role
from projects.policy import POLICY_ATTRIBUTE
from tests.factories import MembershipFactory, UserFactory
from tests.implementation.factories_reviews import ActionItemFactory, ReviewMeetingFactory

HTMX = {"HX-Request": "true"}
LOGIN_URL = "/accounts/login/"
S = ActionItemStatus
WRITERS = [Role.PROJECT_MANAGER, Role.CONSULTANT]
NON_WRITERS = [Role.IT, Role.KEY_USER, Role.PILOT_USER, Role.EXECUTIVE, Role.VIEWER]

READ_PAGES = ["meeting-list", "agenda", "meeting-detail", "action-list"]
WRITE_PAGES = ["meeting-create", "meeting-edit", "action-create", "action-edit"]
ALL_PAGES = [*READ_PAGES, *WRITE_PAGES, "action-status"]


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


@pytest.fixture
def today(project):
    return project.local_today()


@pytest.fixture
def meeting(project, pm, key_user, today):
    return ReviewMeetingFactory(
        project=project,
        held_on=today - days(7),
        attendees=[pm, key_user],
        notes="UAT round 1 at 88%.",
        decisions="Go-live date kept.",
        created_by=pm,
    )


@pytest.fixture
def item(project, meeting, key_user, pm, today):
    return ActionItemFactory(
        project=project,
        raised_in=meeting,
        owner=key_user,
        title="Confirm the VND rounding rule",
        due_date=today + days(3),
        created_by=pm,
    )


def url(name, project, pk=None) -> str:
    args = [project.code] if pk is None else [project.code, pk]
    return reverse(f"implementation:{name}", args=args)


def page_url(name, project, meeting, item) -> str:
    if name in ("meeting-detail", "meeting-edit"):
        return url(name, project, meeting.pk)
    if name in ("action-edit", "action-status"):
        return url(name, project, item.pk)
    return url(name, project)


def snapshot(project) -> tuple:
    return (
        list(ReviewMeeting.objects.filter(project=project).order_by("pk").values()),
        list(
            ReviewMeeting.attendees.through.objects.filter(reviewmeeting__project=project)
            .order_by("pk")
            .values_list("reviewmeeting_id", "user_id")
        ),
        list(ActionItem.objects.filter(project=project).order_by("pk").values()),
    )


def valid_post(name, project, members, today) -> dict:
    """Input that would succeed for a review runner."""
    owner = members[Role.KEY_USER].pk
    return {
        "meeting-create": {"held_on": today.isoformat(), "notes": "New"},
        "meeting-edit": {"held_on": (today - days(1)).isoformat(), "notes": "Edited"},
        "action-create": {"title": "New", "owner": owner, "due_date": today.isoformat()},
        "action-edit": {
            "title": "Edited",
            "owner": owner,
            "due_date": today.isoformat(),
            "status": S.DONE,
        },
        "action-status": {"status": S.DONE},
    }.get(name, {})


# --- Declared policies --------------------------------------------------------------------


def test_review_pages_declare_the_capability_they_check():
    assert {p.name: getattr(p.callback, POLICY_ATTRIBUTE) for p in views.urlpatterns} == {
        "meeting-list": "project:view_project",
        "agenda": "project:view_project",
        "meeting-create": "project:manage_reviews",
        "meeting-detail": "project:view_project",
        "meeting-edit": "project:manage_reviews",
        "action-list": "project:view_project",
        "action-create": "project:manage_reviews",
        "action-edit": "project:manage_reviews",
        "action-status": "project:view_project",
    }


# --- Anonymous and outsiders --------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_user_is_sent_to_login(client, project, members, meeting, item, name, method):
    page = page_url(name, project, meeting, item)
    before = snapshot(project)

    response = getattr(client, method)(page)

    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next={page}"
    assert snapshot(project) == before


@pytest.mark.parametrize("name", ALL_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_outsider_gets_404_and_nothing_changes(
    client, project, members, meeting, item, outsider, today, name, method, headers
):
    before = snapshot(project)
    client.force_login(outsider)

    response = getattr(client, method)(
        page_url(name, project, meeting, item),
        valid_post(name, project, members, today),
        headers=headers,
    )

    assert response.status_code == 404
    assert snapshot(project) == before


def test_outsider_cannot_reach_another_projects_items_through_their_own_project(
    client, project, meeting, item, outsider
):
    own = outsider.memberships.get().project
    before = snapshot(project)
    client.force_login(outsider)

    assert client.get(url("meeting-detail", own, meeting.pk)).status_code == 404
    assert client.get(url("action-edit", own, item.pk)).status_code == 404
    response = client.post(url("action-status", own, item.pk), {"status": S.DONE})

    assert response.status_code == 404
    assert snapshot(project) == before


# --- Members ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("name", READ_PAGES)
def test_every_member_reads_the_review_pages(client, project, members, meeting, item, role, name):
    client.force_login(members[role])

    response = client.get(page_url(name, project, meeting, item))

    assert response.status_code == 200


@pytest.mark.parametrize("role", WRITERS)
@pytest.mark.parametrize("name", WRITE_PAGES)
def test_review_runners_open_the_forms(client, project, members, meeting, item, role, name):
    client.force_login(members[role])

    response = client.get(page_url(name, project, meeting, item))

    assert response.status_code == 200
    assert 'method="post"' in response.content.decode()


@pytest.mark.parametrize("role", NON_WRITERS)
@pytest.mark.parametrize("name", WRITE_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_members_without_manage_reviews_get_403_and_nothing_changes(
    client, project, members, meeting, item, today, role, name, method
):
    before = snapshot(project)
    client.force_login(members[role])

    response = getattr(client, method)(
        page_url(name, project, meeting, item), valid_post(name, project, members, today)
    )

    assert response.status_code == 403
    assert snapshot(project) == before


@pytest.mark.parametrize("role", NON_WRITERS)
def test_read_only_members_see_no_write_controls(client, project, members, meeting, item, role):
    client.force_login(members[role])

    listing = client.get(url("meeting-list", project)).content.decode()
    detail = client.get(url("meeting-detail", project, meeting.pk)).content.decode()

    assert 'id="record-meeting"' not in listing
    assert 'id="action-add"' not in detail
    assert url("meeting-edit", project, meeting.pk) not in detail
    assert url("action-edit", project, item.pk) not in detail


# --- Meeting list and agenda --------------------------------------------------------------


def test_meeting_list_shows_meetings_newest_first_with_counts_and_the_agenda_link(
    client, project, pm, meeting, item, today
):
    older = ReviewMeetingFactory(project=project, held_on=today - days(14))
    ActionItemFactory(project=project, raised_in=meeting, status=S.DONE)
    client.force_login(pm)

    response = client.get(url("meeting-list", project))

    content = response.content.decode()
    assert [m.pk for m in response.context["page"].object_list] == [meeting.pk, older.pk]
    first = response.context["page"].object_list[0]
    assert (first.actions_raised, first.actions_open, first.attendee_count) == (2, 1, 2)
    assert f'href="{url("agenda", project)}"' in content
    assert f'href="{url("meeting-create", project)}"' in content
    assert url("meeting-detail", project, older.pk) in content


def test_meeting_list_pages_by_25(client, project, pm, today):
    for n in range(27):
        ReviewMeetingFactory(project=project, held_on=today - days(n))
    client.force_login(pm)

    first = client.get(url("meeting-list", project))
    second = client.get(url("meeting-list", project), {"page": 2})

    assert len(first.context["page"].object_list) == 25
    assert first.context["page"].object_list[0].held_on == today
    assert [m.held_on for m in second.context["page"].object_list] == [
        today - days(25),
        today - days(26),
    ]


def test_agenda_page_shows_the_next_slot_in_the_projects_time_zone_and_every_section(
    client, project, viewer, item
):
    project.time_zone = "Europe/Paris"
    project.save(update_fields=["time_zone"])
    client.force_login(viewer)

    response = client.get(url("agenda", project))

    content = response.content.decode()
    slot = response.context["agenda"].next_meeting_at
    assert str(slot.tzinfo) == "Europe/Paris"
    assert (slot.weekday(), slot.hour, slot.minute) == (0, 9, 0)
    assert f"{slot:%A} {slot.day} {slot:%B %Y}, 09:00" in content
    assert "(Europe/Paris)" in content
    for section_id in ("overdue_checklist_items", "open_action_items", "configuration_changes"):
        assert f'id="section-{section_id}"' in content
    assert item.title in content
    assert url("meeting-create", project) not in content  # a viewer does not record


# --- Recording and editing meetings -------------------------------------------------------


def test_the_record_form_defaults_to_today_offers_the_team_and_lists_open_items(
    client, project, members, pm, item, today, outsider
):
    done = ActionItemFactory(project=project, status=S.DONE, title="Closed long ago")
    client.force_login(pm)

    response = client.get(url("meeting-create", project))

    content = response.content.decode()
    assert f'name="held_on" value="{today.isoformat()}"' in content
    offered = {int(value) for value, _label in response.context["form"].fields["attendees"].choices}
    assert offered == {user.pk for user in members.values()}
    assert outsider.pk not in offered
    assert content.count('type="checkbox" name="attendees"') == len(members)
    assert f'id="action-{item.pk}"' in content
    assert url("action-status", project, item.pk) in content
    assert done.title not in content


def test_review_runner_records_a_meeting_and_lands_on_it(
    client, project, consultant, key_user, today
):
    client.force_login(consultant)

    response = client.post(
        url("meeting-create", project),
        {
            "held_on": today.isoformat(),
            "attendees": [consultant.pk, key_user.pk],
            "notes": "UAT round 2 planned.",
            "decisions": "Cut-over on a weekend.",
        },
    )

    meeting = ReviewMeeting.objects.get(project=project)
    assert response.status_code == 302
    assert response.url == url("meeting-detail", project, meeting.pk)
    assert (meeting.held_on, meeting.notes, meeting.decisions, meeting.created_by) == (
        today,
        "UAT round 2 planned.",
        "Cut-over on a weekend.",
        consultant,
    )
    assert set(meeting.attendees.all()) == {consultant, key_user}


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("stranger", "attendees", "is not one of the available choices."),
        ("duplicate", "held_on", "A review meeting is already recorded for"),
        ("missing-date", "held_on", "This field is required."),
        ("future", "held_on", "A meeting can only be recorded once it is held."),
    ],
)
def test_bad_meeting_input_answers_422_with_the_field_error(
    client, project, pm, meeting, today, case, field, message
):
    stranger = UserFactory(first_name="Bao", last_name="Tran")
    data = {"held_on": today.isoformat(), "attendees": [pm.pk], "notes": "x"}
    if case == "stranger":
        data["attendees"] = [pm.pk, stranger.pk]
    elif case == "duplicate":
        data["held_on"] = meeting.held_on.isoformat()
    elif case == "missing-date":
        data["held_on"] = ""
    else:
        data["held_on"] = (today + days(1)).isoformat()
    before = snapshot(project)
    client.force_login(pm)

    response = client.post(url("meeting-create", project), data)

    assert response.status_code == 422
    assert list(response.context["form"].errors) == [field]
    assert message in response.content.decode()
    assert snapshot(project) == before


def test_review_runner_edits_a_meeting(client, project, pm, consultant, meeting, today):
    client.force_login(pm)

    response = client.post(
        url("meeting-edit", project, meeting.pk),
        {
            "held_on": (today - days(6)).isoformat(),
            "attendees": [consultant.pk],
            "notes": "Corrected notes",
            "decisions": meeting.decisions,
        },
    )

    assert response.status_code == 302
    assert response.url == url("meeting-detail", project, meeting.pk)
    meeting.refresh_from_db()
    assert (meeting.held_on, meeting.notes) == (today - days(6), "Corrected notes")
    assert list(meeting.attendees.all()) == [consultant]


def test_editing_a_meeting_onto_a_taken_day_answers_422(client, project, pm, meeting, today):
    other = ReviewMeetingFactory(project=project, held_on=today)
    before = snapshot(project)
    client.force_login(pm)

    response = client.post(
        url("meeting-edit", project, meeting.pk), {"held_on": other.held_on.isoformat()}
    )

    assert response.status_code == 422
    assert response.context["form"].errors["held_on"] == [
        f"A review meeting is already recorded for {today.isoformat()}."
    ]
    assert snapshot(project) == before


# --- Meeting detail -----------------------------------------------------------------------


def test_meeting_page_shows_notes_attendees_raised_and_carried_over_items(
    client, project, viewer, pm, key_user, meeting, item, today
):
    earlier = ReviewMeetingFactory(project=project, held_on=today - days(14))
    carried = ActionItemFactory(
        project=project, raised_in=earlier, title="Fix the transfers", due_date=today - days(2)
    )
    ActionItemFactory(project=project, raised_in=earlier, status=S.DONE, title="Closed earlier")
    client.force_login(viewer)

    response = client.get(url("meeting-detail", project, meeting.pk))

    content = response.content.decode()
    assert [i.pk for i in response.context["raised"]] == [item.pk]
    assert [i.pk for i in response.context["carried_over"]] == [carried.pk]
    assert "UAT round 1 at 88%." in content
    assert "Go-live date kept." in content
    assert pm.display_name in content
    assert key_user.display_name in content
    assert f'<tr id="action-{carried.pk}" class="is-overdue">' in content
    assert "Closed earlier" not in content


def test_an_owner_gets_status_buttons_on_their_own_item_only(
    client, project, key_user, pm, meeting, item
):
    others = ActionItemFactory(project=project, raised_in=meeting, owner=pm)
    client.force_login(key_user)

    content = client.get(url("meeting-detail", project, meeting.pk)).content.decode()

    assert url("action-status", project, item.pk) in content
    assert url("action-status", project, others.pk) not in content


def test_htmx_add_action_item_on_the_meeting_page_returns_the_row(
    client, project, pm, key_user, meeting, today
):
    client.force_login(pm)

    response = client.post(
        f"{url('action-create', project)}?meeting={meeting.pk}",
        {
            "title": "Re-test transfers",
            "owner": key_user.pk,
            "due_date": (today + days(5)).isoformat(),
            "raised_in": meeting.pk,
            "next": url("meeting-detail", project, meeting.pk),
        },
        headers=HTMX,
    )

    created = ActionItem.objects.get(title="Re-test transfers")
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert content.strip().startswith(f'<tr id="action-{created.pk}"')
    assert json.loads(response["HX-Trigger"]) == {"actionItemsChanged": {}}
    assert (created.raised_in, created.owner, created.created_by) == (meeting, key_user, pm)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"due_date": ""}, "due_date", "This field is required."),
        ({"owner": "stranger"}, "owner", "That choice is not one of the available choices."),
        ({"title": ""}, "title", "This field is required."),
    ],
    ids=["no-due-date", "non-member-owner", "no-title"],
)
def test_htmx_add_with_bad_input_answers_422_with_the_form(
    client, project, pm, key_user, meeting, today, changes, field, message
):
    stranger = UserFactory(first_name="Bao", last_name="Tran")
    data = {
        "title": "Re-test transfers",
        "owner": key_user.pk,
        "due_date": today.isoformat(),
        "raised_in": meeting.pk,
    }
    data.update(changes)
    if data["owner"] == "stranger":
        data["owner"] = stranger.pk
    before = snapshot(project)
    client.force_login(pm)

    response = client.post(
        f"{url('action-create', project)}?meeting={meeting.pk}", data, headers=HTMX
    )

    content = response.content.decode()
    assert response.status_code == 422
    assert "<html" not in content
    assert content.strip().startswith('<form id="action-add"')
    assert message in content
    assert response["HX-Retarget"] == "#action-add"
    assert response["HX-Reswap"] == "outerHTML"
    assert "HX-Trigger" not in response
    assert snapshot(project) == before


# --- Action items: create and edit --------------------------------------------------------


def test_plain_action_create_from_a_meeting_prefills_it_and_returns_there(
    client, project, pm, key_user, meeting, today
):
    client.force_login(pm)
    page = f"{url('action-create', project)}?meeting={meeting.pk}"

    form_page = client.get(page)
    response = client.post(
        page,
        {
            "title": "Book the training room",
            "owner": key_user.pk,
            "due_date": today.isoformat(),
            "raised_in": meeting.pk,
        },
    )

    assert form_page.context["form"].initial["raised_in"] == meeting
    assert response.status_code == 302
    assert response.url == url("meeting-detail", project, meeting.pk)
    assert ActionItem.objects.get(title="Book the training room").raised_in == meeting


def test_plain_action_create_outside_a_meeting_returns_to_the_list(
    client, project, consultant, key_user, today
):
    client.force_login(consultant)

    response = client.post(
        url("action-create", project),
        {"title": "Call the POS vendor", "owner": key_user.pk, "due_date": today.isoformat()},
    )

    assert response.status_code == 302
    assert response.url == url("action-list", project)
    assert ActionItem.objects.get(title="Call the POS vendor").raised_in is None


def test_plain_action_create_without_due_date_answers_422(client, project, pm, key_user):
    client.force_login(pm)
    before = snapshot(project)

    response = client.post(
        url("action-create", project), {"title": "Anything", "owner": key_user.pk}
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {"due_date": ["This field is required."]}
    assert snapshot(project) == before


def test_another_projects_meeting_in_the_query_is_not_found(client, project, pm, today):
    foreign = ReviewMeetingFactory(held_on=today)
    MembershipFactory(project=foreign.project, user=pm, role=Role.PROJECT_MANAGER)
    client.force_login(pm)

    response = client.get(f"{url('action-create', project)}?meeting={foreign.pk}")

    assert response.status_code == 404


def test_raising_in_another_projects_meeting_is_a_field_error(client, project, pm, key_user, today):
    foreign = ReviewMeetingFactory(held_on=today)
    before = snapshot(project)
    client.force_login(pm)

    response = client.post(
        url("action-create", project),
        {
            "title": "x",
            "owner": key_user.pk,
            "due_date": today.isoformat(),
            "raised_in": foreign.pk,
        },
    )

    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["raised_in"]
    assert snapshot(project) == before


def test_review_runner_edits_an_item_and_returns_to_next(
    client, project, pm, consultant, meeting, item, today
):
    client.force_login(pm)
    back = url("meeting-detail", project, meeting.pk)

    response = client.post(
        url("action-edit", project, item.pk),
        {
            "title": "Confirm rounding in writing",
            "owner": consultant.pk,
            "due_date": (today + days(1)).isoformat(),
            "status": S.IN_PROGRESS,
            "raised_in": meeting.pk,
            "next": back,
        },
    )

    assert response.status_code == 302
    assert response.url == back
    item.refresh_from_db()
    assert (item.title, item.owner, item.status) == (
        "Confirm rounding in writing",
        consultant,
        S.IN_PROGRESS,
    )


def test_editing_an_item_with_a_non_member_owner_answers_422(client, project, pm, item, today):
    stranger = UserFactory(first_name="Bao", last_name="Tran")
    before = snapshot(project)
    client.force_login(pm)

    response = client.post(
        url("action-edit", project, item.pk),
        {
            "title": item.title,
            "owner": stranger.pk,
            "due_date": item.due_date.isoformat(),
            "status": item.status,
        },
    )

    assert response.status_code == 422
    # The form offers only the team, so a stranger is not even a valid choice (and is not named).
    assert response.context["form"].errors == {
        "owner": ["Select a valid choice. That choice is not one of the available choices."]
    }
    assert snapshot(project) == before


# --- Action items: one-tap status ---------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PROJECT_MANAGER, Role.CONSULTANT, Role.KEY_USER])
def test_htmx_status_change_returns_the_updated_row_with_an_event(
    client, project, members, meeting, item, role
):
    # key_user owns the item; the others run the reviews
    client.force_login(members[role])

    response = client.post(
        url("action-status", project, item.pk),
        {"status": S.DONE, "next": url("meeting-detail", project, meeting.pk)},
        headers=HTMX,
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert content.strip().startswith(f'<tr id="action-{item.pk}"')
    assert 'value="done"\n                  aria-pressed="true"' in content
    assert json.loads(response["HX-Trigger"]) == {"actionItemsChanged": {}}
    item.refresh_from_db()
    assert item.status == S.DONE
    assert item.closed_at is not None


def test_plain_status_change_redirects_back(client, project, key_user, meeting, item):
    client.force_login(key_user)
    back = url("meeting-detail", project, meeting.pk)

    response = client.post(
        url("action-status", project, item.pk), {"status": S.IN_PROGRESS, "next": back}
    )

    assert response.status_code == 302
    assert response.url == back
    item.refresh_from_db()
    assert (item.status, item.closed_at) == (S.IN_PROGRESS, None)


def test_status_change_ignores_a_next_url_on_another_host(client, project, pm, item):
    client.force_login(pm)

    response = client.post(
        url("action-status", project, item.pk),
        {"status": S.CANCELLED, "next": "https://evil.example/"},
    )

    assert response.status_code == 302
    assert response.url == url("action-list", project)


def test_reopening_clears_closed_at(client, project, pm, item):
    client.force_login(pm)
    client.post(url("action-status", project, item.pk), {"status": S.DONE}, headers=HTMX)

    client.post(url("action-status", project, item.pk), {"status": S.OPEN}, headers=HTMX)

    item.refresh_from_db()
    assert (item.status, item.closed_at) == (S.OPEN, None)


@pytest.mark.parametrize("role", NON_WRITERS)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_member_who_does_not_own_the_item_gets_403_on_status(
    client, project, members, pm, meeting, role, headers
):
    others = ActionItemFactory(project=project, raised_in=meeting, owner=pm)
    before = snapshot(project)
    client.force_login(members[role])

    response = client.post(
        url("action-status", project, others.pk), {"status": S.DONE}, headers=headers
    )

    assert response.status_code == 403
    assert snapshot(project) == before


@pytest.mark.parametrize("role", NON_WRITERS)
def test_an_owner_in_any_role_moves_their_own_item(client, project, members, role):
    own = ActionItemFactory(project=project, owner=members[role])
    client.force_login(members[role])

    response = client.post(url("action-status", project, own.pk), {"status": S.DONE}, headers=HTMX)

    assert response.status_code == 200
    own.refresh_from_db()
    assert own.status == S.DONE


def test_an_unknown_status_answers_422_with_the_row(client, project, pm, item):
    before = snapshot(project)
    client.force_login(pm)

    response = client.post(
        url("action-status", project, item.pk), {"status": "forgotten"}, headers=HTMX
    )

    content = response.content.decode()
    assert response.status_code == 422
    assert content.strip().startswith(f'<tr id="action-{item.pk}"')
    assert "Select a valid choice. forgotten is not one of the available choices." in content
    assert "HX-Trigger" not in response
    assert snapshot(project) == before


def test_an_unknown_status_with_plain_post_redirects_with_a_message(client, project, pm, item):
    before = snapshot(project)
    client.force_login(pm)

    response = client.post(
        url("action-status", project, item.pk), {"status": "forgotten"}, follow=True
    )

    assert response.redirect_chain == [(url("action-list", project), 302)]
    assert "Select a valid choice." in response.content.decode()
    assert snapshot(project) == before


# --- Action list --------------------------------------------------------------------------


@pytest.fixture
def one_of_each(project, pm, today):
    return {
        status: ActionItemFactory(
            project=project, owner=pm, status=status, title=f"Item {status}", due_date=today
        )
        for status in S
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, [S.OPEN, S.IN_PROGRESS]),
        ({"status": "unresolved"}, [S.OPEN, S.IN_PROGRESS]),
        ({"status": S.DONE}, [S.DONE]),
        ({"status": S.CANCELLED}, [S.CANCELLED]),
        ({"status": ""}, [S.OPEN, S.IN_PROGRESS, S.DONE, S.CANCELLED]),
    ],
    ids=["default", "unresolved", "done", "cancelled", "any"],
)
def test_action_list_shows_open_items_unless_another_status_is_asked_for(
    client, project, viewer, one_of_each, query, expected
):
    client.force_login(viewer)

    response = client.get(url("action-list", project), query)

    assert response.status_code == 200
    assert [i.status for i in response.context["page"].object_list] == expected


def test_overdue_items_stand_out_on_the_action_list(client, project, pm, today):
    late = ActionItemFactory(project=project, owner=pm, due_date=today - days(1))
    on_time = ActionItemFactory(project=project, owner=pm, due_date=today)
    done_late = ActionItemFactory(
        project=project, owner=pm, due_date=today - days(3), status=S.DONE
    )
    client.force_login(pm)

    content = client.get(url("action-list", project), {"status": ""}).content.decode()

    assert f'<tr id="action-{late.pk}" class="is-overdue">' in content
    assert f'<tr id="action-{on_time.pk}" class="">' in content
    assert f'<tr id="action-{done_late.pk}" class="">' in content


def test_action_list_filter_with_htmx_returns_the_results_fragment(
    client, project, pm, one_of_each
):
    client.force_login(pm)

    response = client.get(url("action-list", project), {"status": S.DONE}, headers=HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert content.strip().startswith('<div id="results">')
    assert "Item done" in content
    assert "Item open" not in content


# --- Query counts -------------------------------------------------------------------------


def count_queries(client, page, params=None) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(page, params or {})
    assert response.status_code == 200
    return len(context.captured_queries)


def add_meetings(project, attendees, today, start, count):
    for n in range(start, start + count):
        meeting = ReviewMeetingFactory(
            project=project, held_on=today - days(n + 1), attendees=attendees
        )
        ActionItemFactory(project=project, raised_in=meeting, owner=attendees[n % 2])


def test_meeting_list_query_count_does_not_grow_with_rows(client, project, pm, key_user, today):
    client.force_login(pm)
    add_meetings(project, [pm, key_user], today, 0, 2)
    few = count_queries(client, url("meeting-list", project))

    add_meetings(project, [pm, key_user], today, 2, 18)
    many = count_queries(client, url("meeting-list", project))

    assert ReviewMeeting.objects.filter(project=project).count() == 20
    assert many == few


def add_items(project, meeting, earlier, owners, today, count):
    for n in range(count):
        ActionItemFactory(project=project, raised_in=meeting, owner=owners[n % 2])
        ActionItemFactory(
            project=project, raised_in=earlier, owner=owners[n % 2], due_date=today - days(1)
        )


def test_meeting_detail_query_count_does_not_grow_with_rows(
    client, project, pm, key_user, meeting, today
):
    earlier = ReviewMeetingFactory(project=project, held_on=today - days(14))
    client.force_login(pm)
    add_items(project, meeting, earlier, [pm, key_user], today, 2)
    few = count_queries(client, url("meeting-detail", project, meeting.pk))

    add_items(project, meeting, earlier, [pm, key_user], today, 18)
    meeting.attendees.add(*[MembershipFactory(project=project).user for _ in range(18)])
    many = count_queries(client, url("meeting-detail", project, meeting.pk))

    response = client.get(url("meeting-detail", project, meeting.pk))
    assert (len(response.context["raised"]), len(response.context["carried_over"])) == (20, 20)
    assert many == few


def test_action_list_query_count_does_not_grow_with_rows(client, project, pm, key_user, today):
    client.force_login(pm)
    meeting = ReviewMeetingFactory(project=project, held_on=today)
    for n in range(2):
        ActionItemFactory(project=project, raised_in=meeting, owner=[pm, key_user][n % 2])
    few = count_queries(client, url("action-list", project))

    for n in range(18):
        ActionItemFactory(
            project=project, raised_in=meeting if n % 2 else None, owner=[pm, key_user][n % 2]
        )
    many = count_queries(client, url("action-list", project))

    assert ActionItem.objects.filter(project=project).count() == 20
    assert many == few


def test_agenda_page_query_count_does_not_grow_with_rows(client, project, pm, key_user, today):
    client.force_login(pm)
    ReviewMeetingFactory(project=project, held_on=today - days(7))
    for n in range(2):
        ActionItemFactory(project=project, owner=[pm, key_user][n % 2], due_date=today - days(n))
    few = count_queries(client, url("agenda", project))

    for n in range(18):
        ActionItemFactory(project=project, owner=[pm, key_user][n % 2], due_date=today - days(n))
    many = count_queries(client, url("agenda", project))

    assert ActionItem.objects.filter(project=project).count() == 20
    assert many == few
