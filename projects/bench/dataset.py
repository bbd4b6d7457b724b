"""The large dataset `make bench` measures: 50 projects and their UAT, log, KPIs and tickets.

Idempotent (a project whose rows are there is left alone) and fast: rows go in with
bulk_create in batches, never through the services, with a seeded random generator so two
runs build the same data. One project ("BENCH-01") holds 40 % of every volume, the others
share the rest in falling amounts, so the last one ("BENCH-50") is small: the same page on
both shows that the query count does not grow with the data.
"""

import contextlib
import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.utils import timezone

from implementation.choices import Environment, TicketSource, TicketStatus
from implementation.models import ConfigurationChange, Ticket
from kpis.choices import Cadence, Direction, KpiCategory, MeasurementSource
from kpis.models import Kpi, Measurement
from projects import services
from projects.choices import Department, Role, SystemKind
from projects.models import Membership, Project, User
from uat.choices import DefectStatus, ExecutionResult, Priority, Severity
from uat.models import CycleScenario, Defect, TestCycle, TestExecution, TestScenario

PREFIX = "BENCH"
BIG = f"{PREFIX}-01"
MANAGER = "bench-pm"
BATCH = 2000

VOLUMES = {
    "projects": 50,
    "defects": 100_000,
    "executions": 200_000,
    "configuration_changes": 20_000,
    "kpi_measurements": 5_000,
    "tickets": 20_000,
}
BIG_SHARE = 0.4
RUNS_PER_ENTRY = 5  # first runs fail, the last one mostly passes
POOL = 240  # team members shared by the projects

MODULES = [
    "Finance - General ledger",
    "Finance - Accounts payable",
    "Finance - Accounts receivable",
    "Finance - Tax",
    "Sales - Quotation to order",
    "Sales - Pricing",
    "Purchasing - Requisitions",
    "Inventory - Stock moves",
    "Warehouse - Picking",
    "Production - Work orders",
    "HR - Payroll",
    "CRM - Leads",
]
TEAM = [
    (Role.CONSULTANT, Department.OTHER),
    (Role.CONSULTANT, Department.OTHER),
    (Role.IT, Department.IT),
    (Role.IT, Department.IT),
    (Role.KEY_USER, Department.ACCOUNTING_FINANCE),
    (Role.KEY_USER, Department.SALES),
    (Role.PILOT_USER, Department.SALES),
    (Role.PILOT_USER, Department.WAREHOUSE),
    (Role.PILOT_USER, Department.PURCHASING),
    (Role.PILOT_USER, Department.HR),
    (Role.EXECUTIVE, Department.MANAGEMENT),
    (Role.VIEWER, Department.OTHER),
]
# Weights of a settled UAT: most defects closed, a working set open, a few set aside.
DEFECT_STATUSES = [
    (DefectStatus.CLOSED, 45),
    (DefectStatus.NEW, 8),
    (DefectStatus.TRIAGED, 8),
    (DefectStatus.IN_PROGRESS, 12),
    (DefectStatus.FIXED, 10),
    (DefectStatus.REOPENED, 4),
    (DefectStatus.REJECTED, 5),
    (DefectStatus.DEFERRED, 5),
    (DefectStatus.DUPLICATE, 3),
]
SEVERITIES = [
    (Severity.CRITICAL, 3),
    (Severity.HIGH, 17),
    (Severity.MEDIUM, 50),
    (Severity.LOW, 30),
]
TICKET_STATUSES = [
    (TicketStatus.CLOSED, 55),
    (TicketStatus.RESOLVED, 15),
    (TicketStatus.NEW, 8),
    (TicketStatus.ACKNOWLEDGED, 8),
    (TicketStatus.IN_PROGRESS, 14),
]
RESPONSE_HOURS = {Severity.CRITICAL: 1, Severity.HIGH: 4, Severity.MEDIUM: 8, Severity.LOW: 24}


def _pick(rng: random.Random, weighted):
    return rng.choices([value for value, _w in weighted], [w for _v, w in weighted])[0]


def shares(total: int, count: int) -> list[int]:
    """`total` split over `count` projects: 40 % to the first, the rest falling linearly."""
    big = round(total * BIG_SHARE)
    weights = [count - i for i in range(1, count)]
    rest = [int((total - big) * w / sum(weights)) for w in weights]
    rest[0] += total - big - sum(rest)
    return [big, *rest]


@contextlib.contextmanager
def _explicit_times(*fields):
    """Let bulk_create keep the times we give instead of stamping them with now."""
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def _field(model, name):
    return model._meta.get_field(name)


@dataclass
class Team:
    consultants: list[User]
    it: list[User]
    key_users: list[User]
    pilots: list[User]

    @property
    def builders(self) -> list[User]:
        return self.consultants + self.it

    @property
    def testers(self) -> list[User]:
        return self.key_users + self.pilots


def manager() -> User:
    user, _created = User.objects.get_or_create(
        username=MANAGER,
        defaults={"email": "bench-pm@example.com", "first_name": "Bench", "last_name": "Manager"},
    )
    user.user_permissions.add(
        Permission.objects.get(codename="add_project", content_type__app_label="projects")
    )
    return User.objects.get(pk=user.pk)


def _pool() -> list[User]:
    existing = {u.username: u for u in User.objects.filter(username__startswith="bench-u")}
    missing = [
        User(
            username=f"bench-u{n:03d}",
            email=f"bench-u{n:03d}@example.com",
            first_name=f"Member{n}",
            last_name="Bench",
        )
        for n in range(POOL)
        if f"bench-u{n:03d}" not in existing
    ]
    for user in missing:
        user.set_unusable_password()
    User.objects.bulk_create(missing, batch_size=BATCH)
    return list(User.objects.filter(username__startswith="bench-u").order_by("username"))


def _project(index: int, pm: User, pool: list[User], today: datetime.date) -> Project:
    code = f"{PREFIX}-{index + 1:02d}"
    project = Project.objects.filter(code=code).first()
    if project is None:
        kinds = list(SystemKind)
        project = services.project_create(
            actor=pm,
            name=f"Roll-out {index + 1:02d}",
            code=code,
            client_organisation=f"Client {index + 1}",
            system_kind=kinds[index % len(kinds)],
            start_date=today - datetime.timedelta(days=300),
            target_go_live=today + datetime.timedelta(days=60),
        )
        Membership.objects.bulk_create(
            Membership(
                project=project,
                user=pool[(index * 7 + n) % len(pool)],
                role=role,
                department=department,
            )
            for n, (role, department) in enumerate(TEAM)
        )
    return project


def _team(project: Project) -> Team:
    by_role: dict[str, list[User]] = {}
    for m in Membership.objects.filter(project=project).select_related("user").order_by("pk"):
        by_role.setdefault(m.role, []).append(m.user)
    return Team(
        consultants=by_role.get(Role.CONSULTANT, []),
        it=by_role.get(Role.IT, []),
        key_users=by_role.get(Role.KEY_USER, []),
        pilots=by_role.get(Role.PILOT_USER, []),
    )


def _uat(project, team, rng, now, executions: int, defects: int) -> None:
    """Scenarios, cycles with their scope and runs, then the defects found in them."""
    if TestCycle.objects.filter(project=project).exists():
        return
    entries_wanted = max(1, executions // RUNS_PER_ENTRY)
    cycle_count = 10 if entries_wanted > 5000 else 3
    per_cycle = max(1, entries_wanted // cycle_count)
    scenarios = TestScenario.objects.bulk_create(
        [
            TestScenario(
                project=project,
                code=f"UAT-{n:05d}",
                title=f"{MODULES[n % len(MODULES)].split(' - ')[1]} case {n}",
                module=MODULES[n % len(MODULES)],
                priority=_pick(rng, [(Priority.HIGH, 2), (Priority.MEDIUM, 5), (Priority.LOW, 3)]),
            )
            for n in range(1, per_cycle + 1)
        ],
        batch_size=BATCH,
    )
    start = now.date() - datetime.timedelta(days=20 * cycle_count)
    cycles = TestCycle.objects.bulk_create(
        TestCycle(
            project=project,
            name=f"UAT round {n + 1}",
            starts_on=start + datetime.timedelta(days=20 * n),
            ends_on=start + datetime.timedelta(days=20 * n + 14),
            min_pass_rate=Decimal("90"),
            max_open_high=3,
        )
        for n in range(cycle_count)
    )
    entries = CycleScenario.objects.bulk_create(
        [CycleScenario(cycle=c, scenario=s) for c in cycles for s in scenarios],
        batch_size=BATCH,
    )
    runs = []
    left = executions
    for i, entry in enumerate(entries):
        count = min(left, rng.randint(1, 2 * RUNS_PER_ENTRY - 1)) if i < len(entries) - 1 else left
        left -= count
        cycle_start = datetime.datetime.combine(
            start + datetime.timedelta(days=20 * (i // per_cycle)),
            datetime.time(9),
            tzinfo=datetime.UTC,
        )
        for run in range(count):
            last = run == count - 1
            result = (
                _pick(
                    rng,
                    [
                        (ExecutionResult.PASSED, 85),
                        (ExecutionResult.FAILED, 12),
                        (ExecutionResult.BLOCKED, 3),
                    ],
                )
                if last
                else _pick(rng, [(ExecutionResult.FAILED, 80), (ExecutionResult.BLOCKED, 20)])
            )
            runs.append(
                TestExecution(
                    entry=entry,
                    project=project,
                    cycle_id=entry.cycle_id,
                    executed_by=rng.choice(team.testers),
                    executed_at=cycle_start + datetime.timedelta(hours=run * 20 + rng.random()),
                    result=result,
                    actual_result="" if result == ExecutionResult.PASSED else "Total differs.",
                )
            )
        if left <= 0:
            break
    with _explicit_times(_field(TestExecution, "executed_at")):
        TestExecution.objects.bulk_create(runs, batch_size=BATCH)
    _defects(project, team, rng, now, cycles, defects)


def _defects(project, team, rng, now, cycles, count: int) -> None:
    created: list[int] = []
    batch: list[Defect] = []
    fields = (_field(Defect, "created_at"), _field(Defect, "updated_at"))
    with _explicit_times(*fields):
        for number in range(1, count + 1):
            status = _pick(rng, DEFECT_STATUSES)
            if status == DefectStatus.DUPLICATE and not created:
                status = DefectStatus.REJECTED
            at = now - datetime.timedelta(minutes=(count - number) * 7 + rng.randint(0, 6))
            builder = rng.choice(team.builders)
            batch.append(
                Defect(
                    project=project,
                    number=number,
                    title=f"{rng.choice(['Total', 'Tax', 'Date', 'Stock', 'Price'])} wrong "
                    f"on {rng.choice(MODULES).split(' - ')[1].lower()} ({number})",
                    actual_result="The figure differs from the legacy system.",
                    expected_result="The same figure as the legacy system.",
                    severity=_pick(rng, SEVERITIES),
                    priority=_pick(
                        rng, [(Priority.HIGH, 2), (Priority.MEDIUM, 5), (Priority.LOW, 3)]
                    ),
                    module=rng.choice(MODULES),
                    environment=Environment.TEST,
                    status=status,
                    reporter=rng.choice(team.testers),
                    assignee=None if status == DefectStatus.NEW else builder,
                    cycle=rng.choice(cycles) if rng.random() < 0.85 else None,
                    duplicate_of_id=rng.choice(created)
                    if status == DefectStatus.DUPLICATE
                    else None,
                    deferral_reason="After go-live." if status == DefectStatus.DEFERRED else "",
                    workaround="Enter by hand." if status == DefectStatus.DEFERRED else "",
                    target_date=(now + datetime.timedelta(days=90)).date()
                    if status == DefectStatus.DEFERRED
                    else None,
                    fixed_by=builder
                    if status in (DefectStatus.FIXED, DefectStatus.CLOSED, DefectStatus.REOPENED)
                    else None,
                    created_at=at,
                    updated_at=at + datetime.timedelta(hours=rng.randint(0, 200)),
                )
            )
            if len(batch) == BATCH or number == count:
                Defect.objects.bulk_create(batch)
                created.extend(d.pk for d in batch)
                batch = []


def _configuration_log(project, pm, team, rng, now, count: int) -> None:
    if ConfigurationChange.objects.filter(project=project).exists():
        return
    entries = []
    for number in range(1, count + 1):
        area = rng.choice(MODULES)
        entries.append(
            ConfigurationChange(
                project=project,
                number=number,
                area=area,
                setting=f"{area.split(' - ')[-1]} setting {number % 97}",
                old_value="" if number % 4 == 0 else "10%",
                new_value="8% VAT" if number % 5 == 0 else "On",
                reason="Agreed in the design workshop.",
                reference=f"REQ-{number % 400}" if number % 3 else "",
                requested_by=rng.choice(team.key_users or [pm]),
                approved_by=pm if number % 2 else None,
                recorded_by=rng.choice(team.builders),
                environment=_pick(
                    rng,
                    [
                        (Environment.DEVELOPMENT, 5),
                        (Environment.TEST, 3),
                        (Environment.PRODUCTION, 2),
                    ],
                ),
                applied_at=now - datetime.timedelta(minutes=(count - number) * 20),
                recorded_at=now - datetime.timedelta(minutes=(count - number) * 20 - 5),
            )
        )
    with _explicit_times(_field(ConfigurationChange, "recorded_at")):
        ConfigurationChange.objects.bulk_create(entries, batch_size=BATCH)


def _kpis(project, pm, rng, today, count: int) -> None:
    if Kpi.objects.filter(project=project).exists() or count == 0:
        return
    kpi_count = max(1, min(10, count // 20))
    categories = list(KpiCategory)
    kpis = Kpi.objects.bulk_create(
        Kpi(
            project=project,
            name=f"KPI {n + 1}: {categories[n % len(categories)].label}",
            category=categories[n % len(categories)],
            unit=["%", "days", "orders per hour", "users"][n % 4],
            direction=[Direction.HIGHER, Direction.LOWER][n % 2],
            baseline_value=Decimal(100 + n),
            baseline_date=today - datetime.timedelta(days=400),
            baseline_method="Counted from three months of legacy records.",
            target_value=Decimal(130 + n) if n % 2 == 0 else Decimal(70 + n),
            target_date=today + datetime.timedelta(days=180),
            owner=pm,
            cadence=Cadence.WEEKLY,
            module=MODULES[n % len(MODULES)],
            created_by=pm,
        )
        for n in range(kpi_count)
    )
    rows = []
    per_kpi = count // kpi_count
    for i, kpi in enumerate(kpis):
        wanted = per_kpi + (count - per_kpi * kpi_count if i == 0 else 0)
        for day in range(wanted):
            drift = Decimal(day) / 10 * (1 if kpi.direction == Direction.HIGHER else -1)
            rows.append(
                Measurement(
                    kpi=kpi,
                    measured_on=today - datetime.timedelta(days=wanted - day),
                    value=(kpi.baseline_value + drift + Decimal(rng.randint(-30, 30)) / 10),
                    source=MeasurementSource.IMPORT,
                    recorded_by=pm,
                )
            )
    Measurement.objects.bulk_create(rows, batch_size=BATCH)


def _tickets(project, team, rng, now, count: int) -> None:
    if Ticket.objects.filter(project=project).exists():
        return
    rows = []
    for number in range(1, count + 1):
        status = _pick(rng, TICKET_STATUSES)
        severity = _pick(rng, SEVERITIES)
        created = now - datetime.timedelta(minutes=(count - number) * 13 + rng.randint(0, 12))
        response = datetime.timedelta(hours=RESPONSE_HOURS[severity])
        acknowledged = (
            None
            if status == TicketStatus.NEW
            else created + response * rng.choice([0.3, 0.6, 0.9, 1.4])
        )
        resolved = (
            created + response * rng.choice([3, 5, 8, 14])
            if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
            else None
        )
        rows.append(
            Ticket(
                project=project,
                number=number,
                module=rng.choice(MODULES),
                title=f"Cannot post {rng.choice(['invoice', 'order', 'receipt', 'payslip'])} "
                f"({number})",
                description="The screen shows an error when saving.",
                severity=severity,
                business_impact="Orders wait until this is fixed.",
                status=status,
                source=rng.choice([TicketSource.WEB, TicketSource.WEB, TicketSource.API]),
                reporter=rng.choice(team.testers),
                assignee=None if status == TicketStatus.NEW else rng.choice(team.builders),
                created_at=created,
                acknowledged_at=acknowledged,
                resolved_at=resolved,
                closed_at=resolved + datetime.timedelta(days=1)
                if status == TicketStatus.CLOSED
                else None,
                response_due_at=created + response,
                resolution_due_at=created + response * 10,
                updated_at=resolved or acknowledged or created,
            )
        )
    with _explicit_times(_field(Ticket, "updated_at")):
        Ticket.objects.bulk_create(rows, batch_size=BATCH)


def build(*, log=print) -> dict:
    """Make (or find) the dataset; returns the row counts of what the pages read."""
    now = timezone.now().replace(microsecond=0)
    today = timezone.localdate()
    pm = manager()
    pool = _pool()
    count = VOLUMES["projects"]
    volumes = {key: shares(total, count) for key, total in VOLUMES.items() if key != "projects"}
    for index in range(count):
        rng = random.Random(index)  # noqa: S311 - repeatable data, not secrets
        with transaction.atomic():
            project = _project(index, pm, pool, today)
            team = _team(project)
            _uat(project, team, rng, now, volumes["executions"][index], volumes["defects"][index])
            _configuration_log(project, pm, team, rng, now, volumes["configuration_changes"][index])
            _kpis(project, pm, rng, today, volumes["kpi_measurements"][index])
            _tickets(project, team, rng, now, volumes["tickets"][index])
        if index % 10 == 0:
            log(f"  project {project.code} ready")
    vacuum()
    return counts()


def vacuum() -> None:
    """PostgreSQL: fresh planner statistics and visibility map, as autovacuum keeps them on a
    database in use (a count can then read an index alone). SQLite stays without: Django never
    runs ANALYZE there."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def counts() -> dict:
    bench = {"project__code__startswith": f"{PREFIX}-"}
    return {
        "projects": Project.objects.filter(code__startswith=f"{PREFIX}-").count(),
        "memberships": Membership.objects.filter(**bench).count(),
        "defects": Defect.objects.filter(**bench).count(),
        "test_executions": TestExecution.objects.filter(
            entry__cycle__project__code__startswith=f"{PREFIX}-"
        ).count(),
        "configuration_changes": ConfigurationChange.objects.filter(**bench).count(),
        "kpi_measurements": Measurement.objects.filter(
            kpi__project__code__startswith=f"{PREFIX}-"
        ).count(),
        "tickets": Ticket.objects.filter(**bench).count(),
    }
