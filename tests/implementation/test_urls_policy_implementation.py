"""The access matrix for every page under /projects/<code>/ that implementation, uat, the
sign-offs, the KPIs and go-live readiness add: generated from the URL configuration, so a
new page is covered without editing this file."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import get_resolver, reverse

from implementation.models import (
    Attendance,
    ChecklistItem,
    CommunicationActivity,
    ConfigurationChange,
    CutoverTask,
    EndUser,
    FeedbackResponse,
    GoLivePlan,
    HypercarePlan,
    MigrationLoad,
    MigrationObject,
    ModuleReview,
    Phase,
    SlaTarget,
    Ticket,
    TicketAttachment,
    TicketComment,
    TrainingSession,
)
from kpis.choices import Direction, KpiCategory
from kpis.models import BaselineChange, BenefitsReport, Kpi, Measurement
from tests.projects.test_urls_policy import LOGIN_URL, walk
from tests.uat.signoff_builders import draft
from tests.uat.test_cycles_factories import make_cycle
from uat.models import Signature, SignOff, SignoffPdf

NAMESPACES = {"implementation", "uat", "signoffs", "kpis", "golive", "hypercare"}

PATTERNS = [
    (name, re.findall(r"<(?:\w+:)?(\w+)>", route))
    for route, _namespace, name, _pattern in walk(get_resolver().url_patterns)
    if name and name.split(":")[0] in NAMESPACES
]


def test_the_matrix_covers_the_implementation_pages():
    names = {name for name, _ in PATTERNS}
    assert {
        "implementation:phase",
        "implementation:item-toggle",
        "implementation:config-list",
        "implementation:config-export-xlsx",
        "implementation:agenda",
        "implementation:action-status",
        "uat:my-tests",
        "uat:run",
        "uat:defect-transition",
        "uat:attachment-download",
        "uat:scenario-import",
        "signoffs:list",
        "signoffs:create",
        "signoffs:verify",
        "signoffs:detail",
        "signoffs:edit",
        "signoffs:request",
        "signoffs:cancel",
        "signoffs:sign",
        "signoffs:new-round",
        "signoffs:pdf",
        "signoffs:pdf-status",
        "signoffs:pdf-retry",
        "kpis:overview",
        "kpis:detail",
        "kpis:create",
        "kpis:edit",
        "kpis:templates",
        "kpis:baseline",
        "kpis:measurement-record",
        "kpis:measurement-correct",
        "kpis:bulk",
        "kpis:import",
        "kpis:import-sample",
        "kpis:reports",
        "kpis:report-create",
        "kpis:report-status",
        "kpis:report-retry",
        "kpis:report-download",
        "golive:readiness",
        "golive:plan",
        "golive:migration",
        "golive:migration-object",
        "golive:load-sign-off",
        "golive:cutover",
        "golive:run-sheet",
        "golive:run-sheet-live",
        "golive:cutover-task-move",
        "golive:communication",
        "golive:training",
        "golive:end-users",
        "golive:session",
        "golive:session-attendance",
        "hypercare:overview",
        "hypercare:settings",
        "hypercare:tickets",
        "hypercare:ticket",
        "hypercare:ticket-new",
        "hypercare:ticket-transition",
        "hypercare:ticket-attachment",
        "hypercare:board",
        "hypercare:feedback",
        "hypercare:feedback-results",
        "hypercare:modules",
    } <= names
    assert all("code" in arguments for _, arguments in PATTERNS)


def url_for(name: str, arguments: list[str], code: str, **known) -> str:
    values = {
        "code": code,
        "kind": "design",
        "pk": 1,
        "number": 1,
        "entry_pk": 1,
        "measurement_pk": known.get("measurement_pk", 1),
    }
    if name.startswith("kpis:report-"):
        values["pk"] = known.get("report_pk", 1)
    elif name.startswith("kpis:"):
        values["pk"] = known.get("kpi_pk", 1)
    elif name.startswith("golive:"):
        # Each go-live page names its own record: the object, the load, the session...
        prefixes = [
            ("golive:migration-object", "object_pk"),
            ("golive:load-new", "object_pk"),
            ("golive:load-", "load_pk"),
            ("golive:session", "session_pk"),
            ("golive:end-user", "end_user_pk"),
            ("golive:communication", "activity_pk"),
        ]
        key = next((k for prefix, k in prefixes if name.startswith(prefix)), None)
        values["pk"] = known.get(key, 1)
        values["number"] = known.get("task_number", 1)
    elif name.startswith("hypercare:"):
        values["number"] = known.get("ticket_number", 1)
        values["pk"] = known.get("ticket_attachment_pk", 1)
    return reverse(name, kwargs={key: values[key] for key in arguments})


def kpi_records(project, user) -> dict:
    """A KPI with a measurement and a benefits report, so KPI pages answer 404 for the
    project, not for a missing record."""
    kpi = Kpi.objects.create(
        project=project,
        name="Month-end close",
        category=KpiCategory.FINANCE,
        unit="days",
        direction=Direction.LOWER,
        target_value=Decimal("5"),
        target_date=datetime.date(2027, 6, 30),
        owner=user,
        created_by=user,
    )
    measurement = Measurement.objects.create(
        kpi=kpi, measured_on=datetime.date(2026, 11, 2), value=Decimal("8"), recorded_by=user
    )
    report = BenefitsReport.objects.create(
        project=project, requested_by=user, as_of=datetime.date(2026, 11, 2), status="failed"
    )
    return {"kpi_pk": kpi.pk, "measurement_pk": measurement.pk, "report_pk": report.pk}


def golive_records(project, user) -> dict:
    """One record of each go-live kind, so their pages answer 404 for the project."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from implementation.services.hypercare import ticket_attach
    from implementation.services.training import activity_create
    from tests.golive.factories import a_load, a_task, an_object, trained_end_users
    from tests.hypercare.factories import a_ticket

    obj = an_object(project, user, user)
    load = a_load(obj, user)
    task = a_task(project, user)
    end_users, session = trained_end_users(project, user, count=1, trained=1)
    activity = activity_create(
        actor=user,
        project=project,
        title="Kick-off",
        kind="workshop",
        planned_on=datetime.date(2026, 11, 2),
        owner=user,
    )
    ticket = a_ticket(project, user)
    attachment = ticket_attach(
        actor=user, ticket=ticket, upload=SimpleUploadedFile("note.txt", b"Screenshot text")
    )
    return {
        "ticket_number": ticket.number,
        "ticket_attachment_pk": attachment.pk,
        "object_pk": obj.pk,
        "load_pk": load.pk,
        "task_number": task.number,
        "session_pk": session.pk,
        "end_user_pk": end_users[0].pk,
        "activity_pk": activity.pk,
    }


def snapshot():
    return (
        list(Phase.objects.order_by("pk").values()),
        list(ChecklistItem.objects.order_by("pk").values()),
        ConfigurationChange.objects.count(),
        list(SignOff.objects.order_by("pk").values()),
        Signature.objects.count(),
        list(SignoffPdf.objects.order_by("pk").values()),
        list(Kpi.objects.order_by("pk").values()),
        list(Measurement.objects.order_by("pk").values()),
        BaselineChange.objects.count(),
        list(BenefitsReport.objects.order_by("pk").values()),
        *(
            list(model.objects.order_by("pk").values())
            for model in (MigrationObject, MigrationLoad, CutoverTask, TrainingSession)
        ),
        list(Attendance.objects.order_by("pk").values("pk", "attended")),
        list(EndUser.objects.order_by("pk").values()),
        list(CommunicationActivity.objects.order_by("pk").values()),
        GoLivePlan.objects.count(),
        list(Ticket.objects.order_by("pk").values()),
        TicketComment.objects.count(),
        TicketAttachment.objects.count(),
        FeedbackResponse.objects.count(),
        ModuleReview.objects.count(),
        HypercarePlan.objects.count(),
        SlaTarget.objects.count(),
    )


@pytest.mark.parametrize(("name", "arguments"), PATTERNS, ids=[name for name, _ in PATTERNS])
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitor_is_sent_to_login(client, project, name, arguments, method):
    page = url_for(name, arguments, project.code)

    response = getattr(client, method)(page)

    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next={page}"


@pytest.mark.parametrize(("name", "arguments"), PATTERNS, ids=[name for name, _ in PATTERNS])
@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_gets_404_and_nothing_changes(
    client, project, pm, outsider, name, arguments, method
):
    # SO-1 exists, so a sign-off page answers 404 for the project, not for a missing record.
    draft(project, pm, make_cycle(project), (pm, "Project manager"))
    known = kpi_records(project, pm) | golive_records(project, pm)
    before = snapshot()
    client.force_login(outsider)
    page = url_for(name, arguments, project.code, **known)

    response = getattr(client, method)(page, {"title": "x", "name": "x", "value": "1"})

    assert response.status_code == 404
    assert snapshot() == before
