"""The demo project: an Odoo ERP roll-out at a Hanoi retail chain, with a user for every role,
and the same retailer's CRM, live for six weeks and in hypercare
(implementation.demo_hypercare).

Running it again changes nothing that is already there (users, project, members, ticks),
so `make run` can call it on every start.
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from implementation.choices import PhaseKind
from implementation.demo_configuration import seed_configuration_log
from implementation.demo_golive import seed_golive
from implementation.demo_hypercare import seed_live_project
from implementation.demo_reviews import seed_review_meetings
from implementation.models import ChecklistItem, Phase, PhaseTransition
from implementation.services import phases as phase_services
from kpis.demo import seed_kpis
from projects import services
from projects.choices import Department, ProjectStatus, Role, SystemKind
from projects.models import Membership, Project, User
from uat.demo import seed_uat
from uat.demo_signoffs import seed_signoffs

DEMO_CODE = "HNR-ERP"

# Each area adds its part of the demo: seed(project=..., users={username: User}, today=...).
_AREA_SEEDS: list = [
    seed_configuration_log,
    seed_review_meetings,
    seed_uat,
    seed_signoffs,
    seed_kpis,
    seed_golive,
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    department: str


DEMO_USERS = [
    DemoUser("pm", "Hà", "Nguyễn Thu", Role.PROJECT_MANAGER, Department.MANAGEMENT),
    DemoUser("consultant", "Minh", "Trần Quang", Role.CONSULTANT, Department.OTHER),
    DemoUser("it", "Dũng", "Phạm Văn", Role.IT, Department.IT),
    DemoUser("keyuser", "Lan", "Lê Thị", Role.KEY_USER, Department.ACCOUNTING_FINANCE),
    DemoUser("sales", "Tuấn", "Hoàng Anh", Role.PILOT_USER, Department.SALES),
    DemoUser("warehouse", "Hùng", "Vũ Đức", Role.PILOT_USER, Department.WAREHOUSE),
    DemoUser("hr", "Mai", "Đỗ Thanh", Role.PILOT_USER, Department.HR),
    DemoUser("executive", "Long", "Bùi Hoàng", Role.EXECUTIVE, Department.MANAGEMENT),
    DemoUser("viewer", "Thảo", "Ngô Phương", Role.VIEWER, Department.OTHER),
]


def _user(spec: DemoUser, password: str) -> User:
    user, created = User.objects.get_or_create(
        username=spec.username,
        defaults={
            "first_name": spec.first_name,
            "last_name": spec.last_name,
            "email": f"{spec.username}@hanoiretail.example",
        },
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def demo_seed(*, password: str, today: datetime.date | None = None) -> Project:
    """Create (once) the demo users and the Hanoi Retail ERP project, about four months in."""
    today = today or timezone.localdate()
    users = {spec.username: _user(spec, password) for spec in DEMO_USERS}
    manager = users["pm"]
    manager.user_permissions.add(
        Permission.objects.get(codename="add_project", content_type__app_label="projects")
    )
    admin, created = User.objects.get_or_create(
        username="admin",
        defaults={"email": "admin@hanoiretail.example", "is_staff": True, "is_superuser": True},
    )
    if created:
        admin.set_password(password)
        admin.save(update_fields=["password"])

    project = Project.objects.filter(code=DEMO_CODE).first()
    if project is None:
        project = _erp_project(users, today)
    # The same team's CRM went live six weeks ago: the hypercare demo, made once too.
    seed_live_project(users=users, today=today)
    return project


def _erp_project(users: dict[str, User], today: datetime.date) -> Project:
    manager = users["pm"]
    start = today - datetime.timedelta(days=200)
    project = services.project_create(
        actor=User.objects.get(pk=manager.pk),  # fresh instance: permissions are cached
        name="Hanoi Retail ERP roll-out",
        code=DEMO_CODE,
        client_organisation="Hanoi Retail JSC (12 stores, 2 warehouses)",
        system_kind=SystemKind.ERP,
        target_product="Odoo 17",
        business_problem=(
            "Sales, stock and accounting live in three spreadsheets and an old POS. Month-end "
            "close takes 10 days, stock counts disagree with the books, and orders are keyed "
            "twice. One system for sales, inventory, purchasing and accounting."
        ),
        start_date=start,
        target_go_live=start + datetime.timedelta(days=270),
        status=ProjectStatus.ACTIVE,
        actor_department=Department.MANAGEMENT,
    )
    for spec in DEMO_USERS[1:]:
        Membership.objects.create(
            project=project, user=users[spec.username], role=spec.role, department=spec.department
        )
    _history(project, users, today)
    for seed in _AREA_SEEDS:
        seed(project=project, users=users, today=today)
    return project


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(hour), tzinfo=timezone.get_current_timezone()
    )


def _history(project: Project, users: dict[str, User], today: datetime.date) -> None:
    """Discovery to development done (design reopened once, development with a waiver);
    testing under way. Everything goes through the services, then gets its real dates."""
    pm = users["pm"]
    owners = [users["consultant"], users["it"], users["keyuser"], users["consultant"]]
    phases = {phase.kind: phase for phase in project.phases.order_by("position")}
    for phase in phases.values():
        phase_services.phase_update(actor=pm, phase=phase, owner=users["consultant"])
        items = list(phase.checklist_items.order_by("position"))
        for index, item in enumerate(items):
            item.owner = owners[index % len(owners)]
        ChecklistItem.objects.bulk_update(items, ["owner"])

    def run(kind, *, late_days=0, keep_open=(), waiver="", reopen_reason=""):
        phase = Phase.objects.get(pk=phases[kind].pk)
        phase_services.phase_start(actor=pm, phase=phase)
        items = list(phase.checklist_items.order_by("position"))
        for item in items:
            if item.title not in keep_open:
                phase_services.checklist_item_set_done(actor=item.owner, item=item, is_done=True)
        if kind == PhaseKind.TESTING:
            return phase, items
        if reopen_reason:
            phase_services.phase_complete(actor=pm, phase=phase)
            phase_services.phase_reopen(actor=pm, phase=phase, reason=reopen_reason)
        phase_services.phase_complete(actor=pm, phase=phase, waiver_reason=waiver)
        return phase, items

    run(PhaseKind.DISCOVERY)
    run(
        PhaseKind.DESIGN,
        reopen_reason=(
            "Finance asked for a second warehouse (Hà Đông) after sign-off of the to-be "
            "processes; inventory design to be extended."
        ),
    )
    run(
        PhaseKind.DEVELOPMENT,
        keep_open=["Each customisation tested in the development environment"],
        waiver=(
            "The e-invoice connector could only be tested against the provider's sandbox. "
            "Full test is scenario UAT-FIN-07 in UAT round 1; the rest is tested."
        ),
    )
    testing_items = run(
        PhaseKind.TESTING,
        keep_open=[
            "Load test run",
            "UAT run by pilot users; defects fixed and re-tested",
            "UAT sign-off recorded",
        ],
    )[1]
    _backdate(project, phases, testing_items, today)


def _backdate(project, phases, testing_items, today) -> None:
    """Give the history the dates it would have had: each phase ran around its plan."""
    slip = {PhaseKind.DISCOVERY: 3, PhaseKind.DESIGN: 9, PhaseKind.DEVELOPMENT: 6}
    for kind, phase in phases.items():
        phase.refresh_from_db()
        if kind in slip:
            end = phase.planned_end + datetime.timedelta(days=slip[kind])
            Phase.objects.filter(pk=phase.pk).update(
                actual_start=phase.planned_start,
                actual_end=end,
                waived_at=_at(end, 16) if phase.waiver_reason else None,
            )
            transitions = list(phase.transitions.order_by("pk"))
            moments = [
                phase.planned_start,
                *(
                    end - datetime.timedelta(days=len(transitions) - 1 - i)
                    for i in range(1, len(transitions))
                ),
            ]
            for transition, day in zip(transitions, moments, strict=True):
                PhaseTransition.objects.filter(pk=transition.pk).update(at=_at(day))
            ChecklistItem.objects.filter(phase=phase, done_at__isnull=False).update(
                done_at=_at(end - datetime.timedelta(days=4), 15)
            )
        elif kind == PhaseKind.TESTING:
            Phase.objects.filter(pk=phase.pk).update(actual_start=phase.planned_start)
            PhaseTransition.objects.filter(phase=phase).update(at=_at(phase.planned_start))
            ChecklistItem.objects.filter(phase=phase, done_at__isnull=False).update(
                done_at=_at(today - datetime.timedelta(days=5), 11)
            )
    # One UAT item has slipped past its due date: the project page shows it.
    late = next(i for i in testing_items if i.title.startswith("UAT run"))
    ChecklistItem.objects.filter(pk=late.pk).update(due_date=today - datetime.timedelta(days=3))
