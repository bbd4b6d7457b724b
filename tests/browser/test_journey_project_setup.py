"""Journey 1: a project manager sets up an ERP project in the browser.

From the template, with a team; the discovery checklist ticked, the phase completed and a
configuration change logged.
"""

import re

from playwright.sync_api import expect

from implementation.choices import PhaseKind, PhaseStatus
from implementation.models import ConfigurationChange
from projects.choices import Department, Role
from projects.models import Project
from tests.browser.steps import sign_in
from tests.factories import UserFactory


def test_a_project_manager_sets_up_an_erp_project(page):
    pm = UserFactory(username="thu", first_name="Thu", last_name="Nguyen", can_create_projects=True)
    consultant = UserFactory(username="quang", first_name="Quang", last_name="Tran")
    key_user = UserFactory(username="lan", first_name="Lan", last_name="Le")

    sign_in(page, pm)

    # The project, from the ERP template.
    page.get_by_role("link", name="New project").click()
    expect(page.get_by_role("heading", name="New project")).to_be_visible()
    page.get_by_label("Name").fill("Saigon Foods ERP")
    page.get_by_label("Code").fill("sgf-erp")
    page.get_by_label("Client organisation").fill("Saigon Foods JSC")
    page.get_by_label("Template").select_option(label="ERP")
    page.get_by_label("Start date").fill("2026-01-05")
    page.get_by_label("Your department").select_option(label="Management")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_text("Project SGF-ERP created with its six phases.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Saigon Foods ERP"))).to_be_visible()

    # The team: two colleagues join (each row appears without a page load).
    page.get_by_role("navigation", name="Project sections").get_by_role("link", name="Team").click()
    add_form = page.locator("#member-add")
    for person, role, department in [
        (consultant, "Consultant", "Other"),
        (key_user, "Key user", "Accounting / finance"),
    ]:
        add_form.get_by_label("Person").fill(person.email)
        add_form.get_by_label("Role").select_option(label=role)
        add_form.get_by_label("Department").select_option(label=department)
        add_form.get_by_role("button", name="Add to team").click()
        expect(page.get_by_role("row", name=re.compile(person.display_name))).to_be_visible()
    expect(page.locator("#members-body tr")).to_have_count(3)

    # Discovery: start the phase, tick every checklist item, pass the gate.
    page.get_by_role("link", name="Overview and phases").click()
    page.get_by_role("link", name="1. Discovery & planning").click()
    expect(page.get_by_role("heading", name=re.compile("Discovery & planning"))).to_be_visible()
    page.get_by_role("button", name="Start phase").click()
    expect(page.get_by_text("Discovery & planning started.")).to_be_visible()
    tick = page.get_by_role("button", name="Tick")
    total = tick.count()
    assert total >= 5, "the ERP template brings the discovery checklist"
    for left in range(total, 0, -1):
        tick.first.click()
        expect(tick).to_have_count(left - 1)
    expect(page.get_by_role("button", name="Done")).to_have_count(total)
    expect(page.locator("#phase-progress")).to_have_text(f"{total} of {total} items done")

    page.get_by_role("link", name="Complete phase").click()
    expect(page.get_by_text("Every mandatory item is done: the gate is passed.")).to_be_visible()
    page.get_by_role("button", name="Complete phase").click()
    expect(page.get_by_text("Discovery & planning completed.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Completed"))).to_be_visible()

    # A configuration change, logged against the discovery phase.
    page.get_by_role("link", name="Configuration log").click()
    page.get_by_role("link", name="Record a change").click()
    page.get_by_label("Module or area").fill("Finance - General Ledger")
    page.get_by_label("Setting or object changed").fill("Fiscal year start")
    page.get_by_label("Old value").fill("January")
    page.get_by_label("New value").fill("April")
    page.get_by_label("Reason").fill("The group reports on an April-March fiscal year.")
    page.get_by_label("Requested by").select_option(label=key_user.display_name)
    page.get_by_label("Environment").select_option(label="Test")
    page.get_by_label("Phase", exact=True).select_option(label="Discovery & planning")
    page.get_by_role("button", name="Record the change").click()
    expect(page.get_by_role("heading", name=re.compile("Fiscal year start"))).to_be_visible()
    expect(page.get_by_text("April", exact=True)).to_be_visible()

    # What was stored.
    project = Project.objects.get(code="SGF-ERP")
    assert project.name == "Saigon Foods ERP"
    assert project.system_kind == "erp"
    assert {(m.user, m.role, m.department) for m in project.memberships.all()} == {
        (pm, Role.PROJECT_MANAGER, Department.MANAGEMENT),
        (consultant, Role.CONSULTANT, Department.OTHER),
        (key_user, Role.KEY_USER, Department.ACCOUNTING_FINANCE),
    }
    assert project.phases.count() == 6
    discovery = project.phases.get(kind=PhaseKind.DISCOVERY)
    assert discovery.status == PhaseStatus.COMPLETED
    assert not discovery.is_waived
    items = list(discovery.checklist_items.all())
    assert len(items) == total
    assert all(item.is_done and item.done_by == pm for item in items)
    change = ConfigurationChange.objects.get(project=project)
    assert (change.area, change.setting, change.old_value, change.new_value) == (
        "Finance - General Ledger",
        "Fiscal year start",
        "January",
        "April",
    )
    assert change.requested_by == key_user
    assert change.phase == discovery
    assert change.environment == "test"
