"""Cutover API: the plan in order with dependencies by task number, cycles and
self-dependencies refused, run-sheet moves by managers and task owners, rehearsals, bad
input 400 and nothing saved, the policy for every role, outsiders 404, anonymous 401, and
query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from implementation.models import CutoverRehearsal, CutoverTask
from implementation.services import cutover
from projects.choices import Role
from tests.factories import MembershipFactory, ProjectFactory
from tests.golive.factories import a_task

TASKS = "/api/v1/cutover-tasks/"
REHEARSALS = "/api/v1/cutover-rehearsals/"
MANAGERS = {Role.PROJECT_MANAGER, Role.CONSULTANT, Role.IT}


def url(obj, action: str = "") -> str:
    base = TASKS if isinstance(obj, CutoverTask) else REHEARSALS
    return f"{base}{obj.pk}/" + (f"{action}/" if action else "")


def row(task) -> dict:
    return CutoverTask.objects.filter(pk=task.pk).values().get()


def dependencies(task) -> list[int]:
    return sorted(task.depends_on.values_list("number", flat=True))


def task_body(project, owner, **overrides) -> dict:
    return {
        "project": project.code,
        "title": "Stop interfaces",
        "owner": owner.username,
        "planned_start": "2026-10-03T18:00:00+07:00",
        "duration_minutes": 30,
    } | overrides


def rehearsal_body(project, **overrides) -> dict:
    return {
        "project": project.code,
        "held_on": (project.local_today() - datetime.timedelta(days=1)).isoformat(),
        "outcome": "successful",
        "duration_hours": "7.5",
    } | overrides


# --- Reading the plan -------------------------------------------------------------------------


def test_a_task_reads_with_its_dependencies_as_numbers(api_as, project, pm, viewer):
    first = a_task(project, pm, title="Freeze legacy system")
    second = a_task(project, pm, title="Export balances", depends_on=[first])

    response = api_as(viewer).get(url(second))

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "pk": second.pk,
        "project": project.code,
        "number": 2,
        "display_number": "T-2",
        "position": 20,
        "title": "Export balances",
        "instructions": "",
        "owner": pm.username,
        "planned_start": body["planned_start"],
        "duration_minutes": 60,
        "planned_end": body["planned_end"],
        "depends_on": [1],
        "status": "not_started",
        "actual_start": None,
        "actual_end": None,
        "notes": "",
        "is_complete": True,
        "created_by": pm.username,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    start = datetime.datetime.fromisoformat(body["planned_start"])
    end = datetime.datetime.fromisoformat(body["planned_end"])
    assert end - start == datetime.timedelta(minutes=60)


def test_list_is_in_the_plans_order(api_as, project, pm, outsider):
    a_task(project, pm, title="Second", position=20)
    a_task(project, pm, title="First", position=10)
    a_task(project, pm, title="Third", position=20)
    other = ProjectFactory()
    MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
    a_task(other, pm, title="Elsewhere")
    client = api_as(pm)

    def titles(**query):
        return [item["title"] for item in client.get(TASKS, query).json()["results"]]

    assert titles(project=project.code) == ["First", "Second", "Third"]
    assert len(titles()) == 4
    assert titles(owner=pm.username, status="not_started", project=project.code)[0] == "First"
    assert client.get(TASKS, {"status": "bogus"}).status_code == 400
    assert api_as(outsider).get(TASKS, {"project": project.code}).json()["results"] == []


# --- Writing the plan -------------------------------------------------------------------------


def test_create_a_task_with_dependencies_by_number(api_as, project, pm, it_member):
    other = ProjectFactory()
    MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
    for _number in range(3):  # pks and numbers part ways
        a_task(other, pm)
    first = a_task(project, pm)
    second = a_task(project, pm, title="Export")

    response = api_as(it_member).post(
        TASKS, task_body(project, it_member, depends_on=[2, 1]), format="json"
    )

    assert response.status_code == 201
    task = CutoverTask.objects.get(project=project, number=3)
    assert response.json()["depends_on"] == [1, 2]
    assert (task.owner, task.position, task.duration_minutes, task.created_by) == (
        it_member,
        30,
        30,
        it_member,
    )
    assert set(task.depends_on.all()) == {first, second}
    assert task.planned_start == datetime.datetime(2026, 10, 3, 11, tzinfo=datetime.UTC)


def test_a_task_may_be_added_without_owner_or_time(api_as, project, pm):
    response = api_as(pm).post(
        TASKS, {"project": project.code, "title": "Switch DNS"}, format="json"
    )

    assert response.status_code == 201
    assert (response.json()["owner"], response.json()["is_complete"]) == (None, False)


@pytest.mark.parametrize("role", list(Role))
def test_create_a_task_by_role(api_as, project, members, role):
    response = api_as(members[role]).post(TASKS, task_body(project, members[role]), format="json")

    assert response.status_code == (201 if role in MANAGERS else 403)
    assert CutoverTask.objects.count() == (1 if role in MANAGERS else 0)


def test_wrong_role_is_403_before_the_input_is_read(api_as, project, key_user):
    response = api_as(key_user).post(
        TASKS, {"project": project.code, "depends_on": "everything"}, format="json"
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"owner": "nobody"}, {"owner"}),
        ({"title": ""}, {"title"}),
        ({"planned_start": "next friday"}, {"planned_start"}),
        ({"planned_start": "2026-02-30T10:00:00Z"}, {"planned_start"}),
        ({"planned_start": "0001-01-01T00:00:00+14:00"}, {"planned_start"}),
        ({"duration_minutes": 0}, {"duration_minutes"}),
        ({"duration_minutes": -30, "position": -1}, {"duration_minutes", "position"}),
        ({"duration_minutes": 10**6}, {"duration_minutes"}),
        ({"depends_on": [99]}, {"depends_on"}),
        ({"depends_on": ["T-1"]}, {"depends_on"}),
        ({"depends_on": 1}, {"depends_on"}),
        ({"depends_on": [1]}, {"depends_on"}),  # the new task would be T-1 itself: unknown
        ({"project": "NO-SUCH"}, {"project"}),
        ({"project": ""}, {"project"}),
    ],
)
def test_create_a_task_bad_input_is_400_and_saves_nothing(api_as, project, pm, changes, fields):
    response = api_as(pm).post(TASKS, task_body(project, pm) | changes, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not CutoverTask.objects.exists()


def test_an_owner_from_another_team_is_400(api_as, project, pm, outsider):
    response = api_as(pm).post(TASKS, task_body(project, outsider), format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"owner"}
    assert not CutoverTask.objects.exists()


def test_a_dependency_on_another_projects_task_is_400(api_as, project, pm):
    other = ProjectFactory()
    MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
    a_task(other, pm)  # T-1 of the other project

    response = api_as(pm).post(TASKS, task_body(project, pm, depends_on=[1]), format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"depends_on"}
    assert CutoverTask.objects.filter(project=project).count() == 0


@pytest.mark.parametrize("body", [[], "text", [{"project": "HNR-ERP"}], {"project": 7}])
def test_odd_bodies_are_400(api_as, project, pm, body):
    assert api_as(pm).post(TASKS, body, format="json").status_code == 400
    assert api_as(pm).post(REHEARSALS, body, format="json").status_code == 400
    assert not CutoverTask.objects.exists()
    assert not CutoverRehearsal.objects.exists()


def test_creating_in_a_hidden_project_is_400(api_as, project, pm, outsider):
    response = api_as(outsider).post(TASKS, task_body(project, pm), format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"project"}


def test_patch_a_task_and_replace_its_dependencies(api_as, project, pm, consultant, key_user):
    first = a_task(project, pm)
    second = a_task(project, pm)
    third = a_task(project, pm, depends_on=[first])

    response = api_as(consultant).patch(
        url(third),
        {"depends_on": [2], "owner": key_user.username, "title": "Load balances", "position": 5},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["depends_on"] == [2]
    third.refresh_from_db()
    assert (third.title, third.owner, third.position) == ("Load balances", key_user, 5)
    assert list(third.depends_on.all()) == [second]
    assert api_as(pm).get(TASKS, {"project": project.code}).json()["results"][0]["number"] == 3


def test_patch_without_depends_on_keeps_the_dependencies(api_as, project, pm):
    first = a_task(project, pm)
    second = a_task(project, pm, depends_on=[first])

    response = api_as(pm).patch(url(second), {"notes": "Call the bank first"}, format="json")

    assert response.status_code == 200
    assert dependencies(second) == [1]


def test_an_empty_list_drops_every_dependency(api_as, project, pm):
    first = a_task(project, pm)
    second = a_task(project, pm, depends_on=[first])

    response = api_as(pm).patch(url(second), {"depends_on": []}, format="json")

    assert response.status_code == 200
    assert dependencies(second) == []


def test_a_task_depending_on_itself_is_400(api_as, project, pm):
    task = a_task(project, pm)
    before = row(task)

    response = api_as(pm).patch(url(task), {"depends_on": [1], "title": "Again"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"depends_on": ["A task cannot depend on itself."]}
    assert row(task) == before
    assert dependencies(task) == []


def test_a_cycle_of_tasks_is_400_and_names_it(api_as, project, pm):
    a = a_task(project, pm, title="A")
    b = a_task(project, pm, title="B")
    c = a_task(project, pm, title="C")
    client = api_as(pm)
    assert client.patch(url(a), {"depends_on": [b.number]}, format="json").status_code == 200
    assert client.patch(url(b), {"depends_on": [c.number]}, format="json").status_code == 200

    response = client.patch(url(c), {"depends_on": [a.number]}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["depends_on"]
    assert "T-3 → T-1 → T-2 → T-3" in response.json()["depends_on"][0]
    assert (dependencies(a), dependencies(b), dependencies(c)) == ([2], [3], [])


@pytest.mark.parametrize("role", list(Role))
def test_patch_a_task_by_role(api_as, project, members, role):
    task = a_task(project, members[Role.PROJECT_MANAGER])

    response = api_as(members[role]).patch(url(task), {"title": "Renamed"}, format="json")

    assert response.status_code == (200 if role in MANAGERS else 403)
    task.refresh_from_db()
    assert task.title == ("Renamed" if role in MANAGERS else "Freeze legacy system")


def test_a_task_owner_without_manage_cutover_may_not_edit_the_plan(api_as, project, pm, key_user):
    task = a_task(project, pm, owner=key_user)

    response = api_as(key_user).patch(url(task), {"title": "Mine"}, format="json")

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"owner": "nobody"}, {"owner"}),
        ({"planned_start": "31/12/2026 10:00"}, {"planned_start"}),
        ({"duration_minutes": "long"}, {"duration_minutes"}),
        ({"depends_on": [42]}, {"depends_on"}),
        ({"depends_on": [None]}, {"depends_on"}),
    ],
)
def test_patch_a_task_bad_input_changes_nothing(api_as, project, pm, changes, fields):
    task = a_task(project, pm)
    before = row(task)

    response = api_as(pm).patch(url(task), changes, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert row(task) == before


# --- The run-sheet ----------------------------------------------------------------------------


def test_run_a_task_through_the_run_sheet(api_as, project, pm):
    task = a_task(project, pm)
    client = api_as(pm)

    started = client.post(url(task, "move"), {"status": "in_progress"}, format="json")
    blocked = client.post(
        url(task, "move"), {"status": "blocked", "note": "VPN down"}, format="json"
    )
    resumed = client.post(url(task, "move"), {"status": "in_progress"}, format="json")
    done = client.post(url(task, "move"), {"status": "done"}, format="json")

    assert [r.status_code for r in (started, blocked, resumed, done)] == [200] * 4
    assert done.json()["status"] == "done"
    assert "VPN down" in done.json()["notes"]
    task.refresh_from_db()
    assert task.actual_start is not None
    assert task.actual_end >= task.actual_start


def test_a_move_recorded_afterwards_keeps_its_time(api_as, project, pm):
    task = a_task(project, pm)
    at = (timezone.now() - datetime.timedelta(hours=2)).replace(microsecond=0)

    response = api_as(pm).post(
        url(task, "move"), {"status": "in_progress", "at": at.isoformat()}, format="json"
    )

    assert response.status_code == 200
    task.refresh_from_db()
    assert task.actual_start == at


@pytest.mark.parametrize("role", list(Role))
def test_managers_move_any_task(api_as, project, members, role):
    task = a_task(project, members[Role.PROJECT_MANAGER])

    response = api_as(members[role]).post(url(task, "move"), {"status": "in_progress"})

    assert response.status_code == (200 if role in MANAGERS else 403)
    task.refresh_from_db()
    assert task.status == ("in_progress" if role in MANAGERS else "not_started")


def test_a_task_owner_moves_their_own_task(api_as, project, pm, pilot_user, key_user):
    task = a_task(project, pm, owner=pilot_user)

    refused = api_as(key_user).post(url(task, "move"), {"status": "in_progress"}, format="json")
    moved = api_as(pilot_user).post(url(task, "move"), {"status": "in_progress"}, format="json")

    assert (refused.status_code, moved.status_code) == (403, 200)


def test_a_stranger_to_the_task_gets_403_before_the_input_is_read(api_as, project, pm, viewer):
    task = a_task(project, pm)

    response = api_as(viewer).post(url(task, "move"), ["bogus"], format="json")

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"status": "exploded"}, {"status"}),
        ({}, {"status"}),
        ({"status": "done"}, {"status"}),  # not started: it cannot be done yet
        ({"status": "blocked"}, {"note"}),  # a block needs its reason
        ({"status": "in_progress", "at": "soon"}, {"at"}),
        ({"status": "in_progress", "at": "2999-01-01T00:00:00Z"}, {"at"}),
        ([], {"non_field_errors"}),
    ],
)
def test_bad_moves_are_400_and_change_nothing(api_as, project, pm, body, fields):
    task = a_task(project, pm)
    before = row(task)

    response = api_as(pm).post(url(task, "move"), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert row(task) == before


def test_a_task_waits_for_what_it_depends_on(api_as, project, pm):
    first = a_task(project, pm)
    second = a_task(project, pm, depends_on=[first])
    client = api_as(pm)

    waiting = client.post(url(second, "move"), {"status": "in_progress"}, format="json")
    client.post(url(first, "move"), {"status": "in_progress"}, format="json")
    client.post(url(first, "move"), {"status": "done"}, format="json")
    going = client.post(url(second, "move"), {"status": "in_progress"}, format="json")

    assert waiting.status_code == 400
    assert "T-1" in waiting.json()["status"][0]
    assert going.status_code == 200


# --- Rehearsals -------------------------------------------------------------------------------


def test_record_and_read_a_rehearsal(api_as, project, pm, executive):
    response = api_as(pm).post(REHEARSALS, rehearsal_body(project), format="json")

    assert response.status_code == 201
    rehearsal = CutoverRehearsal.objects.get()
    body = api_as(executive).get(url(rehearsal)).json()
    assert body == {
        "pk": rehearsal.pk,
        "project": project.code,
        "held_on": rehearsal.held_on.isoformat(),
        "outcome": "successful",
        "duration_hours": "7.5",
        "notes": "",
        "recorded_by": pm.username,
        "recorded_at": body["recorded_at"],
    }


def test_rehearsals_list_latest_first(api_as, project, pm, outsider):
    today = project.local_today()
    for days, outcome in ((3, "issues"), (1, "successful")):
        cutover.rehearsal_record(
            actor=pm,
            project=project,
            held_on=today - datetime.timedelta(days=days),
            outcome=outcome,
        )

    results = api_as(pm).get(REHEARSALS, {"project": project.code}).json()["results"]

    assert [r["outcome"] for r in results] == ["successful", "issues"]
    assert api_as(pm).get(REHEARSALS, {"outcome": "issues"}).json()["count"] == 1
    assert api_as(outsider).get(REHEARSALS, {"project": project.code}).json()["results"] == []


@pytest.mark.parametrize("role", list(Role))
def test_record_a_rehearsal_by_role(api_as, project, members, role):
    response = api_as(members[role]).post(REHEARSALS, rehearsal_body(project), format="json")

    assert response.status_code == (201 if role in MANAGERS else 403)
    assert CutoverRehearsal.objects.count() == (1 if role in MANAGERS else 0)


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"held_on": "2999-01-01"}, {"held_on"}),
        ({"held_on": "yesterday"}, {"held_on"}),
        ({"outcome": "great"}, {"outcome"}),
        ({"duration_hours": "-1"}, {"duration_hours"}),
        ({"duration_hours": "1000"}, {"duration_hours"}),
        ({"project": "NO-SUCH"}, {"project"}),
    ],
)
def test_record_a_rehearsal_bad_input_is_400(api_as, project, pm, changes, fields):
    response = api_as(pm).post(REHEARSALS, rehearsal_body(project) | changes, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not CutoverRehearsal.objects.exists()


def test_a_rehearsal_held_tomorrow_is_400(api_as, project, pm):
    tomorrow = (project.local_today() + datetime.timedelta(days=1)).isoformat()

    response = api_as(pm).post(REHEARSALS, rehearsal_body(project, held_on=tomorrow), format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"held_on"}


def test_rehearsals_are_not_changed_or_deleted(api_as, project, pm):
    rehearsal = cutover.rehearsal_record(
        actor=pm, project=project, held_on=project.local_today(), outcome="issues"
    )
    client = api_as(pm)

    assert client.patch(url(rehearsal), {"outcome": "successful"}, format="json").status_code == 405
    assert client.put(url(rehearsal), rehearsal_body(project), format="json").status_code == 405
    assert client.delete(url(rehearsal)).status_code == 405
    rehearsal.refresh_from_db()
    assert rehearsal.outcome == "issues"


def test_tasks_are_not_put_or_deleted(api_as, project, pm):
    task = a_task(project, pm)

    assert api_as(pm).put(url(task), task_body(project, pm), format="json").status_code == 405
    assert api_as(pm).delete(url(task)).status_code == 405
    assert CutoverTask.objects.count() == 1


# --- Outsiders and anonymous ------------------------------------------------------------------


def test_outsiders_get_404_for_everything_of_the_project(api_as, project, pm, outsider):
    task = a_task(project, pm)
    rehearsal = cutover.rehearsal_record(
        actor=pm, project=project, held_on=project.local_today(), outcome="issues"
    )
    client = api_as(outsider)
    before = row(task)

    assert client.get(url(task)).status_code == 404
    assert client.patch(url(task), {"title": "x"}, format="json").status_code == 404
    assert client.post(url(task, "move"), {"status": "in_progress"}).status_code == 404
    assert client.get(url(rehearsal)).status_code == 404
    assert client.get(TASKS).json()["results"] == []
    assert client.get(REHEARSALS).json()["results"] == []
    assert row(task) == before


def test_anonymous_clients_get_401(api_client, project, pm):
    task = a_task(project, pm)

    assert api_client.get(TASKS).status_code == 401
    assert api_client.get(url(task)).status_code == 401
    assert api_client.post(TASKS, task_body(project, pm), format="json").status_code == 401
    assert api_client.patch(url(task), {"title": "x"}, format="json").status_code == 401
    assert api_client.post(url(task, "move"), {"status": "in_progress"}).status_code == 401
    assert api_client.get(REHEARSALS).status_code == 401
    assert api_client.post(REHEARSALS, rehearsal_body(project), format="json").status_code == 401
    assert CutoverTask.objects.get().status == "not_started"
    assert not CutoverRehearsal.objects.exists()


# --- Query counts -----------------------------------------------------------------------------


def _count(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_task_list_query_count_does_not_grow(api_as, pm):
    counts = []
    for size in (2, 20):
        other = ProjectFactory()
        MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
        previous = []
        for _number in range(size):
            previous.append(a_task(other, pm, depends_on=previous[-2:]))
        counts.append(_count(api_as(pm), f"{TASKS}?project={other.code}"))

    assert counts[0] == counts[1]


def test_rehearsal_list_query_count_does_not_grow(api_as, pm):
    counts = []
    for size in (2, 20):
        other = ProjectFactory()
        MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
        for days in range(size):
            cutover.rehearsal_record(
                actor=pm,
                project=other,
                held_on=other.local_today() - datetime.timedelta(days=days),
                outcome="issues",
            )
        counts.append(_count(api_as(pm), f"{REHEARSALS}?project={other.code}"))

    assert counts[0] == counts[1]
