"""The demo project: an Odoo ERP roll-out at a Hanoi retail chain, with a user for every role.

Running it again changes nothing that is already there (users, project, members, ticks),
so `make run` can call it on every start.
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from implementation.choices import PhaseKind, PhaseStatus
from implementation.models import ChecklistItem, Phase
from projects import services
from projects.choices import Department, ProjectStatus, Role, SystemKind
from projects.models import Membership, Project, User

DEMO_CODE = "HNR-ERP"


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
    if project is not None:
        return project

    start = today - datetime.timedelta(days=120)
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
    _progress(project, manager, today)
    return project


def _progress(project: Project, manager: User, today: datetime.date) -> None:
    """Discovery done, design under way: a believable project four months in."""
    phases = {phase.kind: phase for phase in project.phases.all()}
    discovery, design = phases[PhaseKind.DISCOVERY], phases[PhaseKind.DESIGN]
    Phase.objects.filter(pk=discovery.pk).update(
        status=PhaseStatus.COMPLETED,
        actual_start=discovery.planned_start,
        actual_end=discovery.planned_end + datetime.timedelta(days=4),
        owner=manager,
    )
    Phase.objects.filter(pk=design.pk).update(
        status=PhaseStatus.IN_PROGRESS, actual_start=design.planned_start, owner=manager
    )
    done_at = timezone.now() - datetime.timedelta(days=60)
    ChecklistItem.objects.filter(phase=discovery).update(done_at=done_at, done_by=manager)
    design_items = list(ChecklistItem.objects.filter(phase=design).order_by("position"))
    for item in design_items[:2]:
        item.done_at, item.done_by = done_at, manager
    # Design runs a few weeks late; its open items were re-planned.
    for item in design_items[2:]:
        item.due_date = today + datetime.timedelta(days=14)
    # One mandatory design item slipped: the portfolio shows it as a warning sign.
    late = design_items[2]
    late.due_date = today - datetime.timedelta(days=3)
    ChecklistItem.objects.bulk_update(design_items, ["done_at", "done_by", "due_date"])
