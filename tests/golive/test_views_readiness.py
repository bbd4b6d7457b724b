"""The readiness panel and the go-live plan pages: who sees and does what, the criteria
with their numbers and reasons, the rows behind them, the plan entered in the project's
time zone, bad input answered with 422, and query counts that do not grow with rows."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from implementation.choices import PhaseKind
from implementation.models import GoLivePlan
from implementation.services import golive
from implementation.services.migration import load_sign_off
from implementation.views.readiness import url_or_none
from kpis.models import Kpi
from projects.choices import Department, Role
from projects.models import Membership
from projects.services import membership_set_go_live_roles
from tests.factories import MembershipFactory, PhaseFactory, ProjectFactory
from tests.golive.factories import a_load, a_task, an_object, complete_plan, trained_end_users
from tests.uat.test_cycles_factories import make_defect
from uat.choices import DefectStatus, Severity, SignoffKind
from uat.models import Defect
from uat.services import signoffs as signoff_services

LOGIN_URL = "/accounts/login/"


def url(name, project) -> str:
    return reverse(f"golive:{name}", args=[project.code])


def add_kpi(project, owner, name, *, baseline=True) -> Kpi:
    return Kpi.objects.create(
        project=project,
        name=name,
        category="quality",
        unit="errors",
        direction="lower",
        baseline_value=Decimal(10) if baseline else None,
        baseline_date=project.target_go_live - datetime.timedelta(days=60) if baseline else None,
        target_value=Decimal(5),
        target_date=project.target_go_live + datetime.timedelta(days=200),
        owner=owner,
        cadence="monthly",
        created_by=owner,
    )


def golive_load_sign_off(owner, load):
    return load_sign_off(actor=owner, load=load)


def on_hypercare(project, pm, user) -> None:
    membership_set_go_live_roles(
        actor=pm,
        membership=Membership.objects.get(project=project, user=user),
        on_hypercare_team=True,
    )


def plan_data(**changes) -> dict:
    return {
        "training_threshold": "85",
        "legacy_freeze_at": "2026-10-02T18:00",
        "rollback_decision_at": "2026-10-04T08:30",
        "rollback_criteria": "Invoices cannot be posted.",
        "support_plan": "Hotline 8-18.",
    } | changes


# --- Who sees what --------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_every_member_reads_the_panel(client, project, members, role):
    client.force_login(members[role])

    response = client.get(url("readiness", project))

    assert response.status_code == 200
    assert "Go/no-go criteria" in response.content.decode()


@pytest.mark.parametrize("role", list(Role))
def test_only_the_project_manager_opens_the_plan(client, project, members, role):
    client.force_login(members[role])

    response = client.get(url("plan", project))

    assert response.status_code == (200 if role == Role.PROJECT_MANAGER else 403)


@pytest.mark.parametrize("name", ["readiness", "plan"])
def test_outsider_gets_404_and_anonymous_the_login(client, project, outsider, name):
    anonymous = client.get(url(name, project))
    client.force_login(outsider)
    foreign = client.get(url(name, project))

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(LOGIN_URL)
    assert foreign.status_code == 404


def test_edit_and_decision_links_follow_the_capabilities(client, project, members):
    plan_link = f'href="{url("plan", project)}"'
    decision_link = f'href="{reverse("signoffs:create", args=[project.code])}?kind=go_live"'
    pages = {}
    for role in (Role.PROJECT_MANAGER, Role.CONSULTANT, Role.KEY_USER):
        client.force_login(members[role])
        pages[role] = client.get(url("readiness", project)).content.decode()

    assert plan_link in pages[Role.PROJECT_MANAGER]
    assert decision_link in pages[Role.PROJECT_MANAGER]
    assert plan_link not in pages[Role.CONSULTANT]
    assert decision_link in pages[Role.CONSULTANT]
    assert "only the project manager may request the decision now" in pages[Role.CONSULTANT]
    assert plan_link not in pages[Role.KEY_USER]
    assert decision_link not in pages[Role.KEY_USER]


# --- What the panel shows -------------------------------------------------------------------


def test_an_empty_project_shows_six_red_criteria_with_their_reasons(client, project, pm):
    client.force_login(pm)

    page = client.get(url("readiness", project)).content.decode()

    assert page.count('data-met="false"') == 6
    assert page.count('data-met="true"') == 1
    assert 'id="criterion-no_open_critical_high" data-met="true"' in page
    assert "6 criteria not met" in page
    for reason in (
        "No UAT sign-off is signed yet.",
        "No data objects are listed for migration.",
        "The cutover plan has no tasks.",
        "The cutover has not been rehearsed.",
        "No end users are listed for training.",
        "Nobody is named on the hypercare team.",
        "The support plan is not written.",
        "No KPIs are defined: nobody could tell whether the system paid off.",
    ):
        assert reason in page


def test_the_panel_shows_the_rows_behind_the_numbers(
    client, project, pm, it_member, key_user, pilot_user
):
    # given a defect of each kind, two data objects, an incomplete task, two departments'
    # training, a hypercare member, a KPI without baseline and a go-live sign-off
    make_defect(project, pilot_user, severity=Severity.CRITICAL)
    deferred = make_defect(project, pilot_user, severity=Severity.HIGH)
    Defect.objects.filter(pk=deferred.pk).update(
        status=DefectStatus.DEFERRED,
        title="Rounding on credit notes",
        deferral_reason="Vendor patch in November.",
        workaround="Accountant corrects by hand.",
        target_date=datetime.date(2026, 11, 15),
    )
    signed = an_object(project, key_user, pm, name="Customers")
    signed_load = a_load(signed, pm)
    golive_load_sign_off(key_user, signed_load)
    failed = an_object(project, key_user, pm, name="Open invoices")
    a_load(failed, pm, loaded_count=80, rejected_count=20)
    a_task(project, pm, title="Switch off the old ERP", owner=None)
    a_task(project, pm, title="Post opening balances")
    trained_end_users(project, pm, Department.SALES, count=10, trained=9)
    trained_end_users(project, pm, Department.WAREHOUSE, count=4, trained=2)
    on_hypercare(project, pm, it_member)
    add_kpi(project, pm, "Order entry time", baseline=False)
    add_kpi(project, pm, "Data-entry errors")
    client.force_login(pm)

    page = client.get(url("readiness", project)).content.decode()

    defect_url = reverse("uat:defect-detail", args=[project.code, 1])
    assert f'<a href="{defect_url}">DEF-1</a>' in page
    assert "Rounding on credit notes" in page
    assert "Vendor patch in November." in page
    assert "Accountant corrects by hand." in page
    assert "2026-11-15" in page
    for obj in (signed, failed):
        link = url_or_none("golive:migration-object", project.code, obj.pk)
        assert (f'href="{link}"' if link else obj.name) in page
    assert "Failed" in page
    assert "1 data object failed reconciliation on its last load." in page
    assert "Switch off the old ERP" in page
    assert "Post opening balances" not in page  # complete: not listed
    assert "1 cutover task has no owner." in page
    assert "1 of 2 tasks complete" in page
    assert "90%" in page
    assert "50%" in page
    assert "Warehouse: 2 of 4 end users trained (50%, 90% needed)." in page
    assert it_member.display_name in page
    kpi = Kpi.objects.get(name="Order entry time")
    assert f'href="{reverse("kpis:detail", args=[project.code, kpi.pk])}"' in page
    assert "1 KPI has no baseline." in page
    assert 'id="criterion-hypercare_ready" data-met="false"' in page


def test_green_criteria_show_without_reasons(client, project, pm, key_user, pilot_user):
    obj = an_object(project, key_user, pm)
    golive_load_sign_off(key_user, a_load(obj, pm))
    a_task(project, pm)
    complete_plan(project, pm)
    trained_end_users(project, pm)
    on_hypercare(project, pm, pm)
    add_kpi(project, pm, "Data-entry errors")
    client.force_login(pm)

    page = client.get(url("readiness", project)).content.decode()

    for key in (
        "migration_reconciled",
        "cutover_ready",
        "training_coverage",
        "hypercare_ready",
        "kpi_baselines",
    ):
        assert f'id="criterion-{key}" data-met="true"' in page
    assert "Support plan written" in page
    assert "Hotline 8-18, chat group, escalation to the vendor." in page
    assert "Every KPI has its baseline." in page
    assert 'id="criterion-uat_signed" data-met="false"' in page
    assert "1 criterion not met" in page


def test_the_project_s_go_live_sign_offs_are_listed(client, project, pm, executive):
    PhaseFactory(project=project, kind=PhaseKind.GO_LIVE, position=5)
    signoff = signoff_services.signoff_create(
        actor=pm,
        project=project,
        kind=SignoffKind.GO_LIVE,
        signatories=[{"user": executive, "role_title": "Sponsor"}],
    )
    client.force_login(executive)

    page = client.get(url("readiness", project)).content.decode()

    detail = reverse("signoffs:detail", args=[project.code, signoff.number])
    assert f'<a href="{detail}">SO-{signoff.number}</a>' in page
    assert "Draft" in page


def test_the_plan_is_shown_in_the_project_s_time_zone(client, project, pm):
    project.time_zone = "Europe/Berlin"
    project.save()
    golive.golive_plan_update(
        actor=pm,
        project=project,
        legacy_freeze_at=datetime.datetime(2026, 10, 2, 16, 0, tzinfo=datetime.UTC),
        rollback_criteria="Invoices cannot be posted.",
    )
    client.force_login(pm)

    page = client.get(url("readiness", project)).content.decode()

    assert "2026-10-02 18:00" in page  # 16:00 UTC is 18:00 in Berlin (summer time)
    assert "Invoices cannot be posted." in page
    assert "Times in Europe/Berlin" in page


# --- The plan -------------------------------------------------------------------------------


def test_the_project_manager_saves_the_plan_in_the_project_s_time_zone(client, project, pm):
    project.time_zone = "Europe/Berlin"
    project.save()
    client.force_login(pm)

    response = client.post(url("plan", project), plan_data())

    assert response.status_code == 302
    assert response["Location"] == url("readiness", project)
    plan = GoLivePlan.objects.get(project=project)
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    assert plan.legacy_freeze_at == datetime.datetime(2026, 10, 2, 18, 0, tzinfo=berlin)
    assert plan.rollback_decision_at == datetime.datetime(2026, 10, 4, 8, 30, tzinfo=berlin)
    assert plan.training_threshold == Decimal(85)
    assert plan.rollback_criteria == "Invoices cannot be posted."
    assert plan.support_plan == "Hotline 8-18."
    assert plan.updated_by == pm
    form = client.get(url("plan", project)).content.decode()
    assert 'value="2026-10-02T18:00"' in form


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"training_threshold": "abc"}, "training_threshold", "Enter a number."),
        ({"training_threshold": "120"}, "training_threshold", "less than or equal to 100"),
        ({"legacy_freeze_at": "tomorrow"}, "legacy_freeze_at", "Enter a valid date/time."),
        (
            {"rollback_decision_at": "2026-10-01T08:00"},
            "rollback_decision_at",
            "The rollback decision comes after the legacy system is frozen.",
        ),
    ],
)
def test_bad_plan_input_answers_422_and_saves_nothing(client, project, pm, changes, field, message):
    client.force_login(pm)

    response = client.post(url("plan", project), plan_data(**changes))

    assert response.status_code == 422
    assert message in response.content.decode()
    assert not GoLivePlan.objects.filter(project=project).exists()


def test_a_consultant_cannot_change_the_plan(client, project, consultant):
    client.force_login(consultant)

    response = client.post(url("plan", project), plan_data())

    assert response.status_code == 403
    assert not GoLivePlan.objects.filter(project=project).exists()


def test_url_or_none_answers_none_for_a_page_that_does_not_exist():
    assert url_or_none("golive:no-such-page", "X") is None
    assert url_or_none("golive:readiness", "X") == "/projects/X/go-live/"


# --- Query counts ---------------------------------------------------------------------------


def _fill(project, pm, key_user, pilot_user, count: int) -> None:
    for i in range(count):
        obj = an_object(project, key_user, pm, name=f"Object {i}")
        load = a_load(obj, pm)
        if i % 2:
            golive_load_sign_off(key_user, load)
        a_task(project, pm, title=f"Task {i}", owner=None if i % 3 else pm)
        make_defect(project, pilot_user, severity=Severity.HIGH if i % 2 else Severity.CRITICAL)
        deferred = make_defect(project, pilot_user)
        Defect.objects.filter(pk=deferred.pk).update(status=DefectStatus.DEFERRED)
        add_kpi(project, pm, f"KPI {i}", baseline=bool(i % 2))
    departments = [Department.SALES, Department.WAREHOUSE, Department.IT]
    for department in departments[: 1 if count < 10 else 3]:
        trained_end_users(project, pm, department, count=count, trained=count // 2)


def test_the_panel_s_queries_do_not_grow_with_rows(
    client, project, pm, it_member, key_user, pilot_user
):
    on_hypercare(project, pm, it_member)
    small = project
    _fill(small, pm, key_user, pilot_user, 2)
    client.force_login(pm)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("readiness", small)).status_code == 200

    large = ProjectFactory()
    for user, role, department in (
        (pm, Role.PROJECT_MANAGER, Department.MANAGEMENT),
        (key_user, Role.KEY_USER, Department.ACCOUNTING_FINANCE),
        (pilot_user, Role.PILOT_USER, Department.SALES),
        (it_member, Role.IT, Department.IT),
    ):
        MembershipFactory(project=large, user=user, role=role, department=department)
    on_hypercare(large, pm, it_member)
    on_hypercare(large, pm, pilot_user)
    _fill(large, pm, key_user, pilot_user, 20)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url("readiness", large))
    assert page.status_code == 200
    assert "Object 19" in page.content.decode()
    assert len(many) == len(few)
