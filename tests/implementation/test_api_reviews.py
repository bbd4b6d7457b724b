"""Review meetings, action items and the agenda over the API: the same rules as the pages."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from implementation.choices import ActionItemStatus
from implementation.models import ActionItem, ReviewMeeting
from projects.choices import Role
from tests.factories import MembershipFactory, UserFactory
from tests.implementation.factories_reviews import ActionItemFactory, ReviewMeetingFactory

MEETINGS_URL = "/api/v1/review-meetings/"
ITEMS_URL = "/api/v1/action-items/"
S = ActionItemStatus
WRITERS = [Role.PROJECT_MANAGER, Role.CONSULTANT]
NON_WRITERS = [Role.IT, Role.KEY_USER, Role.PILOT_USER, Role.EXECUTIVE, Role.VIEWER]


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def meeting_url(meeting) -> str:
    return f"{MEETINGS_URL}{meeting.pk}/"


def item_url(item) -> str:
    return f"{ITEMS_URL}{item.pk}/"


def agenda_url(code: str) -> str:
    return f"/api/v1/agendas/{code}/"


@pytest.fixture
def today(project):
    return project.local_today()


@pytest.fixture
def meeting(project, pm, key_user, today):
    return ReviewMeetingFactory(
        project=project, held_on=today - days(7), attendees=[pm, key_user], created_by=pm
    )


@pytest.fixture
def item(project, meeting, key_user, today):
    return ActionItemFactory(
        project=project,
        raised_in=meeting,
        owner=key_user,
        title="Confirm the VND rounding rule",
        due_date=today + days(3),
    )


def snapshot() -> tuple:
    return (
        list(ReviewMeeting.objects.order_by("pk").values()),
        list(
            ReviewMeeting.attendees.through.objects.order_by("pk").values_list(
                "reviewmeeting_id", "user_id"
            )
        ),
        list(ActionItem.objects.order_by("pk").values()),
    )


# --- Anonymous and outsiders --------------------------------------------------------------


def test_anonymous_client_gets_401_everywhere(api_client, project, meeting, item):
    urls = [MEETINGS_URL, ITEMS_URL, meeting_url(meeting), item_url(item), agenda_url("HNR-ERP")]

    assert [api_client.get(url).status_code for url in urls] == [401] * 5


def test_outsider_lists_nothing_of_a_hidden_project(api_as, project, meeting, item, outsider):
    client = api_as(outsider)

    meetings = client.get(MEETINGS_URL, {"project": "HNR-ERP"})
    items = client.get(ITEMS_URL, {"project": "HNR-ERP"})

    assert meetings.json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert items.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_outsider_gets_404_on_retrieve_patch_and_agenda(api_as, project, meeting, item, outsider):
    before = snapshot()
    client = api_as(outsider)

    responses = [
        client.get(meeting_url(meeting)),
        client.patch(meeting_url(meeting), {"notes": "Hijacked"}, format="json"),
        client.get(item_url(item)),
        client.patch(item_url(item), {"status": S.DONE}, format="json"),
        client.get(agenda_url("HNR-ERP")),
        client.get(agenda_url("NO-SUCH")),
    ]

    assert [r.status_code for r in responses] == [404] * 6
    assert snapshot() == before


@pytest.mark.parametrize("url", [MEETINGS_URL, ITEMS_URL])
def test_creating_on_a_hidden_or_missing_project_gives_the_same_400_on_project(
    api_as, project, pm, outsider, today, url
):
    before = snapshot()
    client = api_as(outsider)
    body = {
        "held_on": today.isoformat(),
        "title": "x",
        "owner": outsider.username,
        "due_date": today.isoformat(),
    }

    hidden = client.post(url, {**body, "project": "HNR-ERP"}, format="json")
    missing = client.post(url, {**body, "project": "NOPE-1"}, format="json")
    absent = client.post(url, body, format="json")

    assert hidden.status_code == missing.status_code == absent.status_code == 400
    assert hidden.json() == missing.json() == {"project": ["No such project."]}
    assert absent.json() == {"project": ["This field is required."]}
    assert snapshot() == before


# --- Review meetings ----------------------------------------------------------------------


def test_meeting_list_is_filtered_by_project_with_counts(api_as, project, pm, meeting, item):
    elsewhere = ReviewMeetingFactory()
    MembershipFactory(project=elsewhere.project, user=pm, role=Role.VIEWER)
    ActionItemFactory(project=project, raised_in=meeting, status=S.DONE)

    response = api_as(pm).get(MEETINGS_URL, {"project": "hnr-erp"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["pk"] == meeting.pk
    assert row["project"] == "HNR-ERP"
    assert row["held_on"] == meeting.held_on.isoformat()
    assert sorted(row["attendees"]) == sorted(u.username for u in meeting.attendees.all())
    assert (row["actions_raised"], row["actions_open"]) == (2, 1)
    assert row["created_by"] == pm.username
    assert api_as(pm).get(MEETINGS_URL).json()["count"] == 2


@pytest.mark.parametrize("role", WRITERS)
def test_review_runner_records_a_meeting_with_attendees_by_username(
    api_as, project, members, today, role
):
    actor = members[role]
    attendees = [members[Role.KEY_USER].username, members[Role.EXECUTIVE].username]

    response = api_as(actor).post(
        MEETINGS_URL,
        {
            "project": "hnr-erp",
            "held_on": today.isoformat(),
            "attendees": attendees,
            "notes": "UAT at 93%.",
            "decisions": "Round 2.",
        },
        format="json",
    )

    assert response.status_code == 201
    meeting = ReviewMeeting.objects.get(project=project)
    assert response.json()["pk"] == meeting.pk
    assert sorted(response.json()["attendees"]) == sorted(attendees)
    assert (meeting.held_on, meeting.notes, meeting.decisions, meeting.created_by) == (
        today,
        "UAT at 93%.",
        "Round 2.",
        actor,
    )


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("stranger", {"attendees": ["Choose a member of this project's team."]}),
        ("unknown-username", {"attendees": ["Choose a member of this project's team."]}),
        ("duplicate", "held_on"),
        ("no-date", {"held_on": ["This field is required."]}),
        ("bad-date", "held_on"),
        ("future", {"held_on": ["A meeting can only be recorded once it is held."]}),
    ],
)
def test_bad_meeting_input_gives_400_with_field_keys(
    api_as, project, pm, meeting, today, case, expected
):
    stranger = UserFactory(first_name="Bao", last_name="Tran")
    body = {"project": "HNR-ERP", "held_on": today.isoformat(), "attendees": [pm.username]}
    if case == "stranger":
        body["attendees"] = [pm.username, stranger.username]
    elif case == "unknown-username":
        body["attendees"] = ["ghost"]
    elif case == "duplicate":
        body["held_on"] = meeting.held_on.isoformat()
    elif case == "no-date":
        del body["held_on"]
    elif case == "bad-date":
        body["held_on"] = "next monday"
    else:
        body["held_on"] = (today + days(2)).isoformat()
    before = snapshot()

    response = api_as(pm).post(MEETINGS_URL, body, format="json")

    assert response.status_code == 400
    if isinstance(expected, str):
        assert list(response.json()) == [expected]
    else:
        assert response.json() == expected
    assert snapshot() == before


@pytest.mark.parametrize("role", NON_WRITERS)
def test_member_without_manage_reviews_gets_403_on_meeting_writes_even_for_bad_input(
    api_as, project, members, meeting, role
):
    before = snapshot()
    client = api_as(members[role])

    created = client.post(
        MEETINGS_URL, {"project": "HNR-ERP", "held_on": "not a date"}, format="json"
    )
    patched = client.patch(meeting_url(meeting), {"held_on": "not a date"}, format="json")

    assert (created.status_code, patched.status_code) == (403, 403)
    assert snapshot() == before


def test_review_runner_patches_a_meeting(api_as, project, consultant, meeting, today):
    response = api_as(consultant).patch(
        meeting_url(meeting),
        {"notes": "Corrected", "attendees": [consultant.username]},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["notes"] == "Corrected"
    assert response.json()["attendees"] == [consultant.username]
    meeting.refresh_from_db()
    assert meeting.held_on == today - days(7)
    assert list(meeting.attendees.all()) == [consultant]


def test_patching_a_meeting_onto_a_taken_day_gives_400(api_as, project, pm, meeting, today):
    ReviewMeetingFactory(project=project, held_on=today)
    before = snapshot()

    response = api_as(pm).patch(meeting_url(meeting), {"held_on": today.isoformat()}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "held_on": [f"A review meeting is already recorded for {today.isoformat()}."]
    }
    assert snapshot() == before


def test_meetings_cannot_be_put_or_deleted(api_as, project, pm, meeting):
    client = api_as(pm)

    assert client.put(meeting_url(meeting), {}, format="json").status_code == 405
    assert client.delete(meeting_url(meeting)).status_code == 405
    assert ReviewMeeting.objects.filter(pk=meeting.pk).exists()


# --- Action items -------------------------------------------------------------------------


@pytest.fixture
def spread(project, pm, key_user, today):
    """One item per status, owned by pm or key_user, plus one on another project of pm's."""
    items = {
        S.OPEN: ActionItemFactory(project=project, owner=key_user, status=S.OPEN),
        S.IN_PROGRESS: ActionItemFactory(project=project, owner=pm, status=S.IN_PROGRESS),
        S.DONE: ActionItemFactory(project=project, owner=key_user, status=S.DONE),
        S.CANCELLED: ActionItemFactory(project=project, owner=pm, status=S.CANCELLED),
    }
    other = ActionItemFactory(owner=pm)
    MembershipFactory(project=other.project, user=pm, role=Role.VIEWER)
    return items, other


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"project": "HNR-ERP"}, [S.OPEN, S.IN_PROGRESS, S.DONE, S.CANCELLED]),
        ({"project": "HNR-ERP", "status": "open"}, [S.OPEN]),
        ({"project": "HNR-ERP", "status": "unresolved"}, [S.OPEN, S.IN_PROGRESS]),
        ({"project": "HNR-ERP", "status": "done"}, [S.DONE]),
        ({"project": "HNR-ERP", "owner": "KEY"}, [S.OPEN, S.DONE]),
        ({"project": "HNR-ERP", "owner": "KEY", "status": "unresolved"}, [S.OPEN]),
    ],
    ids=["project", "open", "unresolved", "done", "owner", "owner-and-status"],
)
def test_action_item_list_filters(api_as, project, pm, key_user, spread, params, expected):
    params = {k: (key_user.username if v == "KEY" else v) for k, v in params.items()}

    response = api_as(pm).get(ITEMS_URL, params)

    assert response.status_code == 200
    items, _other = spread
    assert {row["pk"] for row in response.json()["results"]} == {items[s].pk for s in expected}


def test_action_item_list_without_filter_covers_all_callers_projects(api_as, pm, spread):
    items, other = spread

    pks = {row["pk"] for row in api_as(pm).get(ITEMS_URL).json()["results"]}

    assert pks == {*(i.pk for i in items.values()), other.pk}


def test_an_unknown_status_filter_gives_400(api_as, project, pm):
    response = api_as(pm).get(ITEMS_URL, {"status": "forgotten"})

    assert response.status_code == 400
    assert list(response.json()) == ["status"]


def test_action_item_row_shape(api_as, project, pm, key_user, meeting, today):
    late = ActionItemFactory(
        project=project, raised_in=meeting, owner=key_user, due_date=today - days(1)
    )

    row = api_as(pm).get(item_url(late)).json()

    assert row == {
        "pk": late.pk,
        "project": "HNR-ERP",
        "title": late.title,
        "owner": {
            "pk": key_user.pk,
            "username": key_user.username,
            "display_name": key_user.display_name,
            "email": key_user.email,
        },
        "due_date": (today - days(1)).isoformat(),
        "status": "open",
        "is_overdue": True,
        "closed_at": None,
        "raised_in": meeting.pk,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


@pytest.mark.parametrize("role", WRITERS)
def test_review_runner_raises_an_action_item(api_as, project, members, meeting, today, role):
    owner = members[Role.PILOT_USER]

    response = api_as(members[role]).post(
        ITEMS_URL,
        {
            "project": "HNR-ERP",
            "title": "Write the cashier's guide",
            "owner": owner.username,
            "due_date": (today + days(14)).isoformat(),
            "raised_in": meeting.pk,
        },
        format="json",
    )

    assert response.status_code == 201
    created = ActionItem.objects.get(title="Write the cashier's guide")
    assert response.json()["pk"] == created.pk
    assert (created.owner, created.raised_in, created.created_by, created.status) == (
        owner,
        meeting,
        members[role],
        S.OPEN,
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"owner": "STRANGER"}, {"owner": ["Choose a member of this project's team."]}),
        ({"owner": "ghost"}, {"owner": ["Choose a member of this project's team."]}),
        ({"due_date": None}, {"due_date": ["This field may not be null."]}),
        ({"due_date": "DROP"}, {"due_date": ["This field is required."]}),
        ({"title": ""}, {"title": ["This field may not be blank."]}),
        ({"raised_in": "FOREIGN"}, {"raised_in": ["Choose a meeting of this project."]}),
        ({"raised_in": 999999}, "raised_in"),
    ],
    ids=[
        "non-member-owner",
        "unknown-owner",
        "null-due-date",
        "missing-due-date",
        "blank-title",
        "foreign-meeting",
        "unknown-meeting",
    ],
)
def test_bad_action_item_input_gives_400_with_field_keys(
    api_as, project, pm, key_user, today, changes, expected
):
    stranger = UserFactory(first_name="Bao", last_name="Tran")
    foreign = ReviewMeetingFactory(held_on=today)
    body = {
        "project": "HNR-ERP",
        "title": "Anything",
        "owner": key_user.username,
        "due_date": today.isoformat(),
    }
    body.update(changes)
    if body.get("owner") == "STRANGER":
        body["owner"] = stranger.username
    if body.get("due_date") == "DROP":
        del body["due_date"]
    if body.get("raised_in") == "FOREIGN":
        body["raised_in"] = foreign.pk
    before = snapshot()

    response = api_as(pm).post(ITEMS_URL, body, format="json")

    assert response.status_code == 400
    if isinstance(expected, str):
        assert list(response.json()) == [expected]
    else:
        assert response.json() == expected
    assert snapshot() == before


@pytest.mark.parametrize("role", NON_WRITERS)
def test_member_without_manage_reviews_gets_403_on_create_even_for_bad_input(
    api_as, project, members, role
):
    before = snapshot()

    response = api_as(members[role]).post(
        ITEMS_URL, {"project": "HNR-ERP", "owner": "ghost", "due_date": "soon"}, format="json"
    )

    assert response.status_code == 403
    assert snapshot() == before


def test_review_runner_patches_any_field(api_as, project, pm, consultant, item, today):
    response = api_as(consultant).patch(
        item_url(item),
        {"title": "Rounding rule signed", "owner": pm.username, "status": S.DONE},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["owner"]["username"], body["status"]) == (
        "Rounding rule signed",
        pm.username,
        "done",
    )
    assert body["closed_at"] is not None
    item.refresh_from_db()
    assert (item.title, item.owner, item.status) == ("Rounding rule signed", pm, S.DONE)


def test_owner_patches_the_status_of_their_own_item(api_as, project, key_user, item):
    client = api_as(key_user)

    done = client.patch(item_url(item), {"status": S.DONE}, format="json")
    reopened = client.patch(item_url(item), {"status": S.IN_PROGRESS}, format="json")

    assert done.status_code == 200
    assert done.json()["closed_at"] is not None
    assert reopened.status_code == 200
    assert (reopened.json()["status"], reopened.json()["closed_at"]) == ("in_progress", None)


@pytest.mark.parametrize(
    "body",
    [{"title": "Mine now"}, {"status": S.DONE, "due_date": "2030-01-01"}, {"owner": "x"}],
    ids=["title", "status-and-due-date", "owner"],
)
def test_owner_gets_403_when_patching_anything_but_the_status(
    api_as, project, key_user, item, body
):
    before = snapshot()

    response = api_as(key_user).patch(item_url(item), body, format="json")

    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("role", [Role.IT, Role.PILOT_USER, Role.EXECUTIVE, Role.VIEWER])
def test_member_who_does_not_own_the_item_gets_403_on_patch(api_as, project, members, item, role):
    before = snapshot()

    response = api_as(members[role]).patch(item_url(item), {"status": S.DONE}, format="json")

    assert response.status_code == 403
    assert snapshot() == before


def test_an_unknown_status_gives_400(api_as, project, pm, item):
    before = snapshot()

    response = api_as(pm).patch(item_url(item), {"status": "forgotten"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["status"]
    assert snapshot() == before


def test_action_items_cannot_be_deleted(api_as, project, pm, item):
    assert api_as(pm).delete(item_url(item)).status_code == 405
    assert ActionItem.objects.filter(pk=item.pk).exists()


# --- Agenda -------------------------------------------------------------------------------


def test_every_member_reads_the_agenda_as_json(api_as, project, members, meeting, today):
    late = ActionItemFactory(
        project=project, owner=members[Role.KEY_USER], due_date=today - days(2), title="Late"
    )

    for role in Role:
        response = api_as(members[role]).get(agenda_url("hnr-erp"))
        assert response.status_code == 200

    body = response.json()
    assert body["project"] == "HNR-ERP"
    assert body["time_zone"] == "Asia/Ho_Chi_Minh"
    assert body["next_meeting_at"].endswith("T09:00:00+07:00")
    assert datetime.datetime.fromisoformat(body["next_meeting_at"]).weekday() == 0
    assert (body["last_meeting"], body["last_meeting_held_on"]) == (
        meeting.pk,
        meeting.held_on.isoformat(),
    )
    assert [s["key"] for s in body["sections"]] == [
        "overdue_checklist_items",
        "open_action_items",
        "configuration_changes",
        "blocking_defects",
        "pending_signoffs",
        "kpi_measurements_due",
    ]
    actions = body["sections"][1]
    assert actions["title"] == "Open action items"
    assert actions["items"] == [
        {
            "text": "Late",
            "detail": "Raised outside a meeting · Open",
            "url": f"/projects/HNR-ERP/actions/#action-{late.pk}",
            "owner": members[Role.KEY_USER].username,
            "owner_name": members[Role.KEY_USER].display_name,
            "due_date": (today - days(2)).isoformat(),
            "flags": ["overdue"],
        }
    ]


def test_agenda_query_count_does_not_grow_with_rows(api_as, project, pm, key_user, today):
    client = api_as(pm)

    def count():
        with CaptureQueriesContext(connection) as context:
            response = client.get(agenda_url("HNR-ERP"))
        assert response.status_code == 200
        return len(context.captured_queries), len(response.json()["sections"][1]["items"])

    for n in range(2):
        ActionItemFactory(project=project, owner=[pm, key_user][n % 2], due_date=today - days(n))
    few, few_rows = count()
    for n in range(18):
        ActionItemFactory(project=project, owner=[pm, key_user][n % 2], due_date=today - days(n))
    many, many_rows = count()

    assert (few_rows, many_rows) == (2, 20)
    assert many == few


# --- List query counts --------------------------------------------------------------------


def count_list(client, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), response.json()["count"]


def test_meeting_list_query_count_does_not_grow_with_rows(api_as, project, pm, key_user, today):
    client = api_as(pm)

    def add(start, count):
        for n in range(start, start + count):
            meeting = ReviewMeetingFactory(
                project=project, held_on=today - days(n), attendees=[pm, key_user]
            )
            ActionItemFactory(project=project, raised_in=meeting, owner=pm)

    add(0, 2)
    few, few_rows = count_list(client, MEETINGS_URL)
    add(2, 18)
    many, many_rows = count_list(client, MEETINGS_URL)

    assert (few_rows, many_rows) == (2, 20)
    assert many == few


def test_action_item_list_query_count_does_not_grow_with_rows(api_as, project, pm, key_user):
    client = api_as(pm)
    for n in range(2):
        ActionItemFactory(project=project, owner=[pm, key_user][n % 2])
    few, few_rows = count_list(client, ITEMS_URL)
    for n in range(18):
        ActionItemFactory(project=project, owner=[pm, key_user][n % 2])
    many, many_rows = count_list(client, ITEMS_URL)

    assert (few_rows, many_rows) == (2, 20)
    assert many == few


# --- Schema -------------------------------------------------------------------------------


def test_schema_documents_the_review_endpoints(api_client, db):
    response = api_client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    assert set(paths["/api/v1/review-meetings/"]) == {"get", "post"}
    assert set(paths["/api/v1/review-meetings/{id}/"]) == {"get", "patch"}
    assert set(paths["/api/v1/action-items/"]) == {"get", "post"}
    assert set(paths["/api/v1/action-items/{id}/"]) == {"get", "patch"}
    assert set(paths["/api/v1/agendas/{code}/"]) == {"get"}
    item_filters = {p["name"] for p in paths["/api/v1/action-items/"]["get"]["parameters"]}
    assert {"project", "status", "owner"} <= item_filters


def test_a_meeting_may_be_recorded_without_attendees_or_notes(api_as, project, pm, today):
    response = api_as(pm).post(
        MEETINGS_URL, {"project": "HNR-ERP", "held_on": today.isoformat()}, format="json"
    )

    assert response.status_code == 201
    assert (response.json()["attendees"], response.json()["notes"]) == ([], "")
