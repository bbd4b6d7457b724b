"""Builders for go-live readiness tests: a project with its team, and its go-live data
made through the services (so the rules run as they do for users)."""

import datetime
from decimal import Decimal

from django.utils import timezone

from implementation.choices import LoadKind, RehearsalOutcome
from implementation.services import cutover, golive, migration, training
from kpis import services as kpi_services
from kpis.choices import Cadence, Direction, KpiCategory
from projects import services as project_services
from projects.choices import Department, Role
from projects.models import Membership
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.uat.signoff_builders import passing_cycle, requested, sign


def team_project(**project_fields):
    """A project with one member per role; returns (project, {role: user})."""
    project = ProjectFactory(**project_fields)
    people = {}
    for role in Role:
        user = UserFactory(username=f"{role}-{project.code}".lower())
        MembershipFactory(project=project, user=user, role=role, department=Department.IT)
        people[role] = user
    return project, people


def an_object(project, owner, actor, **fields):
    values = {"name": "Customers", "source_system": "Legacy ERP", "owner": owner} | fields
    return migration.migration_object_create(actor=actor, project=project, **values)


def a_load(obj, actor, **fields):
    values = {
        "kind": LoadKind.MOCK,
        "loaded_at": timezone.now() - datetime.timedelta(hours=1),
        "source_count": 100,
        "loaded_count": 100,
        "rejected_count": 0,
    } | fields
    return migration.load_record(actor=actor, obj=obj, **values)


def a_task(project, actor, **fields):
    values = {
        "title": "Freeze legacy system",
        "owner": actor,
        "planned_start": timezone.now() + datetime.timedelta(days=3),
        "duration_minutes": 60,
    } | fields
    return cutover.cutover_task_create(actor=actor, project=project, **values)


def complete_plan(project, pm):
    """Freeze, rollback, support plan set; one successful rehearsal."""
    golive.golive_plan_update(
        actor=pm,
        project=project,
        legacy_freeze_at=timezone.now() + datetime.timedelta(days=2),
        rollback_decision_at=timezone.now() + datetime.timedelta(days=3),
        rollback_criteria="Invoices cannot be posted.",
        support_plan="Hotline 8-18, chat group, escalation to the vendor.",
    )
    cutover.rehearsal_record(
        actor=pm,
        project=project,
        held_on=project.local_today(),
        outcome=RehearsalOutcome.SUCCESSFUL,
    )


def trained_end_users(project, actor, department=Department.SALES, count=10, trained=10):
    users = [
        training.end_user_create(
            actor=actor, project=project, name=f"User {department} {i}", department=department
        )
        for i in range(count)
    ]
    session = training.session_create(
        actor=actor,
        project=project,
        title=f"Training {department}",
        starts_at=timezone.now() - datetime.timedelta(days=1),
        duration_minutes=120,
    )
    training.attendance_record(
        actor=actor,
        session=session,
        attended={u.pk: i < trained for i, u in enumerate(users)},
    )
    return users, session


def a_signed_load(obj, actor, **fields):
    """A load signed off by the object's data owner."""
    load = a_load(obj, actor, **fields)
    return migration.load_sign_off(actor=obj.owner, load=load)


def a_kpi(project, actor, name="Month-end close", baseline=True):
    """A KPI through the KPI service; with a baseline dated ten days ago (go-live must be
    ahead for that)."""
    values = {}
    if baseline:
        values = {
            "baseline_value": Decimal(10),
            "baseline_date": project.local_today() - datetime.timedelta(days=10),
            "baseline_method": "Average of the last three closes.",
        }
    return kpi_services.kpi_create(
        actor=actor,
        project=project,
        name=name,
        category=KpiCategory.FINANCE,
        unit="days",
        direction=Direction.LOWER,
        target_value=Decimal(5),
        target_date=project.target_go_live + datetime.timedelta(days=180),
        cadence=Cadence.MONTHLY,
        owner=actor,
        **values,
    )


def signed_uat(project, people):
    """A UAT sign-off signed by the key user and the executive."""
    cycle = passing_cycle(project, people[Role.PILOT_USER])
    signoff = requested(
        project,
        people[Role.PROJECT_MANAGER],
        cycle,
        (people[Role.KEY_USER], "Business owner"),
        (people[Role.EXECUTIVE], "Executive sponsor"),
    )
    sign(people[Role.KEY_USER], signoff)
    sign(people[Role.EXECUTIVE], signoff)
    signoff.refresh_from_db()
    return signoff


def hypercare(project, pm, user):
    membership = Membership.objects.get(project=project, user=user)
    return project_services.membership_set_go_live_roles(
        actor=pm, membership=membership, on_hypercare_team=True
    )


def make_ready(project, people):
    """Every readiness criterion met, each through its service. Go-live must be ahead."""
    pm, it = people[Role.PROJECT_MANAGER], people[Role.IT]
    signed_uat(project, people)
    obj = an_object(project, people[Role.KEY_USER], it)
    a_signed_load(obj, it)
    a_task(project, it)
    complete_plan(project, pm)
    trained_end_users(project, pm)
    hypercare(project, pm, it)
    a_kpi(project, pm)


ZERO = Decimal(0)
