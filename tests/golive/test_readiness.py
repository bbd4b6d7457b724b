"""Go-live readiness computed from the project's data: each criterion turning from red to
green through the services, the reasons given for red ones, the queries it costs, the
go/no-go snapshot, and the health rules that read it."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from implementation import readiness
from implementation.choices import LoadKind, PhaseKind, PhaseStatus, RehearsalOutcome
from implementation.services import cutover, golive, migration, training
from kpis import services as kpi_services
from projects import health
from projects.choices import Department, Role
from projects.health import Level
from tests.factories import ChecklistItemFactory, MembershipFactory, PhaseFactory
from tests.golive.factories import (
    a_kpi,
    a_load,
    a_signed_load,
    a_task,
    an_object,
    complete_plan,
    hypercare,
    make_ready,
    signed_uat,
    team_project,
    trained_end_users,
)
from uat import snapshots
from uat.choices import DefectStatus, Severity
from uat.services import defects as defect_services

pytestmark = pytest.mark.django_db
D = Decimal
PDF = b"%PDF-1.4 test"


@pytest.fixture(autouse=True)
def _pdf_renderer(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr("uat.pdf.render_signoff_pdf", lambda signoff: PDF)


@pytest.fixture
def team():
    """A project going live in three weeks, with one member per role."""
    today = timezone.localdate()
    return team_project(
        start_date=today - datetime.timedelta(days=200),
        target_go_live=today + datetime.timedelta(days=21),
    )


def state(project, key):
    """(met, reasons) of one criterion, as the panel computes them."""
    facts = readiness.load_facts([project])[project.pk]
    (criterion,) = [c for c in readiness.evaluate(facts) if c.key == key]
    return criterion.met, readiness.reasons(key, facts)


def criterion(project, key):
    facts = readiness.load_facts([project])[project.pk]
    return next(c for c in readiness.evaluate(facts) if c.key == key)


# --- The whole panel ------------------------------------------------------------------------


def test_a_project_with_nothing_is_red_on_every_criterion_with_reasons(team):
    project, _people = team

    p = readiness.panel(project)

    assert [c.key for c in p.criteria] == list(readiness.CRITERIA)
    assert [c for c, _reasons in p.rows] == p.criteria
    assert not p.ready
    assert [c.key for c in p.red] == [
        "uat_signed",
        "migration_reconciled",
        "cutover_ready",
        "training_coverage",
        "hypercare_ready",
        "kpi_baselines",
    ]
    assert {c.key: reasons for c, reasons in p.rows} == {
        "uat_signed": ["No UAT sign-off is signed yet."],
        "no_open_critical_high": [],
        "migration_reconciled": ["No data objects are listed for migration."],
        "cutover_ready": [
            "The cutover plan has no tasks.",
            "The legacy system's freeze time is not set.",
            "The rollback criteria and decision point are not both set.",
            "The cutover has not been rehearsed.",
        ],
        "training_coverage": ["No end users are listed for training."],
        "hypercare_ready": [
            "Nobody is named on the hypercare team.",
            "The support plan is not written.",
        ],
        "kpi_baselines": ["No KPIs are defined: nobody could tell whether the system paid off."],
    }


def test_no_open_defects_is_met_on_an_empty_project(team):
    project, _people = team
    assert state(project, "no_open_critical_high") == (True, [])


def test_a_project_with_everything_done_is_ready(team):
    project, people = team
    make_ready(project, people)

    p = readiness.panel(project)

    assert p.ready
    assert p.red == []
    assert all(reasons == [] for _c, reasons in p.rows)
    assert [c.label for c in p.criteria][0] == snapshots.criterion_label("uat_signed")


# --- Each criterion from red to green -------------------------------------------------------


def test_uat_signed_turns_green_when_a_uat_sign_off_is_signed(team):
    project, people = team
    assert state(project, "uat_signed") == (False, ["No UAT sign-off is signed yet."])

    signed_uat(project, people)

    assert state(project, "uat_signed") == (True, [])
    assert criterion(project, "uat_signed").actual == 1


def test_open_critical_and_high_defects_block_until_closed_or_deferred(team):
    project, people = team
    pilot, pm = people[Role.PILOT_USER], people[Role.PROJECT_MANAGER]
    high = defect_services.defect_report(
        actor=pilot, project=project, title="Stock transfer doubles quantity", severity="high"
    )
    critical = defect_services.defect_report(
        actor=pilot, project=project, title="Invoices cannot be posted", severity="critical"
    )
    defect_services.defect_report(
        actor=pilot, project=project, title="Typo on the receipt", severity=Severity.LOW
    )

    assert state(project, "no_open_critical_high") == (
        False,
        ["1 critical defect is open.", "1 high-severity defect is open."],
    )
    assert criterion(project, "no_open_critical_high").actual == 2

    for defect in (high, critical):
        defect_services.defect_transition(
            actor=pm,
            defect=defect,
            to_status=DefectStatus.DEFERRED,
            deferral_reason="Only the Hà Đông warehouse; fixed in the first patch.",
            workaround="Post the transfer by hand.",
            target_date=project.target_go_live + datetime.timedelta(days=14),
        )

    assert state(project, "no_open_critical_high") == (True, [])
    p = readiness.panel(project)
    assert p.facts.deferred == 2
    assert p.blocking_defects == []
    assert [d["workaround"] for d in p.deferred_defects] == ["Post the transfer by hand."] * 2


def test_migration_turns_green_only_once_every_last_load_passes_and_is_signed(team):
    project, people = team
    it, owner = people[Role.IT], people[Role.KEY_USER]
    assert state(project, "migration_reconciled") == (
        False,
        ["No data objects are listed for migration."],
    )

    customers = an_object(project, owner, it, name="Customers", tolerance_percent=D("0.5"))
    assert state(project, "migration_reconciled") == (
        False,
        ["1 data object has not been loaded yet."],
    )

    a_load(customers, it, source_count=1000, loaded_count=980, rejected_count=20)
    assert state(project, "migration_reconciled") == (
        False,
        ["1 data object failed reconciliation on its last load."],
    )

    reconciled = a_load(customers, it, source_count=1000, loaded_count=1000)
    assert state(project, "migration_reconciled") == (
        False,
        ["1 data object's last load is not signed off by its owner."],
    )

    migration.load_sign_off(actor=owner, load=reconciled)
    assert state(project, "migration_reconciled") == (True, [])

    # a new load (unsigned, within tolerance) puts it back to red until signed in turn
    within = a_load(
        customers, it, kind=LoadKind.FINAL, source_count=1000, loaded_count=996, rejected_count=4
    )
    assert within.reconciliation == "within_tolerance"
    assert state(project, "migration_reconciled")[0] is False
    migration.load_sign_off(actor=owner, load=within)
    assert state(project, "migration_reconciled") == (True, [])
    assert (
        criterion(project, "migration_reconciled").actual,
        criterion(project, "migration_reconciled").threshold,
    ) == (1, 1)


def test_migration_reasons_count_each_kind_of_gap(team):
    project, people = team
    it, owner = people[Role.IT], people[Role.KEY_USER]
    for name in ("Vendors", "Items"):
        an_object(project, owner, it, name=name)
    for name in ("Customers", "Open sales orders"):
        a_load(an_object(project, owner, it, name=name), it, loaded_count=50)
    a_load(an_object(project, owner, it, name="Chart of accounts"), it)
    a_signed_load(an_object(project, owner, it, name="Opening balances"), it)

    met, reasons = state(project, "migration_reconciled")

    assert not met
    assert reasons == [
        "2 data objects have not been loaded yet.",
        "2 data objects failed reconciliation on their last load.",
        "1 data object's last load is not signed off by its owner.",
    ]
    c = criterion(project, "migration_reconciled")
    assert (c.actual, c.threshold) == (1, 6)


def test_cutover_turns_green_with_a_complete_plan_and_a_successful_rehearsal(team):
    project, people = team
    pm, it = people[Role.PROJECT_MANAGER], people[Role.IT]
    task = a_task(project, it, owner=None, planned_start=None)

    assert state(project, "cutover_ready") == (
        False,
        [
            "1 cutover task has no owner.",
            "1 cutover task has no planned start or duration.",
            "The legacy system's freeze time is not set.",
            "The rollback criteria and decision point are not both set.",
            "The cutover has not been rehearsed.",
        ],
    )
    cutover.cutover_task_update(
        actor=it, task=task, owner=it, planned_start=timezone.now() + datetime.timedelta(days=20)
    )
    golive.golive_plan_update(
        actor=pm,
        project=project,
        legacy_freeze_at=timezone.now() + datetime.timedelta(days=19),
        rollback_decision_at=timezone.now() + datetime.timedelta(days=20),
    )
    cutover.rehearsal_record(
        actor=it, project=project, held_on=project.local_today(), outcome=RehearsalOutcome.ISSUES
    )
    assert state(project, "cutover_ready") == (
        False,
        [
            "The rollback criteria and decision point are not both set.",
            "1 rehearsal was held, none successful yet.",
        ],
    )

    complete_plan(project, pm)

    assert state(project, "cutover_ready") == (True, [])
    assert (
        criterion(project, "cutover_ready").actual,
        criterion(project, "cutover_ready").threshold,
    ) == (1, 1)


def test_training_coverage_needs_every_department_at_the_threshold(team):
    project, people = team
    pm = people[Role.PROJECT_MANAGER]
    trained_end_users(project, pm, Department.SALES, count=10, trained=10)
    warehouse, session = trained_end_users(project, pm, Department.WAREHOUSE, count=10, trained=8)

    assert state(project, "training_coverage") == (
        False,
        ["Warehouse: 8 of 10 end users trained (80%, 90% needed)."],
    )
    c = criterion(project, "training_coverage")
    assert (c.actual, c.threshold) == ("80", "90")

    training.attendance_record(actor=pm, session=session, attended={warehouse[8].pk: True})

    assert state(project, "training_coverage") == (True, [])
    assert criterion(project, "training_coverage").actual == "90"


def test_an_end_user_in_two_sessions_counts_once_as_planned_and_trained(team):
    project, people = team
    pm = people[Role.PROJECT_MANAGER]
    users, _session = trained_end_users(project, pm, Department.SALES, count=10, trained=9)
    again = training.session_create(
        actor=pm,
        project=project,
        title="Refresher",
        starts_at=timezone.now() - datetime.timedelta(hours=1),
    )
    training.attendance_record(actor=pm, session=again, attended={users[0].pk: True})

    (row,) = readiness.load_facts([project])[project.pk].coverage
    assert (row.planned, row.trained) == (10, 9)


def test_the_training_threshold_is_the_projects_own(team):
    project, people = team
    pm = people[Role.PROJECT_MANAGER]
    trained_end_users(project, pm, Department.WAREHOUSE, count=10, trained=8)
    assert state(project, "training_coverage")[0] is False

    golive.golive_plan_update(actor=pm, project=project, training_threshold=80)

    assert state(project, "training_coverage") == (True, [])
    assert criterion(project, "training_coverage").threshold == "80"
    golive.golive_plan_update(actor=pm, project=project, training_threshold=D("80.5"))
    assert state(project, "training_coverage") == (
        False,
        ["Warehouse: 8 of 10 end users trained (80%, 80.5% needed)."],
    )


def test_hypercare_needs_a_team_and_a_support_plan(team):
    project, people = team
    pm = people[Role.PROJECT_MANAGER]

    hypercare(project, pm, people[Role.IT])
    assert state(project, "hypercare_ready") == (False, ["The support plan is not written."])

    golive.golive_plan_update(actor=pm, project=project, support_plan="   ")
    assert state(project, "hypercare_ready")[0] is False
    golive.golive_plan_update(actor=pm, project=project, support_plan="Hotline 8-18, chat group.")
    assert state(project, "hypercare_ready") == (True, [])
    assert criterion(project, "hypercare_ready").actual == 1


def test_kpi_baselines_need_a_kpi_and_every_baseline(team):
    project, people = team
    pm = people[Role.PROJECT_MANAGER]
    kpi = a_kpi(project, pm, baseline=False)
    a_kpi(project, pm, name="Order-processing time")

    assert state(project, "kpi_baselines") == (False, ["1 KPI has no baseline."])

    kpi_services.kpi_set_baseline(
        actor=pm,
        kpi=kpi,
        value=D(10),
        day=project.local_today() - datetime.timedelta(days=3),
        method="Last three closes.",
    )

    assert state(project, "kpi_baselines") == (True, [])
    c = criterion(project, "kpi_baselines")
    assert (c.actual, c.threshold) == (2, 2)


# --- Queries --------------------------------------------------------------------------------


def queries(function, *args):
    with CaptureQueriesContext(connection) as captured:
        function(*args)
    return len(captured)


def test_load_facts_costs_the_same_for_one_and_five_projects():
    projects = []
    for _ in range(5):
        project, people = team_project(
            start_date=timezone.localdate() - datetime.timedelta(days=200),
            target_go_live=timezone.localdate() + datetime.timedelta(days=21),
        )
        make_ready(project, people)
        projects.append(project)

    one = queries(readiness.load_facts, projects[:1])
    five = queries(readiness.load_facts, projects)

    assert one == five
    assert all(
        readiness.evaluate(f) == readiness.evaluate(readiness.load_facts([f.project])[f.project.pk])
        for f in readiness.load_facts(projects).values()
    )


def grow(project, people, n, start):
    """n more rows of everything the panel lists."""
    pm, it, pilot = people[Role.PROJECT_MANAGER], people[Role.IT], people[Role.PILOT_USER]
    for i in range(start, start + n):
        obj = an_object(project, people[Role.KEY_USER], it, name=f"Object {i}")
        a_load(obj, it)
        a_task(project, it, title=f"Task {i}")
        defect_services.defect_report(
            actor=pilot, project=project, title=f"Defect {i}", severity=Severity.HIGH
        )
        training.end_user_create(
            actor=pm, project=project, name=f"User {i}", department=Department.WAREHOUSE
        )
        a_kpi(project, pm, name=f"KPI {i}", baseline=False)
        member = MembershipFactory(project=project, role=Role.IT, department=Department.IT)
        hypercare(project, pm, member.user)


def test_the_panel_costs_the_same_for_2_and_20_rows(team):
    project, people = team
    make_ready(project, people)
    grow(project, people, 2, 0)
    few = queries(readiness.panel, project)
    assert len(readiness.panel(project).migration) == 3

    grow(project, people, 18, 2)
    p = readiness.panel(project)
    many = queries(readiness.panel, project)

    assert (len(p.migration), len(p.cutover_tasks), len(p.blocking_defects)) == (21, 21, 20)
    assert len(p.hypercare_team) == 21
    assert len(p.kpis_without_baseline) == 20
    assert few == many


# --- The go/no-go snapshot ------------------------------------------------------------------


def test_the_snapshot_is_plain_json_and_gives_back_the_same_criteria(team):
    project, people = team
    pm, pilot = people[Role.PROJECT_MANAGER], people[Role.PILOT_USER]
    make_ready(project, people)
    trained_end_users(project, pm, Department.WAREHOUSE, count=7, trained=6)
    defect_services.defect_report(
        actor=pilot, project=project, title="Promotion price rounding", severity=Severity.HIGH
    )
    phase = PhaseFactory(project=project, kind=PhaseKind.GO_LIVE, position=5)
    ChecklistItemFactory(phase=phase, title="Hardware and network ready")

    content = readiness.snapshot_content(project, phase)
    text = snapshots.canonical_json(content)
    frozen = json.loads(text)
    facts = readiness.facts_from_snapshot(project, frozen)

    live = readiness.load_facts([project])[project.pk]
    assert readiness.evaluate(facts) == readiness.evaluate(live)
    assert [c.key for c in readiness.evaluate(facts) if not c.met] == [
        "no_open_critical_high",
        "training_coverage",
    ]
    for key in readiness.CRITERIA:
        assert readiness.reasons(key, facts) == readiness.reasons(key, live)
    assert snapshots.canonical_json(frozen) == text  # nothing but plain values inside
    assert frozen["checklist"] == [
        {
            "pk": phase.checklist_items.get().pk,
            "title": "Hardware and network ready",
            "mandatory": True,
            "done": False,
        }
    ]
    assert [row["department"] for row in frozen["training"]] == ["sales", "warehouse"]
    assert readiness.snapshot_content(project, None)["checklist"] == []


def test_a_snapshot_with_a_changed_threshold_explains_itself_with_the_old_one(team):
    project, people = team
    pm = people[Role.PROJECT_MANAGER]
    trained_end_users(project, pm, Department.WAREHOUSE, count=10, trained=8)
    golive.golive_plan_update(actor=pm, project=project, training_threshold=D("85"))
    content = json.loads(snapshots.canonical_json(readiness.snapshot_content(project, None)))

    golive.golive_plan_update(actor=pm, project=project, training_threshold=D("70"))

    facts = readiness.facts_from_snapshot(project, content)
    assert readiness.reasons("training_coverage", facts) == [
        "Warehouse: 8 of 10 end users trained (80%, 85% needed)."
    ]
    assert state(project, "training_coverage")[0] is True


# --- Health ---------------------------------------------------------------------------------


def health_project(days_to_go_live, **phase):
    today = timezone.localdate()
    project, people = team_project(
        start_date=today - datetime.timedelta(days=200),
        target_go_live=today + datetime.timedelta(days=days_to_go_live),
    )
    if phase:
        PhaseFactory(project=project, kind=PhaseKind.GO_LIVE, position=5, **phase)
    return project, people


def readiness_findings(project):
    return [
        f
        for f in health.health_for([project])[project.pk].findings
        if "readiness criteri" in f.message
    ]


@pytest.mark.parametrize(
    ("days", "level"),
    [(30, Level.AMBER), (8, Level.AMBER), (7, Level.RED), (1, Level.RED), (0, Level.RED)],
)
def test_red_readiness_criteria_close_to_go_live_are_amber_then_red(days, level):
    project, _people = health_project(days)

    (finding,) = readiness_findings(project)

    assert finding.level == level
    assert finding.message.startswith(
        f"Go-live is in {days} days and 6 readiness criteria are red: "
    )
    assert snapshots.criterion_label("migration_reconciled") in finding.message


def test_one_red_criterion_is_named_in_the_singular():
    project, people = health_project(10)
    make_ready(project, people)
    golive.golive_plan_update(actor=people[Role.PROJECT_MANAGER], project=project, support_plan="")

    (finding,) = readiness_findings(project)

    assert finding.message == (
        "Go-live is in 10 days and 1 readiness criterion is red: "
        f"{snapshots.criterion_label('hypercare_ready')}."
    )


@pytest.mark.parametrize("days", [31, 90, -1])
def test_readiness_is_no_concern_further_than_30_days_or_after_go_live(days):
    project, _people = health_project(days)
    assert readiness_findings(project) == []


def test_readiness_is_no_concern_once_the_go_live_phase_is_completed():
    project, _people = health_project(5, status=PhaseStatus.COMPLETED)
    assert readiness_findings(project) == []
    still_running, _people = health_project(5, status=PhaseStatus.IN_PROGRESS)
    assert len(readiness_findings(still_running)) == 1


def test_a_ready_project_gets_no_readiness_finding():
    project, people = health_project(5)
    make_ready(project, people)
    assert readiness_findings(project) == []


def test_departments_going_live_without_a_champion_are_amber_warnings():
    project, people = health_project(120)
    pm = people[Role.PROJECT_MANAGER]
    trained_end_users(project, pm, Department.SALES, count=2, trained=2)
    trained_end_users(project, pm, Department.WAREHOUSE, count=2, trained=2)
    trained_end_users(project, pm, Department.IT, count=2, trained=2)
    MembershipFactory(
        project=project, role=Role.PILOT_USER, department=Department.SALES, is_champion=True
    )

    champions = [
        f
        for f in health.health_for([project])[project.pk].findings
        if "digital champion" in f.message
    ]

    assert [(f.level, f.message) for f in champions] == [
        (Level.AMBER, "Warehouse has no digital champion.")
    ]
    assert health.project_champion_gaps(project) == ["Warehouse has no digital champion."]


def test_champion_gaps_fall_back_to_the_business_departments_on_the_team():
    team = [
        (Role.PILOT_USER, Department.SALES),
        (Role.IT, Department.IT),
        (Role.KEY_USER, Department.PURCHASING),
    ]

    assert health.champion_gaps(team, {Department.SALES}, []) == [
        "Purchasing has no digital champion."
    ]
    # once the roster exists, it decides which departments go live
    assert health.champion_gaps(team, {Department.SALES}, [Department.SALES]) == []
    assert health.champion_gaps(team, set(), [Department.HR, Department.MANAGEMENT]) == [
        "HR has no digital champion."
    ]
