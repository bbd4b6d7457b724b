"""Builders for go-live readiness tests: a project with its team, and its go-live data
made through the services (so the rules run as they do for users)."""

import datetime
from decimal import Decimal

from django.utils import timezone

from implementation.choices import LoadKind, RehearsalOutcome
from implementation.services import cutover, golive, migration, training
from projects.choices import Department, Role
from tests.factories import MembershipFactory, ProjectFactory, UserFactory


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


ZERO = Decimal(0)
