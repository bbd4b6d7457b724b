"""Training and communication API: the communication plan, the end-user roster and its CSV
import, training sessions with invitations and attendance, bad input 400 and nothing saved,
the policy for every role, outsiders 404, anonymous 401, and query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from implementation.models import Attendance, CommunicationActivity, EndUser, TrainingSession
from implementation.services import training
from projects.choices import Department, Role
from tests.factories import MembershipFactory, ProjectFactory
from tests.golive.factories import trained_end_users

ACTIVITIES = "/api/v1/communication-activities/"
END_USERS = "/api/v1/end-users/"
IMPORT = f"{END_USERS}import/"
SESSIONS = "/api/v1/training-sessions/"
TRAINERS = {Role.PROJECT_MANAGER, Role.CONSULTANT, Role.KEY_USER}


def url(obj, action: str = "") -> str:
    base = {
        CommunicationActivity: ACTIVITIES,
        EndUser: END_USERS,
        TrainingSession: SESSIONS,
    }[type(obj)]
    return f"{base}{obj.pk}/" + (f"{action}/" if action else "")


def row(obj) -> dict:
    return type(obj).objects.filter(pk=obj.pk).values().get()


def activity_body(project, owner, **overrides) -> dict:
    return {
        "project": project.code,
        "title": "What changes for the warehouse",
        "kind": "workshop",
        "audience_department": "warehouse",
        "planned_on": "2026-09-15",
        "owner": owner.username,
    } | overrides


def end_user_body(project, **overrides) -> dict:
    return {
        "project": project.code,
        "name": "Nguyen Van An",
        "department": "sales",
        "email": "an@example.com",
    } | overrides


def session_body(project, **overrides) -> dict:
    return {
        "project": project.code,
        "title": "Sales orders in the new system",
        "starts_at": "2026-09-20T09:00:00+07:00",
    } | overrides


def an_activity(project, actor, **fields):
    values = {
        "title": "Launch e-mail",
        "kind": "email",
        "planned_on": datetime.date(2026, 9, 1),
        "owner": actor,
    } | fields
    return training.activity_create(actor=actor, project=project, **values)


def an_end_user(project, actor, **fields):
    values = {"name": "Tran Thi Binh", "department": Department.SALES} | fields
    return training.end_user_create(actor=actor, project=project, **values)


def a_session(project, actor, *, days=-1, **fields):
    values = {
        "title": "Invoicing",
        "starts_at": timezone.now() + datetime.timedelta(days=days),
    } | fields
    return training.session_create(actor=actor, project=project, **values)


# --- Communication plan -----------------------------------------------------------------------


def test_plan_and_read_a_communication_activity(api_as, project, pm, key_user, viewer):
    response = api_as(key_user).post(ACTIVITIES, activity_body(project, pm), format="json")

    assert response.status_code == 201
    activity = CommunicationActivity.objects.get()
    body = api_as(viewer).get(url(activity)).json()
    assert body == {
        "pk": activity.pk,
        "project": project.code,
        "title": "What changes for the warehouse",
        "kind": "workshop",
        "audience_department": "warehouse",
        "audience_role": "",
        "audience": "Warehouse",
        "planned_on": "2026-09-15",
        "owner": pm.username,
        "status": "planned",
        "notes": "",
        "created_by": key_user.username,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }


def test_activities_list_by_date_and_filter(api_as, project, pm, outsider):
    an_activity(project, pm, title="Later", planned_on=datetime.date(2026, 9, 20))
    an_activity(project, pm, title="Sooner", kind="poster", planned_on=datetime.date(2026, 9, 2))
    client = api_as(pm)

    def titles(**query):
        return [item["title"] for item in client.get(ACTIVITIES, query).json()["results"]]

    assert titles(project=project.code) == ["Sooner", "Later"]
    assert titles(kind="poster") == ["Sooner"]
    assert titles(status="done") == []
    assert client.get(ACTIVITIES, {"kind": "bogus"}).status_code == 400
    assert api_as(outsider).get(ACTIVITIES, {"project": project.code}).json()["results"] == []


@pytest.mark.parametrize("role", list(Role))
def test_plan_an_activity_by_role(api_as, project, members, role):
    response = api_as(members[role]).post(
        ACTIVITIES, activity_body(project, members[role]), format="json"
    )

    assert response.status_code == (201 if role in TRAINERS else 403)
    assert CommunicationActivity.objects.count() == (1 if role in TRAINERS else 0)


def test_wrong_role_is_403_before_the_input_is_read(api_as, project, it_member):
    response = api_as(it_member).post(
        ACTIVITIES, {"project": project.code, "kind": "telepathy"}, format="json"
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"owner": "nobody"}, {"owner"}),
        ({"kind": "telepathy"}, {"kind"}),
        ({"audience_department": "space"}, {"audience_department"}),
        ({"audience_role": "boss"}, {"audience_role"}),
        ({"planned_on": "2999-01-01"}, {"planned_on"}),
        ({"planned_on": "15/09/2026"}, {"planned_on"}),
        ({"title": "", "status": "maybe"}, {"title", "status"}),
        ({"project": "NO-SUCH"}, {"project"}),
    ],
)
def test_plan_an_activity_bad_input_is_400_and_saves_nothing(api_as, project, pm, changes, fields):
    response = api_as(pm).post(ACTIVITIES, activity_body(project, pm) | changes, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not CommunicationActivity.objects.exists()


def test_an_activity_owner_from_another_team_is_400(api_as, project, pm, outsider):
    response = api_as(pm).post(ACTIVITIES, activity_body(project, outsider), format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"owner"}


def test_patch_an_activity(api_as, project, pm, consultant, key_user):
    activity = an_activity(project, pm)

    response = api_as(consultant).patch(
        url(activity),
        {"status": "done", "owner": key_user.username, "audience_role": "pilot_user"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["audience"] == "Pilot user"
    activity.refresh_from_db()
    assert (activity.status, activity.owner, activity.audience_role) == (
        "done",
        key_user,
        "pilot_user",
    )


@pytest.mark.parametrize("role", list(Role))
def test_patch_an_activity_by_role(api_as, project, members, role):
    activity = an_activity(project, members[Role.PROJECT_MANAGER])

    response = api_as(members[role]).patch(url(activity), {"status": "done"}, format="json")

    assert response.status_code == (200 if role in TRAINERS else 403)
    activity.refresh_from_db()
    assert activity.status == ("done" if role in TRAINERS else "planned")


@pytest.mark.parametrize(
    ("changes", "fields"),
    [({"owner": "nobody"}, {"owner"}), ({"planned_on": "soon"}, {"planned_on"})],
)
def test_patch_an_activity_bad_input_changes_nothing(api_as, project, pm, changes, fields):
    activity = an_activity(project, pm)
    before = row(activity)

    response = api_as(pm).patch(url(activity), changes, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert row(activity) == before


# --- End users --------------------------------------------------------------------------------


def test_add_and_read_an_end_user(api_as, project, pm, consultant):
    response = api_as(consultant).post(
        END_USERS, end_user_body(project, email=" An@Example.com ", user=pm.username), format="json"
    )

    assert response.status_code == 201
    end_user = EndUser.objects.get()
    assert response.json() == {
        "pk": end_user.pk,
        "project": project.code,
        "name": "Nguyen Van An",
        "department": "sales",
        "email": "an@example.com",
        "user": pm.username,
        "trained": False,
        "created_at": response.json()["created_at"],
    }


def test_end_users_are_marked_trained_and_filtered(api_as, project, pm, outsider):
    users, _session = trained_end_users(project, pm, count=3, trained=2)
    client = api_as(pm)

    def names(**query):
        return [item["name"] for item in client.get(END_USERS, query).json()["results"]]

    trained = [u.name for u in users[:2]]
    assert sorted(names(project=project.code, trained="true")) == sorted(trained)
    assert names(trained="false") == [users[2].name]
    assert names(department="warehouse") == []
    assert client.get(END_USERS, {"department": "space"}).status_code == 400
    assert api_as(outsider).get(END_USERS, {"project": project.code}).json()["results"] == []


@pytest.mark.parametrize("role", list(Role))
def test_add_an_end_user_by_role(api_as, project, members, role):
    response = api_as(members[role]).post(END_USERS, end_user_body(project), format="json")

    assert response.status_code == (201 if role in TRAINERS else 403)
    assert EndUser.objects.count() == (1 if role in TRAINERS else 0)


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"name": ""}, {"name"}),
        ({"department": "space"}, {"department"}),
        ({"email": "not-an-address"}, {"email"}),
        ({"user": "nobody"}, {"user"}),
        ({"project": None}, {"project"}),
    ],
)
def test_add_an_end_user_bad_input_is_400_and_saves_nothing(api_as, project, pm, changes, fields):
    response = api_as(pm).post(END_USERS, end_user_body(project) | changes, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not EndUser.objects.exists()


def test_the_same_email_twice_is_400(api_as, project, pm):
    an_end_user(project, pm, email="an@example.com")

    response = api_as(pm).post(END_USERS, end_user_body(project), format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"email"}
    assert EndUser.objects.count() == 1


def test_patch_an_end_user(api_as, project, pm, key_user):
    end_user = an_end_user(project, pm)

    response = api_as(key_user).patch(
        url(end_user), {"department": "warehouse", "user": key_user.username}, format="json"
    )

    assert response.status_code == 200
    end_user.refresh_from_db()
    assert (end_user.department, end_user.user) == ("warehouse", key_user)


@pytest.mark.parametrize("role", list(Role))
def test_patch_an_end_user_by_role(api_as, project, members, role):
    end_user = an_end_user(project, members[Role.PROJECT_MANAGER])

    response = api_as(members[role]).patch(url(end_user), {"name": "Renamed"}, format="json")

    assert response.status_code == (200 if role in TRAINERS else 403)
    end_user.refresh_from_db()
    assert end_user.name == ("Renamed" if role in TRAINERS else "Tran Thi Binh")


def test_patch_an_end_user_bad_input_changes_nothing(api_as, project, pm, outsider):
    end_user = an_end_user(project, pm)
    before = row(end_user)

    response = api_as(pm).patch(
        url(end_user), {"user": outsider.username, "email": "x"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"user", "email"}
    assert row(end_user) == before


def test_import_a_roster(api_as, project, pm):
    text = "name,department,email\nLe Van C,Sales,c@example.com\nPham Thi D,warehouse,\n"

    response = api_as(pm).post(IMPORT, {"project": project.code, "text": text}, format="json")

    assert response.status_code == 201
    assert response.json() == {"count": 2}
    assert sorted(EndUser.objects.values_list("name", "department", "email")) == [
        ("Le Van C", "sales", "c@example.com"),
        ("Pham Thi D", "warehouse", ""),
    ]


def test_a_bad_line_imports_nothing_and_names_the_line(api_as, project, pm):
    text = "Le Van C,sales\nPham Thi D,space\n"

    response = api_as(pm).post(IMPORT, {"project": project.code, "text": text}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["text"]
    assert "Line 2" in response.json()["text"][0]
    assert not EndUser.objects.exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"project": "HNR-ERP", "text": ""}, {"text"}),
        ({"project": "HNR-ERP"}, {"text"}),
        ({"project": "HNR-ERP", "text": ["a,sales"]}, {"text"}),
        ({"project": "NO-SUCH", "text": "a,sales"}, {"project"}),
        ({"text": "a,sales"}, {"project"}),
        ([], {"non_field_errors"}),
    ],
)
def test_import_bad_input_is_400(api_as, project, pm, body, fields):
    response = api_as(pm).post(IMPORT, body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not EndUser.objects.exists()


@pytest.mark.parametrize("role", list(Role))
def test_import_by_role(api_as, project, members, role):
    response = api_as(members[role]).post(
        IMPORT, {"project": project.code, "text": "A,sales\nB,sales"}, format="json"
    )

    assert response.status_code == (201 if role in TRAINERS else 403)
    assert EndUser.objects.count() == (2 if role in TRAINERS else 0)


# --- Training sessions ------------------------------------------------------------------------


def test_plan_and_read_a_session(api_as, project, pm, key_user, viewer):
    response = api_as(key_user).post(
        SESSIONS, session_body(project, trainer=key_user.username), format="json"
    )

    assert response.status_code == 201
    session = TrainingSession.objects.get()
    body = api_as(viewer).get(url(session)).json()
    assert body == {
        "pk": session.pk,
        "project": project.code,
        "title": "Sales orders in the new system",
        "module": "",
        "starts_at": body["starts_at"],
        "duration_minutes": 120,
        "location": "",
        "trainer": key_user.username,
        "notes": "",
        "invited": 0,
        "attended": 0,
        "attendance": [],
        "created_by": key_user.username,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert session.starts_at == datetime.datetime(2026, 9, 20, 2, tzinfo=datetime.UTC)


@pytest.mark.parametrize("role", list(Role))
def test_plan_a_session_by_role(api_as, project, members, role):
    response = api_as(members[role]).post(SESSIONS, session_body(project), format="json")

    assert response.status_code == (201 if role in TRAINERS else 403)
    assert TrainingSession.objects.count() == (1 if role in TRAINERS else 0)


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"starts_at": "tomorrow morning"}, {"starts_at"}),
        ({"starts_at": "2026-09-31T09:00:00Z"}, {"starts_at"}),
        ({"starts_at": "3000-01-01T00:00:00Z"}, {"starts_at"}),
        ({"duration_minutes": 0}, {"duration_minutes"}),
        ({"duration_minutes": 24 * 60 + 1}, {"duration_minutes"}),
        ({"trainer": "nobody"}, {"trainer"}),
        ({"title": ""}, {"title"}),
        ({"project": "NO-SUCH"}, {"project"}),
    ],
)
def test_plan_a_session_bad_input_is_400_and_saves_nothing(api_as, project, pm, changes, fields):
    response = api_as(pm).post(SESSIONS, session_body(project) | changes, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not TrainingSession.objects.exists()


def test_patch_a_session(api_as, project, pm, consultant):
    session = a_session(project, pm)

    response = api_as(consultant).patch(
        url(session), {"location": "Room 3", "trainer": consultant.username}, format="json"
    )

    assert response.status_code == 200
    session.refresh_from_db()
    assert (session.location, session.trainer) == ("Room 3", consultant)


@pytest.mark.parametrize("role", list(Role))
def test_patch_a_session_by_role(api_as, project, members, role):
    session = a_session(project, members[Role.PROJECT_MANAGER])

    response = api_as(members[role]).patch(url(session), {"module": "Sales"}, format="json")

    assert response.status_code == (200 if role in TRAINERS else 403)
    session.refresh_from_db()
    assert session.module == ("Sales" if role in TRAINERS else "")


def test_patch_a_session_bad_input_changes_nothing(api_as, project, pm, outsider):
    session = a_session(project, pm)
    before = row(session)

    response = api_as(pm).patch(
        url(session), {"trainer": outsider.username, "starts_at": "noon"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"trainer", "starts_at"}
    assert row(session) == before


def test_invite_end_users(api_as, project, pm):
    first, second = an_end_user(project, pm, name="A"), an_end_user(project, pm, name="B")
    session = a_session(project, pm, days=3)
    client = api_as(pm)

    response = client.post(url(session, "invite"), {"end_users": [first.pk]}, format="json")
    again = client.post(url(session, "invite"), {"end_users": [first.pk, second.pk]}, format="json")

    assert response.status_code == 200
    assert again.status_code == 200
    assert again.json()["invited"] == 2
    assert [(a["name"], a["attended"]) for a in again.json()["attendance"]] == [
        ("A", None),
        ("B", None),
    ]
    assert Attendance.objects.filter(session=session).count() == 2


@pytest.mark.parametrize(
    "end_users", [[], "all", [0], ["x"], [10**30], None, "other_project", "unknown"]
)
def test_invite_bad_input_is_400_and_invites_nobody(api_as, project, pm, end_users):
    session = a_session(project, pm, days=3)
    if end_users == "other_project":
        other = ProjectFactory()
        MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
        end_users = [an_end_user(other, pm).pk]
    elif end_users == "unknown":
        end_users = [an_end_user(project, pm).pk, 999999]

    response = api_as(pm).post(url(session, "invite"), {"end_users": end_users}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"end_users"}
    assert not Attendance.objects.exists()


def test_uninvite_takes_someone_not_yet_recorded_off_the_list(api_as, project, pm):
    first, second = an_end_user(project, pm, name="A"), an_end_user(project, pm, name="B")
    session = a_session(project, pm, days=3)
    training.session_invite(actor=pm, session=session, end_users=[first, second])

    response = api_as(pm).post(url(session, "uninvite"), {"end_user": first.pk}, format="json")

    assert response.status_code == 200
    assert response.json()["invited"] == 1
    assert [a["name"] for a in response.json()["attendance"]] == ["B"]
    assert list(Attendance.objects.values_list("end_user_id", flat=True)) == [second.pk]


@pytest.mark.parametrize("end_user", [None, "x", 0, 10**30, "other_project", "not_invited"])
def test_uninvite_bad_input_is_400_and_removes_nobody(api_as, project, pm, end_user):
    invited = an_end_user(project, pm, name="Invited")
    session = a_session(project, pm, days=3)
    training.session_invite(actor=pm, session=session, end_users=[invited])
    if end_user == "other_project":
        other = ProjectFactory()
        MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
        end_user = an_end_user(other, pm).pk
    elif end_user == "not_invited":
        end_user = an_end_user(project, pm, name="Someone else").pk

    response = api_as(pm).post(url(session, "uninvite"), {"end_user": end_user}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"end_user"}
    assert list(Attendance.objects.values_list("end_user_id", flat=True)) == [invited.pk]


def test_uninvite_keeps_a_recorded_attendance(api_as, project, pm):
    person = an_end_user(project, pm)
    session = a_session(project, pm, days=-1)
    training.attendance_record(actor=pm, session=session, attended={person.pk: True})

    response = api_as(pm).post(url(session, "uninvite"), {"end_user": person.pk}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"end_user"}
    assert Attendance.objects.get().attended is True


@pytest.mark.parametrize("role", list(Role))
def test_invite_by_role(api_as, project, members, role):
    pm = members[Role.PROJECT_MANAGER]
    end_user = an_end_user(project, pm)
    session = a_session(project, pm, days=3)

    response = api_as(members[role]).post(
        url(session, "invite"), {"end_users": [end_user.pk]}, format="json"
    )

    assert response.status_code == (200 if role in TRAINERS else 403)
    assert Attendance.objects.count() == (1 if role in TRAINERS else 0)


def test_record_attendance(api_as, project, pm):
    came, missed, unknown = (an_end_user(project, pm, name=n) for n in ("A", "B", "C"))
    session = a_session(project, pm)

    response = api_as(pm).post(
        url(session, "attendance"),
        {"attended": {str(came.pk): True, str(missed.pk): False, str(unknown.pk): None}},
        format="json",
    )

    assert response.status_code == 200
    assert (response.json()["invited"], response.json()["attended"]) == (3, 1)
    assert dict(Attendance.objects.values_list("end_user__name", "attended")) == {
        "A": True,
        "B": False,
        "C": None,
    }
    listed = api_as(pm).get(END_USERS, {"trained": "true"}).json()["results"]
    assert [item["name"] for item in listed] == ["A"]


@pytest.mark.parametrize(
    "attended",
    [
        {},
        [],
        "all",
        {"abc": True},
        {"0": True},
        {str(10**30): True},
        {"EU": "maybe"},
        {"999999": True},
    ],
)
def test_attendance_bad_input_is_400_and_records_nothing(api_as, project, pm, attended):
    end_user = an_end_user(project, pm)
    session = a_session(project, pm)
    if "EU" in attended:
        attended = {str(end_user.pk): attended["EU"]}

    response = api_as(pm).post(url(session, "attendance"), {"attended": attended}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"attended"}
    assert not Attendance.objects.exists()


def test_attendance_of_a_session_not_yet_started_is_400(api_as, project, pm):
    end_user = an_end_user(project, pm)
    session = a_session(project, pm, days=2)

    response = api_as(pm).post(
        url(session, "attendance"), {"attended": {str(end_user.pk): True}}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"attended"}
    assert not Attendance.objects.exists()


@pytest.mark.parametrize("role", list(Role))
def test_record_attendance_by_role(api_as, project, members, role):
    pm = members[Role.PROJECT_MANAGER]
    end_user = an_end_user(project, pm)
    session = a_session(project, pm)

    response = api_as(members[role]).post(
        url(session, "attendance"), {"attended": {str(end_user.pk): True}}, format="json"
    )

    assert response.status_code == (200 if role in TRAINERS else 403)
    assert Attendance.objects.filter(attended=True).count() == (1 if role in TRAINERS else 0)


def test_a_member_without_the_role_gets_403_before_the_input_is_read(api_as, project, pm, viewer):
    session = a_session(project, pm)

    invite = api_as(viewer).post(url(session, "invite"), ["x"], format="json")
    attendance = api_as(viewer).post(url(session, "attendance"), "x", format="json")

    assert (invite.status_code, attendance.status_code) == (403, 403)


def test_put_and_delete_are_not_allowed(api_as, project, pm):
    activity, end_user, session = (
        an_activity(project, pm),
        an_end_user(project, pm),
        a_session(project, pm),
    )
    client = api_as(pm)

    for obj in (activity, end_user, session):
        assert client.put(url(obj), {}, format="json").status_code == 405
        assert client.delete(url(obj)).status_code == 405
    assert (CommunicationActivity.objects.count(), EndUser.objects.count()) == (1, 1)
    assert TrainingSession.objects.count() == 1


# --- Outsiders and anonymous ------------------------------------------------------------------


def test_outsiders_get_404_for_everything_of_the_project(api_as, project, pm, outsider):
    activity = an_activity(project, pm)
    end_user = an_end_user(project, pm)
    session = a_session(project, pm)
    client = api_as(outsider)
    before = (row(activity), row(end_user), row(session))

    for obj in (activity, end_user, session):
        assert client.get(url(obj)).status_code == 404
        assert client.patch(url(obj), {"title": "x", "name": "x"}, format="json").status_code == 404
    body = {"end_users": [end_user.pk]}
    assert client.post(url(session, "invite"), body, format="json").status_code == 404
    body = {"attended": {str(end_user.pk): True}}
    assert client.post(url(session, "attendance"), body, format="json").status_code == 404
    for endpoint in (ACTIVITIES, END_USERS, SESSIONS):
        assert client.get(endpoint, {"project": project.code}).json()["results"] == []
    body = {"project": project.code, "text": "A,sales"}
    assert client.post(IMPORT, body, format="json").status_code == 400
    assert client.post(END_USERS, end_user_body(project), format="json").status_code == 400
    assert (row(activity), row(end_user), row(session)) == before
    assert not Attendance.objects.exists()
    assert EndUser.objects.count() == 1


def test_anonymous_clients_get_401(api_client, project, pm):
    activity = an_activity(project, pm)
    end_user = an_end_user(project, pm)
    session = a_session(project, pm)

    for endpoint in (ACTIVITIES, END_USERS, SESSIONS):
        assert api_client.get(endpoint).status_code == 401
        assert api_client.post(endpoint, {"project": project.code}).status_code == 401
    for obj in (activity, end_user, session):
        assert api_client.get(url(obj)).status_code == 401
        assert api_client.patch(url(obj), {"title": "x"}).status_code == 401
    assert api_client.post(IMPORT, {"project": project.code, "text": "A,sales"}).status_code == 401
    body = {"end_users": [end_user.pk]}
    assert api_client.post(url(session, "invite"), body, format="json").status_code == 401
    body = {"attended": {str(end_user.pk): True}}
    assert api_client.post(url(session, "attendance"), body, format="json").status_code == 401
    assert EndUser.objects.count() == 1
    assert not Attendance.objects.exists()


# --- Query counts -----------------------------------------------------------------------------


def _count(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("endpoint", [ACTIVITIES, END_USERS, SESSIONS])
def test_list_query_count_does_not_grow(api_as, pm, endpoint):
    counts = []
    for size in (2, 20):
        other = ProjectFactory()
        MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
        users = [an_end_user(other, pm, name=f"User {n}") for n in range(size)]
        for number in range(size):
            an_activity(other, pm, title=f"Activity {number}")
            session = a_session(other, pm, title=f"Session {number}", trainer=pm)
            training.attendance_record(
                actor=pm, session=session, attended={u.pk: bool(n % 2) for n, u in enumerate(users)}
            )
        counts.append(_count(api_as(pm), f"{endpoint}?project={other.code}"))

    assert counts[0] == counts[1]
