import pytest
from django.urls import reverse

from projects.choices import Role
from tests.factories import MembershipFactory
from tests.uat.test_cycles_factories import (
    END,
    START,
    add_to_scope,
    make_cycle,
    make_defect,
    make_scenario,
    make_scope,
    run,
)
from uat import models


def _url(name, project, *args):
    return reverse(f"uat:{name}", args=[project.code, *args])


@pytest.fixture
def cycle(project):
    return make_cycle(project)


@pytest.fixture
def entry(cycle, project, pilot_user):
    return add_to_scope(cycle, make_scenario(project, "UAT-SAL-01", steps=3), pilot_user)


PAGES = {
    # name: (capability holders, url builder)
    "cycle-list": "view",
    "cycle-dashboard": "view",
    "my-tests": "view",
    "cycle-create": "manage",
    "cycle-edit": "manage",
    "cycle-scope": "manage",
    "run": "run",
}
VIEW = set(Role)
MANAGE = {Role.PROJECT_MANAGER, Role.CONSULTANT, Role.KEY_USER}
RUN = {Role.PROJECT_MANAGER, Role.KEY_USER, Role.PILOT_USER}


def _page_url(name, project, cycle, entry):
    if name in ("cycle-list", "cycle-create", "my-tests"):
        return _url(name, project)
    if name == "run":
        return _url(name, project, cycle.pk, entry.pk)
    return _url(name, project, cycle.pk)


@pytest.mark.parametrize("name", PAGES)
def test_page_permissions_for_every_role(client, project, members, cycle, entry, outsider, name):
    url = _page_url(name, project, cycle, entry)
    allowed = {"view": VIEW, "manage": MANAGE, "run": RUN}[PAGES[name]]

    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    for role, user in members.items():
        client.force_login(user)
        assert client.get(url).status_code == (200 if role in allowed else 403), role


def test_create_page_plans_and_goes_to_scope(client, project, pm):
    client.force_login(pm)

    response = client.post(
        _url("cycle-create", project),
        {
            "name": "UAT round 1",
            "starts_on": "2026-06-01",
            "ends_on": "2026-06-10",
            "environment": "test",
            "entry_criteria": "",
            "min_pass_rate": "95",
            "max_open_critical": "0",
            "max_open_high": "0",
            "require_all_executed": "on",
        },
    )

    cycle = models.TestCycle.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("cycle-scope", project, cycle.pk)


def test_create_page_shows_end_before_start_with_422(client, project, pm):
    client.force_login(pm)

    response = client.post(
        _url("cycle-create", project),
        {
            "name": "UAT round 1",
            "starts_on": "2026-06-10",
            "ends_on": "2026-06-01",
            "environment": "test",
            "min_pass_rate": "95",
            "max_open_critical": "0",
            "max_open_high": "0",
        },
    )

    assert response.status_code == 422
    assert "The cycle cannot end before it starts." in response.content.decode()
    assert models.TestCycle.objects.count() == 0


def test_edit_page_saves(client, project, key_user, cycle):
    client.force_login(key_user)

    response = client.post(
        _url("cycle-edit", project, cycle.pk),
        {
            "name": "Round 1b",
            "starts_on": START.isoformat(),
            "ends_on": END.isoformat(),
            "environment": "test",
            "min_pass_rate": "90",
            "max_open_critical": "0",
            "max_open_high": "2",
        },
    )

    assert response.status_code == 302
    cycle.refresh_from_db()
    assert (cycle.name, cycle.max_open_high, cycle.require_all_executed) == ("Round 1b", 2, False)


def test_scope_page_saves_ticks_and_assignees(client, project, pm, pilot_user, cycle):
    one, two = make_scenario(project, "UAT-A-01"), make_scenario(project, "UAT-A-02")
    client.force_login(pm)

    response = client.post(
        _url("cycle-scope", project, cycle.pk),
        {f"scenario_{two.pk}": "on", f"assignees_{two.pk}": [str(pilot_user.pk)]},
    )

    assert response.status_code == 302
    entry = cycle.scope.get()
    assert entry.scenario == two
    assert list(entry.assignees.all()) == [pilot_user]
    assert one.cycle_entries.count() == 0


def test_scope_page_refuses_an_unknown_assignee_with_422(client, project, pm, executive, cycle):
    scenario = make_scenario(project, "UAT-A-01")
    client.force_login(pm)

    response = client.post(
        _url("cycle-scope", project, cycle.pk),
        {f"scenario_{scenario.pk}": "on", f"assignees_{scenario.pk}": [str(executive.pk)]},
    )

    assert response.status_code == 422
    assert cycle.scope.count() == 0


def test_dashboard_shows_numbers_criteria_and_chart(client, project, pm, pilot_user, cycle):
    entries = make_scope(cycle, 2, pilot_user)
    run(entries[0], pilot_user, "passed")
    run(entries[1], pilot_user, "failed")
    make_defect(project, pm, cycle, "critical")
    client.force_login(pm)

    response = client.get(_url("cycle-dashboard", project, cycle.pk))

    html = response.content.decode()
    assert response.status_code == 200
    assert "2 of 2 executed" in html
    assert "50.0%" in html
    assert "<svg" in html
    assert 'id="exit-criteria"' in html
    assert html.count("is-not-met") == 2  # pass rate, open critical
    assert html.count('class="is-met"') == 2  # all executed, open high


def test_my_tests_shows_only_my_scenarios_of_the_current_cycle(client, project, pilot_user):
    other = MembershipFactory(project=project, role=Role.PILOT_USER).user
    old = make_cycle(
        project, name="Old round", starts_on=START.replace(month=1), ends_on=END.replace(month=1)
    )
    current = make_cycle(project, name="Current round")
    add_to_scope(old, make_scenario(project, "UAT-OLD-01"), pilot_user)
    mine = add_to_scope(current, make_scenario(project, "UAT-MINE-01"), pilot_user)
    done = add_to_scope(current, make_scenario(project, "UAT-MINE-02"), pilot_user)
    add_to_scope(current, make_scenario(project, "UAT-THEIRS-01"), other)
    run(done, pilot_user, "passed")
    client.force_login(pilot_user)

    html = client.get(_url("my-tests", project)).content.decode()

    assert "UAT-MINE-01" in html
    assert "UAT-MINE-02" in html
    assert "UAT-THEIRS-01" not in html
    assert "UAT-OLD-01" not in html
    assert _url("run", project, current.pk, mine.pk) in html
    assert "1 scenario left to run" in html


def test_run_page_shows_steps_and_defect_fields_without_js(
    client, project, pilot_user, cycle, entry
):
    client.force_login(pilot_user)

    response = client.get(
        _url("run", project, cycle.pk, entry.pk),
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert '<meta name="viewport"' in html
    assert "See 3" in html
    for value in ("passed", "failed", "blocked", "not_run"):
        assert f'value="{value}"' in html
    assert 'name="defect_title"' in html
    assert 'value="UAT-SAL-01: Do 1"' in html
    assert '<option value="medium" selected>' in html


def test_run_page_records_a_failure_with_its_defect(client, project, pilot_user, cycle, entry):
    step = entry.scenario.steps.get(position=2)
    client.force_login(pilot_user)

    response = client.post(
        _url("run", project, cycle.pk, entry.pk),
        {
            "result": "failed",
            "actual_result": "Crash",
            "notes": "",
            "failed_step": str(step.pk),
            "log_defect": "on",
            "defect_title": "UAT-SAL-01: Do 1",
            "defect_severity": "high",
            "defect_description": "",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == _url("my-tests", project)
    defect = models.Defect.objects.get()
    assert defect.title == "UAT-SAL-01: Do 2"  # the prefilled title follows the failed step
    assert (defect.severity, defect.expected_result, defect.actual_result) == (
        "high",
        "See 2",
        "Crash",
    )
    assert defect.execution.result == "failed"


def test_run_page_pass_ignores_the_defect_fields(client, project, pilot_user, cycle, entry):
    client.force_login(pilot_user)

    response = client.post(
        _url("run", project, cycle.pk, entry.pk),
        {"result": "passed", "log_defect": "on", "defect_title": "x", "defect_severity": "medium"},
    )

    assert response.status_code == 302
    assert models.TestExecution.objects.get().result == "passed"
    assert models.Defect.objects.count() == 0


def test_run_page_without_result_is_422_and_saves_nothing(
    client, project, pilot_user, cycle, entry
):
    client.force_login(pilot_user)

    response = client.post(_url("run", project, cycle.pk, entry.pk), {"defect_severity": "medium"})

    assert response.status_code == 422
    assert models.TestExecution.objects.count() == 0


def test_run_page_htmx_error_renders_the_form_fragment(client, project, pilot_user, cycle, entry):
    client.force_login(pilot_user)

    response = client.post(
        _url("run", project, cycle.pk, entry.pk),
        {"defect_severity": "medium"},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert "<html" not in html
    assert 'id="run-form"' in html


def test_run_page_htmx_success_redirects_the_client(client, project, pilot_user, cycle, entry):
    client.force_login(pilot_user)

    response = client.post(
        _url("run", project, cycle.pk, entry.pk),
        {"result": "blocked", "defect_severity": "medium"},
        HTTP_HX_REQUEST="true",
    )

    assert response["HX-Redirect"] == _url("my-tests", project)


def test_unassigned_pilot_user_gets_403_on_the_run_page(client, project, cycle, entry):
    other = MembershipFactory(project=project, role=Role.PILOT_USER).user
    client.force_login(other)

    assert client.get(_url("run", project, cycle.pk, entry.pk)).status_code == 403
    assert (
        client.post(_url("run", project, cycle.pk, entry.pk), {"result": "passed"}).status_code
        == 403
    )
    assert models.TestExecution.objects.count() == 0


def test_entry_of_another_cycle_is_404(client, project, pm, entry):
    other = make_cycle(project, name="Round 2")
    client.force_login(pm)

    assert client.get(_url("run", project, other.pk, entry.pk)).status_code == 404


def _query_count(client, url):
    client.get(url)  # warm up session and caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", ["cycle-list", "cycle-dashboard", "my-tests"])
def test_page_query_count_does_not_grow_with_scenarios(client, project, pm, pilot_user, name):
    counts = []
    for size in (2, 20):
        models.TestExecution.objects.all().delete()
        models.Defect.objects.all().delete()
        models.CycleScenario.objects.all().delete()
        models.TestCycle.objects.all().delete()
        cycle = make_cycle(project)
        for entry in make_scope(cycle, size, pilot_user, prefix=f"S{size}"):
            run(entry, pilot_user, "passed")
            make_defect(project, pm, cycle, "high")
        client.force_login(pilot_user)
        counts.append(_query_count(client, _page_url(name, project, cycle, None)))

    assert counts[0] == counts[1]


def _failed_run_with(client, project, cycle, entry, upload):
    return client.post(
        _url("run", project, cycle.pk, entry.pk),
        {
            "result": "failed",
            "actual_result": "Total shows 0 VND",
            "failed_step": str(entry.scenario.steps.get(position=1).pk),
            "log_defect": "on",
            "defect_title": "Total is zero",
            "defect_severity": "medium",
            "attachment": upload,
        },
    )


def test_a_failed_run_carries_its_screenshot_to_the_defect(
    client, project, pilot_user, cycle, entry, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.uat.test_attachments import tiny_png

    settings.MEDIA_ROOT = tmp_path
    client.force_login(pilot_user)

    response = _failed_run_with(
        client, project, cycle, entry, SimpleUploadedFile("till.png", tiny_png(), "image/png")
    )

    assert response.status_code == 302
    attachment = models.Attachment.objects.get()
    defect = models.Defect.objects.get()
    assert (attachment.defect, attachment.execution) == (defect, defect.execution)
    assert (attachment.original_name, attachment.content_type) == ("till.png", "image/png")


def test_a_refused_screenshot_saves_neither_run_nor_defect(
    client, project, pilot_user, cycle, entry, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client.force_login(pilot_user)

    response = _failed_run_with(
        client, project, cycle, entry, SimpleUploadedFile("till.png", b"MZ\x90\x00exe", "image/png")
    )

    assert response.status_code == 422
    assert response.context["form"].errors["attachment"]
    assert models.TestExecution.objects.count() == 0
    assert models.Defect.objects.count() == 0
    assert models.Attachment.objects.count() == 0
