"""Cutover pages: the plan, tasks and rehearsals, and the go-live run-sheet with its live
part; who reads, who writes, who moves which task, bad input, fragments and query counts."""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from implementation.choices import CutoverStatus, RehearsalOutcome
from implementation.models import CutoverRehearsal, CutoverTask
from implementation.services import cutover, golive
from implementation.views import cutover as views
from projects.choices import Role
from projects.policy import POLICY_ATTRIBUTE
from tests.factories import ProjectFactory
from tests.golive.factories import a_task

HTMX = {"HX-Request": "true"}
LOGIN_URL = "/accounts/login/"
S = CutoverStatus
MANAGERS = [Role.PROJECT_MANAGER, Role.CONSULTANT, Role.IT]
OTHERS = [Role.KEY_USER, Role.PILOT_USER, Role.EXECUTIVE, Role.VIEWER]
READ_PAGES = ["cutover", "run-sheet", "run-sheet-live"]
WRITE_PAGES = ["cutover-task-new", "cutover-task-edit", "rehearsal-new"]
ALL_PAGES = [*READ_PAGES, *WRITE_PAGES, "cutover-task-move"]


def url(name, project, *args) -> str:
    return reverse(f"golive:{name}", args=[project.code, *args])


def hours(n: float) -> datetime.timedelta:
    return datetime.timedelta(hours=n)


@pytest.fixture
def tasks(project, pm, it_member, pilot_user):
    """T-1 done (IT), T-2 ready for the pilot user (after T-1), T-3 waiting for T-2 and
    late, T-4 of the pilot user, not started."""
    now = timezone.now()
    t1 = a_task(project, pm, title="Freeze legacy", owner=it_member, planned_start=now - hours(3))
    t2 = a_task(
        project,
        pm,
        title="Load customers",
        owner=pilot_user,
        planned_start=now + hours(1),
        depends_on=[t1],
    )
    t3 = a_task(
        project,
        pm,
        title="Reconcile balances",
        owner=it_member,
        planned_start=now - hours(1),
        depends_on=[t2],
    )
    t4 = a_task(project, pm, title="Print labels", owner=pilot_user, planned_start=now + hours(5))
    cutover.cutover_task_move(actor=it_member, task=t1, status=S.IN_PROGRESS)
    cutover.cutover_task_move(actor=it_member, task=t1, status=S.DONE)
    return [t1, t2, t3, t4]


def page_url(name, project, tasks) -> str:
    if name in ("cutover-task-edit", "cutover-task-move"):
        return url(name, project, tasks[1].number)
    return url(name, project)


def snapshot(project) -> tuple:
    return (
        list(CutoverTask.objects.filter(project=project).order_by("pk").values()),
        list(
            CutoverTask.depends_on.through.objects.filter(from_cutovertask__project=project)
            .order_by("pk")
            .values_list("from_cutovertask_id", "to_cutovertask_id")
        ),
        list(CutoverRehearsal.objects.filter(project=project).order_by("pk").values()),
    )


def task_post(members, **changes) -> dict:
    values = {
        "title": "Open the new system",
        "owner": members[Role.IT].pk,
        "planned_start": "2031-03-08T18:00",
        "duration_minutes": "45",
        "position": "",
        "instructions": "",
    }
    return values | changes


def valid_post(name, project, members) -> dict:
    return {
        "cutover-task-new": task_post(members),
        "cutover-task-edit": task_post(members, position="20"),
        "rehearsal-new": {
            "held_on": project.local_today().isoformat(),
            "outcome": RehearsalOutcome.SUCCESSFUL,
        },
        "cutover-task-move": {"status": S.IN_PROGRESS},
    }.get(name, {})


# --- Policies -----------------------------------------------------------------------------


def test_cutover_pages_declare_the_capability_they_check():
    assert {p.name: getattr(p.callback, POLICY_ATTRIBUTE) for p in views.urlpatterns} == {
        "cutover": "project:view_project",
        "cutover-task-new": "project:manage_cutover",
        "cutover-task-edit": "project:manage_cutover",
        "cutover-task-move": "project:view_project",
        "rehearsal-new": "project:manage_cutover",
        "run-sheet": "project:view_project",
        "run-sheet-live": "project:view_project",
    }


@pytest.mark.parametrize("name", ALL_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitor_is_sent_to_login(client, project, tasks, name, method):
    page = page_url(name, project, tasks)
    before = snapshot(project)

    response = getattr(client, method)(page)

    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next={page}"
    assert snapshot(project) == before


@pytest.mark.parametrize("name", ALL_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_outsider_gets_404_and_nothing_changes(
    client, project, members, tasks, outsider, name, method, headers
):
    before = snapshot(project)
    client.force_login(outsider)

    response = getattr(client, method)(
        page_url(name, project, tasks), valid_post(name, project, members), headers=headers
    )

    assert response.status_code == 404
    assert snapshot(project) == before


def test_outsider_cannot_move_a_task_through_their_own_project(client, project, tasks, outsider):
    own = outsider.memberships.get().project
    before = snapshot(project)
    client.force_login(outsider)

    response = client.post(url("cutover-task-move", own, tasks[1].number), {"status": S.DONE})

    assert response.status_code == 404
    assert snapshot(project) == before


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("name", READ_PAGES)
def test_every_member_reads_the_cutover_pages(client, project, members, tasks, role, name):
    client.force_login(members[role])

    response = client.get(page_url(name, project, tasks))

    assert response.status_code == 200
    assert "Load customers" in response.content.decode()


@pytest.mark.parametrize("role", MANAGERS)
@pytest.mark.parametrize("name", WRITE_PAGES)
def test_cutover_managers_open_the_forms(client, project, members, tasks, role, name):
    client.force_login(members[role])

    response = client.get(page_url(name, project, tasks))

    assert response.status_code == 200
    assert 'method="post"' in response.content.decode()


@pytest.mark.parametrize("role", OTHERS)
@pytest.mark.parametrize("name", WRITE_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_members_without_manage_cutover_get_403_and_nothing_changes(
    client, project, members, tasks, role, name, method
):
    before = snapshot(project)
    client.force_login(members[role])

    response = getattr(client, method)(
        page_url(name, project, tasks), valid_post(name, project, members)
    )

    assert response.status_code == 403
    assert snapshot(project) == before


@pytest.mark.parametrize("role", OTHERS)
def test_read_only_members_see_no_plan_buttons(client, project, members, tasks, role):
    client.force_login(members[role])

    content = client.get(url("cutover", project)).content.decode()

    assert url("cutover-task-new", project) not in content
    assert url("cutover-task-edit", project, tasks[0].number) not in content
    assert url("rehearsal-new", project) not in content
    assert url("run-sheet", project) in content


# --- Plan ---------------------------------------------------------------------------------


def test_plan_lists_tasks_in_order_in_the_projects_time_zone_and_flags_gaps(
    client, project, pm, viewer
):
    project.time_zone = "Asia/Ho_Chi_Minh"
    project.save(update_fields=["time_zone"])
    start = datetime.datetime(2031, 3, 8, 11, 0, tzinfo=datetime.UTC)  # 18:00 in Hanoi
    first = a_task(project, pm, title="Freeze legacy", planned_start=start, duration_minutes=90)
    a_task(
        project,
        pm,
        title="Announce",
        owner=None,
        planned_start=None,
        duration_minutes=None,
        depends_on=[first],
    )
    client.force_login(viewer)

    response = client.get(url("cutover", project))

    content = response.content.decode()
    assert [row.task.title for row in response.context["rows"]] == ["Freeze legacy", "Announce"]
    assert "Sat 2031-03-08 18:00" in content
    assert "Sat 2031-03-08 19:30" in content
    assert "1 h 30 min" in content
    assert content.count("data-gap") == 3
    assert "no owner" in content
    assert "no start" in content
    assert "no duration" in content
    assert 'id="incomplete"' in content
    assert response.context["incomplete"] == 1


def test_plan_shows_freeze_and_rollback_read_only(client, project, pm, viewer):
    freeze = timezone.now() + hours(48)
    golive.golive_plan_update(
        actor=pm,
        project=project,
        legacy_freeze_at=freeze,
        rollback_decision_at=freeze + hours(20),
        rollback_criteria="Invoices cannot be posted.",
    )
    client.force_login(viewer)
    as_viewer = client.get(url("cutover", project)).content.decode()
    client.force_login(pm)
    as_pm = client.get(url("cutover", project)).content.decode()

    local = timezone.localtime(freeze, timezone=zoneinfo.ZoneInfo(project.time_zone))
    assert local.strftime("%Y-%m-%d %H:%M") in as_viewer
    assert "Invoices cannot be posted." in as_viewer
    assert 'id="plan-settings"' not in as_viewer
    try:
        settings_url = reverse("golive:plan", args=[project.code])
    except NoReverseMatch:
        settings_url = None
    assert ('id="plan-settings"' in as_pm) == (settings_url is not None)


def test_plan_without_a_go_live_plan_says_what_is_missing(client, project, pm):
    client.force_login(pm)

    content = client.get(url("cutover", project)).content.decode()

    assert content.count("Not set") == 2
    assert "Not written" in content


def test_manager_adds_a_task_in_the_projects_time_zone(
    client, project, members, consultant, it_member, tasks
):
    project.time_zone = "Europe/Paris"
    project.save(update_fields=["time_zone"])
    client.force_login(consultant)

    response = client.post(
        url("cutover-task-new", project),
        task_post(members, depends_on=[tasks[0].pk, tasks[1].pk]),
    )

    created = CutoverTask.objects.get(project=project, number=5)
    assert response.status_code == 302
    assert response.url == url("cutover", project)
    assert created.planned_start == datetime.datetime(2031, 3, 8, 17, 0, tzinfo=datetime.UTC)
    assert (created.owner, created.duration_minutes, created.created_by) == (
        it_member,
        45,
        consultant,
    )
    assert set(created.depends_on.all()) == {tasks[0], tasks[1]}
    assert created.position > max(t.position for t in tasks)  # at the end when not placed


def test_the_edit_form_offers_the_other_tasks_only(client, project, pm, tasks):
    client.force_login(pm)

    form = client.get(url("cutover-task-edit", project, tasks[1].number)).context["form"]

    offered = [value for value, _label in form.fields["depends_on"].choices]
    assert offered == [tasks[0].pk, tasks[2].pk, tasks[3].pk]


def test_manager_edits_a_task_and_its_dependencies(client, project, members, pm, tasks):
    client.force_login(pm)

    response = client.post(
        url("cutover-task-edit", project, tasks[3].number),
        task_post(members, title="Print labels", position="5", depends_on=[tasks[0].pk]),
    )

    tasks[3].refresh_from_db()
    assert response.status_code == 302
    assert (tasks[3].position, tasks[3].duration_minutes) == (5, 45)
    assert list(tasks[3].depends_on.all()) == [tasks[0]]


def test_a_task_cannot_depend_on_itself(client, project, members, pm, tasks):
    before = snapshot(project)
    client.force_login(pm)

    response = client.post(
        url("cutover-task-edit", project, tasks[3].number),
        task_post(members, title="Renamed", position="10", depends_on=[tasks[3].pk]),
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {"depends_on": ["A task cannot depend on itself."]}
    assert "A task cannot depend on itself." in response.content.decode()
    assert snapshot(project) == before


def test_a_cycle_of_three_tasks_is_refused_with_its_path(client, project, members, pm, tasks):
    # T-3 depends on T-2, which depends on T-1: T-1 depending on T-3 closes the loop.
    before = snapshot(project)
    client.force_login(pm)

    response = client.post(
        url("cutover-task-edit", project, tasks[0].number),
        task_post(members, title="Renamed", position="10", depends_on=[tasks[2].pk]),
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {
        "depends_on": [
            "These dependencies would make a cycle that can never run: T-1 → T-3 → T-2 → T-1."
        ]
    }
    assert snapshot(project) == before


def test_a_task_of_another_project_is_not_a_valid_dependency(client, project, members, pm, tasks):
    other_project = ProjectFactory()
    other = CutoverTask.objects.create(
        project=other_project, number=1, title="Elsewhere", created_by=pm
    )
    before = snapshot(project)
    client.force_login(pm)

    response = client.post(
        url("cutover-task-new", project), task_post(members, depends_on=[other.pk])
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {
        "depends_on": ["Choose tasks of this project's cutover plan."]
    }
    assert snapshot(project) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"duration_minutes": "0"}, "duration_minutes"),
        ({"duration_minutes": "-5"}, "duration_minutes"),
        ({"planned_start": "soon"}, "planned_start"),
        ({"owner": "999999"}, "owner"),
    ],
)
def test_bad_task_input_answers_422_and_saves_nothing(
    client, project, members, pm, tasks, changes, field
):
    before = snapshot(project)
    client.force_login(pm)

    response = client.post(url("cutover-task-new", project), task_post(members, **changes))

    assert response.status_code == 422
    assert list(response.context["form"].errors) == [field]
    assert snapshot(project) == before


def test_manager_records_a_rehearsal(client, project, it_member):
    client.force_login(it_member)

    response = client.post(
        url("rehearsal-new", project),
        {
            "held_on": project.local_today().isoformat(),
            "outcome": RehearsalOutcome.ISSUES,
            "duration_hours": "7.5",
            "notes": "Item load took too long.",
        },
    )

    rehearsal = CutoverRehearsal.objects.get(project=project)
    assert response.status_code == 302
    assert (rehearsal.outcome, str(rehearsal.duration_hours)) == (RehearsalOutcome.ISSUES, "7.5")
    content = client.get(url("cutover", project)).content.decode()
    assert "Item load took too long." in content
    assert "7.5 h" in content


def test_a_rehearsal_in_the_future_answers_422(client, project, pm):
    client.force_login(pm)

    response = client.post(
        url("rehearsal-new", project),
        {
            "held_on": (project.local_today() + datetime.timedelta(days=1)).isoformat(),
            "outcome": RehearsalOutcome.SUCCESSFUL,
        },
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {
        "held_on": ["A rehearsal is recorded once it is held."]
    }
    assert not CutoverRehearsal.objects.filter(project=project).exists()


# --- Run-sheet ----------------------------------------------------------------------------


def test_run_sheet_sorts_tasks_and_polls_its_live_part(client, project, pm, tasks):
    client.force_login(pm)

    response = client.get(url("run-sheet", project))

    content = response.content.decode()
    assert content.startswith("<!doctype html>")
    assert f'hx-get="{url("run-sheet-live", project)}"' in content
    assert 'hx-trigger="every 30s"' in content
    sheet = response.context["sheet"]
    assert [row.task.number for row in sheet.late] == [3]
    assert [row.task.number for row in sheet.next] == [2, 4]
    assert [row.task.number for row in sheet.done] == [1]
    assert "Waiting for T-2" in content
    assert "Late: should have started at" in content
    assert content.count("data-ready") == 2


def test_a_running_task_past_its_planned_end_is_flagged_late(client, project, pm, it_member):
    task = a_task(project, pm, owner=it_member, planned_start=timezone.now() - hours(2))
    cutover.cutover_task_move(actor=it_member, task=task, status=S.IN_PROGRESS)
    client.force_login(pm)

    content = client.get(url("run-sheet-live", project)).content.decode()

    running = content[content.index('id="bucket-running"') : content.index('id="bucket-next"')]
    assert f'id="run-task-{task.number}"' in running
    assert "Late: should have ended at" in running


def test_blocked_task_shows_its_last_note_and_done_is_collapsed(client, project, pm, tasks):
    cutover.cutover_task_move(actor=pm, task=tasks[3], status=S.BLOCKED, note="No printer")
    client.force_login(pm)

    content = client.get(url("run-sheet", project)).content.decode()

    blocked = content[content.index('id="bucket-blocked"') : content.index('id="bucket-done"')]
    assert "No printer" in blocked
    assert '<details class="bucket bucket--done" id="bucket-done">' in content
    reopened = client.get(url("run-sheet-live", project), {"done_open": "true"}).content.decode()
    assert '<details class="bucket bucket--done" id="bucket-done" open>' in reopened


def test_run_sheet_counts_down_to_freeze_and_rollback(client, project, pm):
    golive.golive_plan_update(
        actor=pm,
        project=project,
        legacy_freeze_at=timezone.now() + hours(2) + datetime.timedelta(minutes=10, seconds=30),
        rollback_decision_at=timezone.now() + hours(30) + datetime.timedelta(minutes=5),
    )
    client.force_login(pm)

    content = client.get(url("run-sheet", project)).content.decode()

    freeze = content[content.index('id="countdown-freeze"') :]
    assert "in 2 h 10 min" in freeze[:400]
    rollback = content[content.index('id="countdown-rollback"') :]
    assert "in 1 d 6 h" in rollback[:400]


def test_the_live_part_is_a_fragment(client, project, viewer, tasks):
    client.force_login(viewer)

    response = client.get(url("run-sheet-live", project), headers=HTMX)

    content = response.content.decode().strip()
    assert response.status_code == 200
    assert content.startswith('<div id="run-sheet-live"')
    assert "<html" not in content
    assert "<body" not in content
    assert 'hx-trigger="every 30s"' in content
    assert "HX-Request" in response["Vary"]


def test_move_buttons_follow_who_may_run_each_task(client, project, members, tasks):
    move = lambda task: url("cutover-task-move", project, task.number)  # noqa: E731
    client.force_login(members[Role.PILOT_USER])
    as_owner = client.get(url("run-sheet-live", project)).content.decode()
    client.force_login(members[Role.IT])
    as_manager = client.get(url("run-sheet-live", project)).content.decode()
    client.force_login(members[Role.VIEWER])
    as_viewer = client.get(url("run-sheet-live", project)).content.decode()

    # The pilot user owns T-2 (ready) and T-4; T-3 waits for T-2 and is not theirs.
    assert move(tasks[1]) in as_owner
    assert move(tasks[3]) in as_owner
    assert move(tasks[2]) not in as_owner
    assert move(tasks[0]) not in as_owner
    # Managers move any task; a waiting task offers no Start, only Blocked.
    assert move(tasks[2]) in as_manager
    assert move(tasks[0]) in as_manager
    waiting = as_manager[as_manager.index('id="run-task-3"') :]
    waiting = waiting[: waiting.index("</article>")]
    assert 'data-move="start"' not in waiting
    assert 'data-move="blocked"' in waiting
    assert "cutover-task-move" not in as_viewer
    assert "/move/" not in as_viewer


def test_the_task_owner_starts_and_finishes_their_task_without_javascript(
    client, project, pilot_user, tasks
):
    client.force_login(pilot_user)
    move = url("cutover-task-move", project, tasks[1].number)

    started = client.post(move, {"status": S.IN_PROGRESS})
    finished = client.post(move, {"status": S.DONE}, follow=True)

    tasks[1].refresh_from_db()
    assert started.status_code == 302
    assert started.url == url("run-sheet", project)
    assert tasks[1].status == S.DONE
    assert tasks[1].actual_start is not None
    assert tasks[1].actual_end is not None
    assert "T-2 is now done." in finished.content.decode()


def test_an_htmx_move_answers_the_refreshed_live_part(client, project, it_member, tasks):
    client.force_login(it_member)

    response = client.post(
        url("cutover-task-move", project, tasks[1].number),
        {"status": S.IN_PROGRESS},
        headers=HTMX,
    )

    content = response.content.decode().strip()
    assert response.status_code == 200
    assert content.startswith('<div id="run-sheet-live"')
    running = content[content.index('id="bucket-running"') : content.index('id="bucket-next"')]
    assert 'id="run-task-2"' in running
    assert "T-2 is now running." in content
    assert CutoverTask.objects.get(pk=tasks[1].pk).status == S.IN_PROGRESS


def test_blocking_needs_a_reason_and_keeps_it(client, project, pilot_user, tasks):
    client.force_login(pilot_user)
    move = url("cutover-task-move", project, tasks[3].number)
    before = snapshot(project)

    refused = client.post(move, {"status": S.BLOCKED, "note": "  "}, headers=HTMX)
    assert snapshot(project) == before
    blocked = client.post(move, {"status": S.BLOCKED, "note": "Label printer offline"})

    tasks[3].refresh_from_db()
    assert refused.status_code == 422
    assert "T-4: Say what blocks the task." in refused.content.decode()
    assert blocked.status_code == 302
    assert tasks[3].status == S.BLOCKED
    assert tasks[3].notes.endswith("Label printer offline")


@pytest.mark.parametrize(
    ("number", "data", "message"),
    [
        (3, {"status": S.IN_PROGRESS}, "T-3: This task waits for T-2 to be done."),
        (2, {"status": S.DONE}, "T-2: A task that is not started cannot become done."),
        (2, {"status": "flying"}, "Select a valid choice. flying is not one of the available"),
        (1, {"status": S.BLOCKED}, "A task that is done cannot become blocked."),
    ],
    ids=["waiting", "wrong-move", "unknown-status", "done-to-blocked"],
)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_refused_moves_say_why_and_change_nothing(
    client, project, pm, tasks, number, data, message, headers
):
    before = snapshot(project)
    client.force_login(pm)

    response = client.post(
        url("cutover-task-move", project, number), data, headers=headers, follow=not headers
    )

    content = response.content.decode()
    if headers:
        assert response.status_code == 422
        assert content.strip().startswith('<div id="run-sheet-live"')
        assert 'id="run-sheet-error"' in content
    else:
        assert response.status_code == 200
        assert response.redirect_chain == [(url("run-sheet", project), 302)]
    assert message in content
    assert snapshot(project) == before


@pytest.mark.parametrize("role", [Role.KEY_USER, Role.EXECUTIVE, Role.VIEWER, Role.PILOT_USER])
def test_members_who_neither_manage_nor_own_the_task_cannot_move_it(
    client, project, members, tasks, role
):
    before = snapshot(project)
    client.force_login(members[role])

    # T-3 belongs to the IT member.
    response = client.post(
        url("cutover-task-move", project, tasks[2].number), {"status": S.BLOCKED, "note": "x"}
    )

    assert response.status_code == 403
    assert snapshot(project) == before


def test_moving_a_task_needs_post(client, project, pm, tasks):
    client.force_login(pm)

    assert client.get(url("cutover-task-move", project, tasks[1].number)).status_code == 405


def test_an_unknown_task_number_is_404(client, project, pm, tasks):
    client.force_login(pm)

    assert client.get(url("cutover-task-edit", project, 99)).status_code == 404
    assert client.post(url("cutover-task-move", project, 99), {"status": S.DONE}).status_code == 404


# --- Query counts -------------------------------------------------------------------------


def _add_tasks(project, pm, first, count):
    previous = CutoverTask.objects.filter(project=project).order_by("-number").first()
    for n in range(first, first + count):
        previous = a_task(
            project,
            pm,
            title=f"Task {n}",
            planned_start=timezone.now() + hours(n - 10),
            depends_on=[previous] if previous else [],
        )
        if n % 3 == 0:
            CutoverTask.objects.filter(pk=previous.pk).update(status=S.DONE)
        elif n % 3 == 1:
            CutoverTask.objects.filter(pk=previous.pk).update(status=S.BLOCKED, notes="x\ny")


@pytest.mark.parametrize("name", ["cutover", "run-sheet", "run-sheet-live"])
def test_queries_do_not_grow_with_tasks(client, project, pm, name):
    cutover.rehearsal_record(
        actor=pm,
        project=project,
        held_on=project.local_today(),
        outcome=RehearsalOutcome.SUCCESSFUL,
    )
    client.force_login(pm)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url(name, project))
        assert response.status_code == 200
        return len(captured)

    _add_tasks(project, pm, 0, 2)
    few = queries()
    _add_tasks(project, pm, 2, 18)
    many = queries()

    assert few == many
    assert CutoverTask.objects.filter(project=project).count() == 20


def test_a_task_blocked_before_it_ran_offers_no_start_while_it_waits(
    client, project, it_member, tasks
):
    # T-3 waits for T-2; blocking it does not open a way around its dependency.
    cutover.cutover_task_move(actor=it_member, task=tasks[2], status=S.BLOCKED, note="No VPN.")
    client.force_login(it_member)

    live = client.get(url("run-sheet-live", project)).content.decode()

    blocked = live[live.index('id="run-task-3"') :]
    blocked = blocked[: blocked.index("</article>")]
    assert 'data-move="start"' not in blocked
    assert "T-2" in blocked
