"""One record of every kind a page or an endpoint names, so each URL of the matrix
resolves to something real; owners are chosen so the object rules have someone to allow
besides the managers (an owner who is a pilot user, a key user who owns a data object...)."""

import datetime
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from implementation.models import WeeklyStatusReport
from implementation.services import cutover as cutover_services
from implementation.services.hypercare import ticket_attach
from implementation.services.training import activity_create
from kpis.choices import Direction, KpiCategory
from kpis.models import BenefitsReport, Kpi, Measurement
from projects.choices import Role
from projects.models import Membership
from tests.factories import ChecklistItemFactory, PhaseFactory
from tests.golive.factories import a_load, a_task, an_object, trained_end_users
from tests.hypercare.factories import a_ticket, on_hypercare_team
from tests.implementation.factories_reviews import (
    ActionItemFactory,
    ConfigurationChangeFactory,
    ReviewMeetingFactory,
)
from tests.uat.signoff_builders import passing_cycle, requested, sign
from tests.uat.test_cycles_factories import (
    add_to_scope,
    make_cycle,
    make_defect,
    make_scenario,
    make_scope,
    run,
)
from uat import attachments as uat_attachments
from uat.choices import ExecutionResult
from uat.models import SignOff, SignoffPdf
from uat.services.defects import defect_comment_add

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


@dataclass
class Records:
    project: object
    people: dict  # identity name -> user (the seven roles and the outsider)
    objects: dict = field(default_factory=dict)  # kind -> model instance

    def __getitem__(self, kind):
        return self.objects[kind]


def build(project, people) -> Records:
    pm = people[Role.PROJECT_MANAGER]
    pilot = people[Role.PILOT_USER]
    key_user = people[Role.KEY_USER]
    executive = people[Role.EXECUTIVE]
    viewer = people[Role.VIEWER]
    o = {}

    o["membership"] = Membership.objects.get(project=project, user=viewer)
    o["phase"] = PhaseFactory(project=project, kind="design", position=2)
    # A pilot user owns the item: the owner ticks their own item.
    o["item"] = ChecklistItemFactory(phase=o["phase"], owner=pilot)
    o["change"] = ConfigurationChangeFactory(project=project, requested_by=pm, recorded_by=pm)
    o["meeting"] = ReviewMeetingFactory(project=project, created_by=pm)
    # A key user owns the action item: an owner moves their own item's status.
    o["action"] = ActionItemFactory(project=project, owner=key_user, created_by=pm)
    o["status_report"] = WeeklyStatusReport.objects.create(
        project=project, requested_by=pm, week="2026-W48", status="failed"
    )
    # Files are stored, so the download pages answer for the project, not for a missing file.
    o["item"].evidence_file.save("evidence.png", ContentFile(PNG))
    _stored(o["status_report"])

    o["scenario"] = make_scenario(project, code="UAT-MAT-01")
    o["cycle"] = passing_cycle(project, pilot, count=1)
    o["entry"] = add_to_scope(o["cycle"], o["scenario"], pilot)
    o["execution"] = run(o["entry"], pilot, ExecutionResult.PASSED)
    o["defect"] = make_defect(project, pilot, cycle=o["cycle"])
    defect_comment_add(actor=pilot, defect=o["defect"], body="Seen again today.")
    o["attachment"] = uat_attachments.attachment_add(
        actor=pilot,
        project=project,
        upload=SimpleUploadedFile("shot.png", PNG, content_type="image/png"),
        defect=o["defect"],
    )
    # The executive and the project manager are named; the executive's signature waits.
    o["signoff"] = requested(
        project, pm, o["cycle"], (pm, "Project manager"), (executive, "Sponsor")
    )
    # A signed sign-off (of another cycle) whose PDF is ready, for the PDF pages.
    signed_cycle = make_cycle(project, name="Round 0")
    for entry in make_scope(signed_cycle, 1, pilot, prefix="UAT-P"):
        run(entry, pilot, ExecutionResult.PASSED)
    signed = requested(project, pm, signed_cycle, (pm, "Sponsor"))
    sign(pm, signed)
    o["signed_signoff"] = SignOff.objects.get(pk=signed.pk)
    _stored(SignoffPdf.objects.get_or_create(signoff=o["signed_signoff"])[0])

    # An executive owns the KPI: owners record their own KPI's values.
    o["kpi"] = Kpi.objects.create(
        project=project,
        name="Month-end close",
        category=KpiCategory.FINANCE,
        unit="days",
        direction=Direction.LOWER,
        target_value=Decimal("5"),
        target_date=datetime.date(2027, 6, 30),
        owner=executive,
        created_by=pm,
    )
    o["measurement"] = Measurement.objects.create(
        kpi=o["kpi"], measured_on=datetime.date(2026, 11, 2), value=Decimal("8"), recorded_by=pm
    )
    o["report"] = BenefitsReport.objects.create(
        project=project, requested_by=pm, as_of=datetime.date(2026, 11, 2), status="failed"
    )
    _stored(o["report"])

    # A key user owns the data object: only the data owner signs its loads off.
    o["object"] = an_object(project, key_user, pm)
    o["load"] = a_load(o["object"], pm)
    # A viewer owns the cutover task: a task's owner moves their own task.
    o["task"] = a_task(project, pm, owner=viewer)
    o["rehearsal"] = cutover_services.rehearsal_record(
        actor=pm, project=project, held_on=project.local_today(), outcome="successful"
    )
    end_users, o["session"] = trained_end_users(project, pm, count=1, trained=1)
    o["end_user"] = end_users[0]
    o["activity"] = activity_create(
        actor=pm,
        project=project,
        title="Kick-off",
        kind="workshop",
        planned_on=datetime.date(2026, 11, 2),
        owner=pm,
    )

    # The viewer is on the hypercare team: named support people handle tickets.
    on_hypercare_team(project, pm, viewer)
    o["ticket"] = a_ticket(project, pilot)
    o["ticket_attachment"] = ticket_attach(
        actor=pilot, ticket=o["ticket"], upload=SimpleUploadedFile("note.txt", b"Screen text")
    )
    return Records(project=project, people=people, objects=o)


def _stored(document) -> None:
    """Mark a generated PDF ready with a stored file (its content does not matter here)."""
    content = b"%PDF-1.4 access matrix"
    document.file.save("document.pdf", ContentFile(content), save=False)
    document.status = "ready"
    document.sha256 = hashlib.sha256(content).hexdigest()
    document.size = len(content)
    document.save()
