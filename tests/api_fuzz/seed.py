"""The data the fuzzed requests meet: one project where the project manager and the pilot
user are members, with a record of every kind the API serves, made through the services."""

import datetime
from decimal import Decimal

from django.utils import timezone
from rest_framework.authtoken.models import Token

from implementation import models as impl
from implementation.choices import CommunicationKind, Environment
from implementation.services import configuration, reviews, training
from implementation.services.phases import phases_create_from_blueprint
from kpis import models as kpi_models
from kpis import services as kpi_services
from projects.choices import Role
from projects.models import Membership
from tests.golive.factories import (
    a_kpi,
    a_load,
    a_task,
    an_object,
    complete_plan,
    team_project,
    trained_end_users,
)
from tests.hypercare.factories import a_ticket, on_hypercare_team
from tests.uat.signoff_builders import passing_cycle, requested
from tests.uat.test_cycles_factories import make_defect
from uat import models as uat_models
from uat.services import defects as defect_services

PROJECT_CODE = "FUZZ-ERP"


def seed() -> tuple[dict[str, str], dict[str, list]]:
    """Returns the API tokens by who ("pm", "pilot") and the real values of each path
    parameter, keyed by the first segment of the operation's path ("tickets", "projects")."""
    project, people = team_project(
        code=PROJECT_CODE, target_go_live=timezone.localdate() + datetime.timedelta(days=60)
    )
    pm, pilot = people[Role.PROJECT_MANAGER], people[Role.PILOT_USER]
    it, key_user = people[Role.IT], people[Role.KEY_USER]
    phases_create_from_blueprint(project=project)

    # UAT: a cycle whose scenarios passed, a requested sign-off, a defect with a comment.
    cycle = passing_cycle(project, pilot)
    requested(project, pm, cycle, (key_user, "Business owner"), (people[Role.EXECUTIVE], "Sponsor"))
    defect = make_defect(project, pilot, cycle=cycle)
    defect_services.defect_comment_add(actor=pilot, defect=defect, body="Seen again today.")

    # Go-live: migration, cutover, plan and rehearsal, training, a KPI with a measurement.
    a_load(an_object(project, key_user, it), it)
    a_task(project, it)
    complete_plan(project, pm)
    trained_end_users(project, pm, count=3, trained=2)
    training.activity_create(
        actor=pm,
        project=project,
        title="Kick-off workshop",
        kind=CommunicationKind.WORKSHOP,
        planned_on=timezone.localdate(),
        owner=pm,
    )
    kpi = a_kpi(project, pm)
    kpi_services.measurement_record(
        actor=pm, kpi=kpi, measured_on=timezone.localdate(), value=Decimal(8)
    )

    # Project follow-up: a review with an action item, a configuration change.
    meeting = reviews.meeting_record(
        actor=pm, project=project, held_on=timezone.localdate(), attendees=[pm, pilot]
    )
    reviews.action_item_create(
        actor=pm,
        project=project,
        title="Send the price lists",
        owner=pilot,
        due_date=timezone.localdate() + datetime.timedelta(days=7),
        raised_in=meeting,
    )
    configuration.configuration_change_record(
        actor=pm,
        project=project,
        area="Sales",
        setting="Price rounding",
        new_value="0.01",
        reason="Invoices must match the legacy totals.",
        requested_by=key_user,
        environment=Environment.TEST,
        applied_at=timezone.now() - datetime.timedelta(hours=2),
    )

    # Hypercare: the IT member on the team, a ticket raised by the pilot user.
    on_hypercare_team(project, pm, it)
    a_ticket(project, pilot)

    of_project = {"project": project}
    real = {
        "projects": [project.code],
        "agendas": [project.code],
        "go-live-plans": [project.code],
        "hypercare": [project.code],
        "readiness": [project.code],
        "ticket-board": [project.code],
        "memberships": _pks(Membership, of_project),
        "phases": _pks(impl.Phase, of_project),
        "checklist-items": _pks(impl.ChecklistItem, {"phase__project": project}),
        "review-meetings": _pks(impl.ReviewMeeting, of_project),
        "action-items": _pks(impl.ActionItem, of_project),
        "configuration-changes": _pks(impl.ConfigurationChange, of_project),
        "migration-objects": _pks(impl.MigrationObject, of_project),
        "migration-loads": _pks(impl.MigrationLoad, {"migration_object__project": project}),
        "cutover-tasks": _pks(impl.CutoverTask, of_project),
        "cutover-rehearsals": _pks(impl.CutoverRehearsal, of_project),
        "end-users": _pks(impl.EndUser, of_project),
        "training-sessions": _pks(impl.TrainingSession, of_project),
        "communication-activities": _pks(impl.CommunicationActivity, of_project),
        "tickets": _pks(impl.Ticket, of_project),
        "test-cycles": _pks(uat_models.TestCycle, of_project),
        "test-scenarios": _pks(uat_models.TestScenario, of_project),
        "test-executions": _pks(uat_models.TestExecution, {"entry__cycle__project": project}),
        "defects": _pks(uat_models.Defect, of_project),
        "sign-offs": _pks(uat_models.SignOff, of_project),
        "kpis": _pks(kpi_models.Kpi, of_project),
        "kpi-measurements": _pks(kpi_models.Measurement, {"kpi__project": project}),
    }
    tokens = {
        "pm": Token.objects.create(user=pm).key,
        "pilot": Token.objects.create(user=pilot).key,
    }
    return tokens, real


def _pks(model, filters) -> list[int]:
    return list(model.objects.filter(**filters).order_by("pk").values_list("pk", flat=True)[:3])
