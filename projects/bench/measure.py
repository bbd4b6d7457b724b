"""The measurements of `make bench`: pages against their floors, PDF builds, the dispatch.

Server time is the time of `client.get` in this process (URL routing, middleware, view,
template, database); the query count comes from CaptureQueriesContext. Each page is
requested once to warm up, then `repeat` times; the median and the 95th percentile are
reported next to the floor, the same rows fetched by one hand-written SQL and returned as
JSON by a bare view (projects.bench.floor), measured in the same run. The floor goes through
the same client, middleware, session authentication and project membership lookup as the
page, so the ratio page / floor is the page's own work (see projects.bench.floor).
"""

import datetime
import logging
import math
import os
import secrets
import statistics
import time
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from implementation.models import ConfigurationChange, ReviewReminder, Ticket
from implementation.selectors.tickets import BOARD_CARDS
from kpis.models import Kpi, Measurement
from projects.bench import dataset
from projects.bench.floor import FLOORS
from projects.choices import Department, ProjectStatus, Role, SystemKind
from projects.models import Membership, Project, User
from uat.choices import (
    OPEN_STATUSES,
    DefectStatus,
    ExecutionResult,
    Severity,
    SignoffKind,
    SignoffStatus,
)
from uat.models import (
    CycleScenario,
    Defect,
    SignOff,
    TestCycle,
    TestExecution,
    TestScenario,
)
from uat.views.cycles import SCOPE_ROWS

TARGET_MEDIAN_MS = 50
TARGET_P95_MS = 150
TARGET_RATIO = 3
TARGET_SIGNOFF_PDF_MS = 2000
TARGET_OTHER_PDF_MS = 3000
TARGET_DISPATCH_S = 60
DEEP_PAGE = 400
SIGNOFF_PROJECT = f"{dataset.PREFIX}-02"
SIGNOFF_CYCLE = "Bench UAT, 200 defects"
DISPATCH_PREFIX = "BENCHR-"


@dataclass
class PageResult:
    key: str
    label: str
    url: str
    median_ms: float
    p95_ms: float
    queries: int
    floor_median_ms: float
    ratio: float
    small_url: str | None = None
    small_queries: int | None = None
    targets: dict = field(default_factory=dict)


def _percentile(timings: list[float], share: float) -> float:
    ordered = sorted(timings)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _time(client: Client, url: str, repeat: int) -> tuple[list[float], int]:
    response = client.get(url)  # warm up: caches, connections, template loading
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    timings, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        queries = len(captured)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    return timings, queries


def _queries(client: Client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return len(captured)


# --- The pages and their floors -----------------------------------------------------------


def _t(model) -> str:
    return model._meta.db_table


def _open(statuses) -> str:
    return ", ".join(f"'{s}'" for s in sorted(statuses))


def pages(big: Project, small: Project, user: User) -> list[dict]:
    """What is measured: label, the URL on the big project (and on the small one), the floor."""
    users = _t(User)
    defects = _t(Defect)
    cycle = {
        p.pk: TestCycle.objects.filter(project=p, name__startswith="UAT round").last()
        for p in (big, small)
    }
    medium = Severity.MEDIUM
    defect_floor = (
        f"SELECT d.id, d.number, d.title, d.severity, d.status, d.module, d.created_at, "  # noqa: S608
        f"a.username AS assignee, c.name AS cycle FROM {defects} d "
        f"LEFT JOIN {users} a ON a.id = d.assignee_id "
        f"LEFT JOIN {_t(TestCycle)} c ON c.id = d.cycle_id "
        f"WHERE d.project_id = %s AND d.severity = %s ORDER BY d.number DESC LIMIT %s OFFSET %s"
    )
    portfolio_floor = (
        f"SELECT p.id, p.code, p.name, p.status, p.target_go_live FROM {_t(Project)} p "  # noqa: S608
        f"WHERE p.id IN (SELECT m.project_id FROM {_t(Membership)} m WHERE m.user_id = %s) "
        f"ORDER BY p.name, p.id LIMIT %s"
    )
    config_floor = (
        f"SELECT c.id, c.number, c.area, c.setting, c.old_value, c.new_value, c.environment, "  # noqa: S608
        f"c.applied_at, r.username AS requested_by FROM {_t(ConfigurationChange)} c "
        f"JOIN {users} r ON r.id = c.requested_by_id WHERE c.project_id = %s "
        f"ORDER BY c.number DESC LIMIT %s"
    )
    # The board shows the first cards of each severity column, and counts them all.
    tickets_floor = (
        f"SELECT * FROM (SELECT t.id, t.number, t.title, t.severity, t.status, t.module, "  # noqa: S608
        f"t.response_due_at, t.resolution_due_at, a.username AS assignee, "
        f"ROW_NUMBER() OVER (PARTITION BY t.severity ORDER BY t.resolution_due_at) AS position, "
        f"COUNT(*) OVER (PARTITION BY t.severity) AS in_column "
        f"FROM {_t(Ticket)} t LEFT JOIN {users} a ON a.id = t.assignee_id "
        f"WHERE t.project_id = %s AND t.status IN ('new', 'acknowledged', 'in_progress')) b "
        f"WHERE b.position <= %s ORDER BY b.severity, b.position"
    )
    tickets_api_floor = (
        f"SELECT t.id, t.number, t.title, t.severity, t.status, t.module, t.created_at, "  # noqa: S608
        f"t.response_due_at, t.resolution_due_at, a.username AS assignee "
        f"FROM {_t(Ticket)} t LEFT JOIN {users} a ON a.id = t.assignee_id "
        f"WHERE t.project_id = %s ORDER BY t.number DESC LIMIT 50"
    )
    cycle_floor = (
        f"SELECT cs.id, s.code, s.title, s.module, (SELECT e.result FROM {_t(TestExecution)} e "  # noqa: S608
        f"WHERE e.entry_id = cs.id ORDER BY e.executed_at DESC, e.id DESC LIMIT 1) AS latest "
        f"FROM {_t(CycleScenario)} cs JOIN {_t(TestScenario)} s ON s.id = cs.scenario_id "
        f"WHERE cs.cycle_id = %s ORDER BY s.code LIMIT %s"
    )
    kpi_floor = (
        f"SELECT k.id, k.name, k.unit, k.baseline_value, k.target_value, "  # noqa: S608
        f"(SELECT m.value FROM {_t(Measurement)} m WHERE m.kpi_id = k.id "
        f"ORDER BY m.measured_on DESC LIMIT 1) AS latest FROM {_t(Kpi)} k "
        f"WHERE k.project_id = %s ORDER BY k.name"
    )
    readiness_floor = (
        f"SELECT severity, status, COUNT(*) AS n FROM {defects} "  # noqa: S608
        f"WHERE project_id = %s AND status IN ({_open(OPEN_STATUSES)}) GROUP BY severity, status"
    )
    executions_floor = (
        f"SELECT e.id, e.result, e.executed_at, s.code, u.username FROM {_t(TestExecution)} e "  # noqa: S608
        f"JOIN {_t(CycleScenario)} cs ON cs.id = e.entry_id "
        f"JOIN {_t(TestCycle)} c ON c.id = cs.cycle_id "
        f"JOIN {_t(TestScenario)} s ON s.id = cs.scenario_id "
        f"JOIN {users} u ON u.id = e.executed_by_id WHERE c.project_id = %s "
        f"ORDER BY e.executed_at DESC, e.id DESC LIMIT 50"
    )
    measurements_floor = (
        f"SELECT m.id, m.kpi_id, m.measured_on, m.value FROM {_t(Measurement)} m "  # noqa: S608
        f"JOIN {_t(Kpi)} k ON k.id = m.kpi_id WHERE k.project_id = %s "
        f"ORDER BY m.kpi_id, m.measured_on DESC LIMIT 50"
    )
    phases_floor = "SELECT * FROM implementation_phase WHERE project_id = %s ORDER BY id"  # noqa: S608

    def per(project, path, fmt=None):
        return path.format(
            code=project.code, cycle=cycle[project.pk].pk if cycle[project.pk] else 0
        )

    rows = [
        (
            "portfolio",
            "Portfolio (my projects)",
            "/projects/",
            None,
            portfolio_floor,
            lambda p: [user.pk, 25],
        ),
        ("project", "Project page", "/projects/{code}/", True, phases_floor, lambda p: [p.pk]),
        (
            "defects",
            "Defect list, first page",
            "/projects/{code}/uat/defects/",
            True,
            defect_floor.replace("AND d.severity = %s ", ""),
            lambda p: [p.pk, 25, 0],
        ),
        (
            "defects_filtered",
            "Defect list, severity=medium, first page",
            "/projects/{code}/uat/defects/?severity=medium",
            True,
            defect_floor,
            lambda p: [p.pk, medium, 25, 0],
        ),
        (
            "defects_deep",
            f"Defect list, severity=medium, page {DEEP_PAGE}",
            f"/projects/{{code}}/uat/defects/?severity=medium&page={DEEP_PAGE}",
            False,
            defect_floor,
            lambda p: [p.pk, medium, 25, 25 * (DEEP_PAGE - 1)],
        ),
        (
            "config",
            "Configuration log",
            "/projects/{code}/config/",
            True,
            config_floor,
            lambda p: [p.pk, 25],
        ),
        (
            "cycle",
            "Cycle dashboard (latest round)",
            "/projects/{code}/uat/cycles/{cycle}/",
            True,
            cycle_floor,
            lambda p: [cycle[p.pk].pk, SCOPE_ROWS],
        ),
        ("kpis", "KPI overview", "/projects/{code}/kpis/", True, kpi_floor, lambda p: [p.pk]),
        (
            "readiness",
            "Go-live readiness panel",
            "/projects/{code}/go-live/",
            True,
            readiness_floor,
            lambda p: [p.pk],
        ),
        (
            "board",
            "Ticket board",
            "/projects/{code}/hypercare/board/",
            True,
            tickets_floor,
            lambda p: [p.pk, BOARD_CARDS],
        ),
        (
            "api_projects",
            "API: projects",
            "/api/v1/projects/",
            None,
            portfolio_floor,
            lambda p: [user.pk, 50],
        ),
        (
            "api_defects",
            "API: defects of a project",
            "/api/v1/defects/?project={code}",
            True,
            defect_floor.replace("AND d.severity = %s ", ""),
            lambda p: [p.pk, 50, 0],
        ),
        (
            "api_executions",
            "API: test executions of a project",
            "/api/v1/test-executions/?project={code}",
            True,
            executions_floor,
            lambda p: [p.pk],
        ),
        (
            "api_config",
            "API: configuration log",
            "/api/v1/configuration-changes/?project={code}",
            True,
            config_floor,
            lambda p: [p.pk, 50],
        ),
        (
            "api_measurements",
            "API: KPI measurements",
            "/api/v1/kpi-measurements/?project={code}",
            True,
            measurements_floor,
            lambda p: [p.pk],
        ),
        (
            "api_tickets",
            "API: tickets of a project",
            "/api/v1/tickets/?project={code}",
            True,
            tickets_api_floor,
            lambda p: [p.pk],
        ),
    ]
    return [
        {
            "key": key,
            "label": label,
            "url": per(big, path),
            "small_url": per(small, path) if has_small else None,
            "floor": (sql, params(big), big.code if "{code}" in path else None),
        }
        for key, label, path, has_small, sql, params in rows
    ]


def measure_pages(
    *, user: User, big: Project, small: Project, repeat: int, log
) -> list[PageResult]:
    client = Client()
    client.force_login(user)
    results = []
    hosts = ["testserver", *settings.ALLOWED_HOSTS]
    with override_settings(ROOT_URLCONF="projects.bench.floor", ALLOWED_HOSTS=hosts):
        for page in pages(big, small, user):
            FLOORS[page["key"]] = page["floor"]
            timings, queries = _time(client, page["url"], repeat)
            floor_timings, _q = _time(client, f"/bench-floor/{page['key']}/", repeat)
            small_queries = _queries(client, page["small_url"]) if page["small_url"] else None
            median = statistics.median(timings)
            floor_median = statistics.median(floor_timings)
            result = PageResult(
                key=page["key"],
                label=page["label"],
                url=page["url"],
                median_ms=round(median, 1),
                p95_ms=round(_percentile(timings, 0.95), 1),
                queries=queries,
                floor_median_ms=round(floor_median, 1),
                ratio=round(median / floor_median, 1),
                small_url=page["small_url"],
                small_queries=small_queries,
            )
            result.targets = {
                "median": result.median_ms < TARGET_MEDIAN_MS,
                "p95": result.p95_ms < TARGET_P95_MS,
                "ratio": result.ratio < TARGET_RATIO,
                "queries_constant": small_queries is None or small_queries == queries,
            }
            log(_row(result))
            results.append(result)
    return results


def _row(r: PageResult) -> str:
    small = "" if r.small_queries is None else str(r.small_queries)
    missed = ", ".join(k for k, ok in r.targets.items() if not ok) or "all met"
    return (
        f"| {r.label} | {r.median_ms:.1f} | {r.p95_ms:.1f} | {r.queries} | {small} "
        f"| {r.floor_median_ms:.1f} | {r.ratio:.1f} | {missed} |"
    )


TABLE_HEAD = (
    "| page | median ms | p95 ms | queries | queries (small project) | floor median ms "
    "| ratio | targets |\n|---|---:|---:|---:|---:|---:|---:|---|"
)


# --- PDFs -----------------------------------------------------------------------------------


def _signer(project: Project, role: str) -> tuple[User, str]:
    """A member of that role with a throwaway password: signing re-enters it."""
    user = Membership.objects.filter(project=project, role=role).order_by("pk").first().user
    password = secrets.token_urlsafe(16)
    user.set_password(password)
    user.save(update_fields=["password"])
    return user, password


def _signed(project: Project, pm: User, kind: str, cycle=None) -> SignOff:
    """A signed sign-off of that kind (once), made through the sign-off services so that its
    snapshot is the one the registered builder makes. The generated project does not meet
    every exit criterion (open defects, unsigned migration loads...), so the project manager
    requests it with an override, as the page lets them; the PDF then lists the overridden
    criteria, which is what a real go/no-go on such data would print."""
    from projects.errors import ApplicationError
    from uat.services import signoffs

    # Of that subject only: a UAT sign-off of another cycle of the project (one with thousands
    # of defects) is not the document the target is about.
    subject = SignOff.objects.filter(project=project, kind=kind, cycle=cycle)
    existing = subject.filter(status=SignoffStatus.SIGNED).order_by("-pk").first()
    if existing is not None:
        return existing
    signer, password = _signer(project, Role.KEY_USER)
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        # A draft left by an earlier, interrupted run is reused rather than piled up.
        signoff = subject.filter(status=SignoffStatus.DRAFT).order_by(
            "-pk"
        ).first() or signoffs.signoff_create(
            actor=pm,
            project=project,
            kind=kind,
            cycle=cycle,
            signatories=[{"user": signer, "role_title": "Business owner"}],
        )
        try:
            signoff = signoffs.signoff_request(actor=pm, signoff=signoff)
        except ApplicationError:  # exit criteria not met
            signoff = signoffs.signoff_request(
                actor=pm,
                signoff=signoff,
                override_reason="Speed measurement on generated data (make bench).",
            )
        signoffs.signoff_sign(actor=signer, signoff=signoff, decision="approved", password=password)
    return SignOff.objects.get(pk=signoff.pk)


def _signoff_cycle(project: Project) -> TestCycle:
    """A cycle with 40 scenarios run and 200 defects (once)."""
    cycle = TestCycle.objects.filter(project=project, name=SIGNOFF_CYCLE).first()
    if cycle is not None:
        return cycle
    runner = Membership.objects.filter(project=project, role=Role.KEY_USER).first().user
    today = timezone.localdate()
    cycle = TestCycle.objects.create(
        project=project,
        name=SIGNOFF_CYCLE,
        starts_on=today - datetime.timedelta(days=14),
        ends_on=today,
        min_pass_rate=Decimal("90"),
        max_open_high=200,
        max_open_critical=200,
    )
    for number in range(1, 41):
        scenario = TestScenario.objects.create(
            project=project,
            code=f"SIGN-{number:03d}",
            title=f"Quotation to order, case {number}",
            module="Sales - Quotation to order",
        )
        entry = CycleScenario.objects.create(cycle=cycle, scenario=scenario)
        TestExecution.objects.create(entry=entry, executed_by=runner, result=ExecutionResult.PASSED)
    last = Defect.objects.filter(project=project).order_by("-number").first()
    first = (last.number if last else 0) + 1
    Defect.objects.bulk_create(
        Defect(
            project=project,
            number=number,
            title=f"Quotation total differs from the order total (case {number})",
            severity=[Severity.MEDIUM, Severity.LOW, Severity.HIGH][number % 3],
            status=[DefectStatus.CLOSED, DefectStatus.DEFERRED, DefectStatus.CLOSED][number % 3],
            deferral_reason="After go-live." if number % 3 == 1 else "",
            module="Sales - Quotation to order",
            reporter=runner,
            cycle=cycle,
        )
        for number in range(first, first + 200)
    )
    return cycle


def _timed(build, runs: int) -> dict:
    build()  # warm up: imports, fonts
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            build()
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "median_ms": round(statistics.median(timings), 1),
        "max_ms": round(max(timings), 1),
        "queries": len(captured),
    }


def measure_pdfs(*, pm: User, big: Project, runs: int, log) -> list[dict]:
    from implementation.models import WeeklyStatusReport
    from implementation.status_reports import iso_week, render_status_pdf
    from kpis.models import BenefitsReport
    from kpis.reports import render_benefits_pdf
    from uat.pdf import render_signoff_pdf

    project = Project.objects.get(code=SIGNOFF_PROJECT)
    results = []

    def add(key, label, target_ms, build):
        try:
            figures = _timed(build, runs)
        except Exception as error:  # noqa: BLE001 - reported, the other figures still count
            log(f"| {label} | not measured: {error!r} |")
            results.append({"key": key, "label": label, "error": repr(error)})
            return
        figures |= {"key": key, "label": label, "target_ms": target_ms}
        figures["target_met"] = figures["max_ms"] < target_ms
        log(
            f"| {label} | {figures['median_ms']:.0f} | {figures['max_ms']:.0f} | "
            f"{figures['queries']} | {'met' if figures['target_met'] else 'MISSED'} |"
        )
        results.append(figures)

    def signoff_pdf(kind, cycle=None):
        # Set up on the first (warm-up) call, inside add(): a refusal is reported, not fatal.
        made = []

        def build():
            if not made:
                made.append(_signed(project, pm, kind, cycle))
            return render_signoff_pdf(
                SignOff.objects.select_related("project", "requested_by").get(pk=made[0].pk)
            )

        return build

    try:
        cycle = _signoff_cycle(project)
    except Exception as error:  # noqa: BLE001 - reported, the other figures still count
        log(f"| UAT sign-off PDF | not measured: {error!r} |")
        cycle = None
    if cycle is not None:
        add(
            "signoff_uat",
            "UAT sign-off PDF, cycle with 200 defects",
            TARGET_SIGNOFF_PDF_MS,
            signoff_pdf(SignoffKind.UAT, cycle),
        )
    add(
        "signoff_go_live",
        "Go-live sign-off PDF",
        TARGET_OTHER_PDF_MS,
        signoff_pdf(SignoffKind.GO_LIVE),
    )
    add(
        "signoff_hypercare_exit",
        "Hypercare exit sign-off PDF",
        TARGET_OTHER_PDF_MS,
        signoff_pdf(SignoffKind.HYPERCARE_EXIT),
    )

    def status_pdf():
        report, _created = WeeklyStatusReport.objects.get_or_create(
            project=big, week=iso_week(timezone.localdate()), defaults={"requested_by": pm}
        )
        return render_status_pdf(WeeklyStatusReport.objects.get(pk=report.pk))

    add("status_report", f"Weekly status PDF ({big.code})", TARGET_OTHER_PDF_MS, status_pdf)

    def benefits_pdf():
        report = BenefitsReport.objects.filter(project=big).first()
        if report is None:
            report = BenefitsReport.objects.create(
                project=big, requested_by=pm, as_of=timezone.localdate()
            )
        return render_benefits_pdf(BenefitsReport.objects.get(pk=report.pk))

    add(
        "benefits_report",
        f"KPI benefits report PDF ({big.code})",
        TARGET_OTHER_PDF_MS,
        benefits_pdf,
    )
    return results


# --- The reminder dispatch ------------------------------------------------------------------


def _dispatch_projects(pm: User, count: int, members: int) -> list[int]:
    """`count` active projects of `members` members each, all with an address (once)."""
    existing = Project.objects.filter(code__startswith=DISPATCH_PREFIX).count()
    today = timezone.localdate()
    if existing < count:
        created = Project.objects.bulk_create(
            Project(
                name=f"Reminder roll-out {n}",
                code=f"{DISPATCH_PREFIX}{n:04d}",
                client_organisation=f"Client R{n}",
                system_kind=SystemKind.ERP,
                start_date=today - datetime.timedelta(days=30),
                target_go_live=today + datetime.timedelta(days=200),
                created_by=pm,
                time_zone="UTC",
            )
            for n in range(existing, count)
        )
        users = [
            User(
                username=f"benchr-{p.code[-4:]}-{m}",
                email=f"benchr-{p.code[-4:]}-{m}@example.com",
                first_name=f"Member {m}",
                last_name=p.code,
            )
            for p in created
            for m in range(members)
        ]
        for user in users:
            user.set_unusable_password()
        User.objects.bulk_create(users, batch_size=dataset.BATCH)
        by_name = {u.username: u for u in User.objects.filter(username__startswith="benchr-")}
        roles = [Role.PROJECT_MANAGER, Role.CONSULTANT, Role.IT, Role.KEY_USER, Role.EXECUTIVE]
        Membership.objects.bulk_create(
            (
                Membership(
                    project=p,
                    user=by_name[f"benchr-{p.code[-4:]}-{m}"],
                    role=roles[m] if m < len(roles) else Role.PILOT_USER,
                    department=Department.OTHER,
                )
                for p in created
                for m in range(members)
            ),
            batch_size=dataset.BATCH,
        )
    return list(
        Project.objects.filter(code__startswith=DISPATCH_PREFIX)
        .order_by("code")
        .values_list("pk", flat=True)[:count]
    )


def _due_now(pks: list[int]) -> datetime.datetime:
    """Make exactly these projects due (their review in six hours) and forget their rows."""
    now = timezone.now().replace(microsecond=0)
    slot = now + datetime.timedelta(hours=6)
    # Only these projects are due: every other one meets in four days, out of the lead time.
    Project.objects.exclude(pk__in=pks).filter(status=ProjectStatus.ACTIVE).update(
        review_weekday=(now + datetime.timedelta(days=4)).weekday()
    )
    Project.objects.filter(pk__in=pks).update(
        review_weekday=slot.weekday(),
        review_time=slot.time(),
        time_zone="UTC",
        status=ProjectStatus.ACTIVE,
    )
    ReviewReminder.objects.filter(project_id__in=pks).delete()  # sent once a week, at most
    return now


def _dispatch_in_process(pks: list[int]) -> tuple[float, int, int]:
    """The embedded mode: tasks run inside the dispatch call. (seconds, created, sent)"""
    from config.celery import app
    from implementation.services.reminders import reminders_dispatch

    now = _due_now(pks)
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    trace = logging.getLogger("celery.app.trace")  # a line per task would flood the table
    level = trace.level
    trace.setLevel(logging.WARNING)
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            mail.outbox = []
            started = time.perf_counter()
            created = reminders_dispatch(now)
            seconds = time.perf_counter() - started
            sent = len(mail.outbox)
            mail.outbox = []
    finally:
        app.conf.task_always_eager = eager
        trace.setLevel(level)
    return seconds, created, sent


def _worker(broker: str, concurrency: int):
    """A Celery worker as deployed (prefork, `concurrency` processes) on this database, with
    e-mail to memory; None when it does not answer within 30 s."""
    import subprocess
    import sys

    from config.celery import app

    env = {
        **os.environ,
        "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
        "REDIS_URL": broker,
        "EMAIL_URL": "memorymail://",
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--queues", "celery"]
    command += ["--pool", "prefork", "--concurrency", str(concurrency), "--loglevel", "WARNING"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        command, env=env, cwd=settings.BASE_DIR, stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return worker
    worker.terminate()
    worker.wait(30)
    return None


def _dispatch_with_workers(pks: list[int], broker: str, concurrency: int) -> dict | None:
    """As deployed: the dispatch queues one task per project through Redis and a worker of
    `concurrency` processes sends them; timed until every row is settled."""
    from config.celery import app
    from implementation.models import ReminderStatus
    from implementation.services.reminders import reminders_dispatch

    saved = (app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager = (
        broker,
        None,
        False,
    )
    _forget_broker_pools(app)
    worker = None
    try:
        app.control.purge()
        worker = _worker(broker, concurrency)
        if worker is None:
            return None
        now = _due_now(pks)
        rows = ReviewReminder.objects.filter(project_id__in=pks)
        unsettled = rows.filter(status__in=[ReminderStatus.PENDING, ReminderStatus.SENDING])
        started = time.perf_counter()
        created = reminders_dispatch(now)
        while unsettled.exists() and time.perf_counter() - started < 600:
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        return {
            "workers": concurrency,
            "seconds": round(seconds, 1),
            "reminders_created": created,
            "sent": rows.filter(status=ReminderStatus.SENT).count(),
        }
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(60)
        app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager = saved
        _forget_broker_pools(app)


def _forget_broker_pools(app) -> None:
    """Celery keeps its connection pools once made: drop them when the broker changes (the
    in-process runs before made them for the in-memory broker)."""
    app._pool = None  # noqa: SLF001 - no public way to reset it
    app.amqp._producer_pool = None  # noqa: SLF001


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def measure_dispatch(*, pm: User, projects: int, members: int, log, broker: str = "") -> dict:
    """The dispatch of `projects` x `members` reminders, in-process (the embedded mode) and,
    given a Redis `broker` that answers, with a worker of one process per core."""
    pks = _dispatch_projects(pm, projects, members)
    expected = len(pks) * members
    seconds, created, sent = _dispatch_in_process(pks)
    result = {
        "projects": len(pks),
        "members_each": members,
        "reminders_created": created,
        "emails_sent": sent,
        "seconds": round(seconds, 1),
        "target_s": TARGET_DISPATCH_S,
        "target_met": seconds < TARGET_DISPATCH_S and sent == expected,
    }
    log(
        f"Reminder dispatch in-process: {len(pks)} projects x {members} members, {sent} e-mails "
        f"in {seconds:.1f} s ({'met' if result['target_met'] else 'MISSED'})"
    )
    if broker and _redis_answers(broker):
        workers = _dispatch_with_workers(pks, broker, os.cpu_count() or 2)
        if workers is None:
            log("Reminder dispatch with workers: the worker did not start; not measured.")
        else:
            workers["target_met"] = (
                workers["seconds"] < TARGET_DISPATCH_S and workers["sent"] == expected
            )
            result["with_workers"] = workers
            log(
                f"Reminder dispatch with a worker of {workers['workers']} processes: "
                f"{workers['sent']} e-mails in {workers['seconds']:.1f} s "
                f"({'met' if workers['target_met'] else 'MISSED'})"
            )
    return result


def as_dict(results: list[PageResult]) -> list[dict]:
    return [asdict(r) for r in results]
