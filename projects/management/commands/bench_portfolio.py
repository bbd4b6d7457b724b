"""Speed figures for the README: the main pages and endpoints on a generated portfolio.

Builds (once) a portfolio of projects made from templates, with full teams, then requests
each page many times through Django's test client and prints the median and 95th
percentile time and the number of queries. It also times the build of a signed sign-off's
PDF with 200 defects. Run it with `make bench`, which points it at its own database so the
demo data stays untouched.
"""

import datetime
import secrets
import statistics
import time
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from implementation.models import ActionItem, ConfigurationChange, ReviewMeeting
from projects import services
from projects.choices import Department, Role, SystemKind
from projects.models import Membership, Project, User
from uat.choices import DefectStatus, ExecutionResult, Severity, SignoffKind, SignoffStatus
from uat.models import CycleScenario, Defect, SignOff, TestCycle, TestExecution, TestScenario

PREFIX = "BENCH"
SIGNOFF_CYCLE = "Bench UAT, 200 defects"
TEAM = [
    (Role.CONSULTANT, Department.OTHER),
    (Role.IT, Department.IT),
    (Role.KEY_USER, Department.ACCOUNTING_FINANCE),
    (Role.PILOT_USER, Department.SALES),
    (Role.PILOT_USER, Department.WAREHOUSE),
    (Role.PILOT_USER, Department.HR),
    (Role.EXECUTIVE, Department.MANAGEMENT),
    (Role.VIEWER, Department.OTHER),
]


class Command(BaseCommand):
    help = "Time the portfolio, project, team and API pages on a generated portfolio."

    def add_arguments(self, parser):
        parser.add_argument("--projects", type=int, default=200)
        parser.add_argument("--repeat", type=int, default=30)
        parser.add_argument("--log-entries", type=int, default=5000)
        parser.add_argument("--pdf-runs", type=int, default=5)

    def handle(self, *args, projects: int, repeat: int, log_entries: int, pdf_runs: int, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("bench_portfolio refuses to run with DEBUG off.")
        manager = self._portfolio(projects)
        client = Client()
        client.force_login(manager)
        code = Project.objects.filter(code__startswith=PREFIX).order_by("code").first().code
        self._history(Project.objects.get(code=code), manager, log_entries)
        pages = [
            ("Portfolio (My projects, 25 a page)", "/projects/"),
            ("Portfolio, filtered by search", "/projects/?q=Roll-out+1"),
            ("Project page", f"/projects/{code}/"),
            ("Phase page (checklist)", f"/projects/{code}/phases/design/"),
            ("Team page", f"/projects/{code}/team/"),
            ("Configuration log (25 a page)", f"/projects/{code}/config/"),
            ("Configuration log, searched", f"/projects/{code}/config/?q=VAT"),
            ("Review meetings", f"/projects/{code}/reviews/"),
            ("Next meeting's agenda", f"/projects/{code}/reviews/agenda/"),
            ("API: project list", "/api/v1/projects/"),
            ("API: memberships of a project", f"/api/v1/memberships/?project={code}"),
            ("API: configuration log", f"/api/v1/configuration-changes/?project={code}"),
        ]
        self.stdout.write(
            f"{projects} projects, {Membership.objects.count()} memberships, "
            f"{ConfigurationChange.objects.count()} configuration changes, "
            f"{ActionItem.objects.count()} action items, "
            f"{connection.vendor}; {repeat} requests a page\n"
        )
        self.stdout.write("| page | median ms | p95 ms | queries |\n|---|---:|---:|---:|")
        with override_settings(ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS]):
            for label, url in pages:
                median, p95, queries = self._measure(client, url, repeat)
                self.stdout.write(f"| {label} | {median:.1f} | {p95:.1f} | {queries} |")
        signoff = self._signoff(Project.objects.get(code=code), manager)
        median, slowest, queries = self._measure_pdf(signoff, pdf_runs)
        self.stdout.write(
            f"| Sign-off PDF build, 200 defects ({pdf_runs} runs; slowest) "
            f"| {median:.1f} | {slowest:.1f} | {queries} |"
        )

    def _measure(self, client: Client, url: str, repeat: int) -> tuple[float, float, int]:
        client.get(url)  # warm caches and connections
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise CommandError(f"{url} answered {response.status_code}")
        timings.sort()
        p95 = timings[min(len(timings) - 1, round(0.95 * len(timings)) - 1)]
        return statistics.median(timings), p95, len(queries)

    def _measure_pdf(self, signoff: SignOff, runs: int) -> tuple[float, float, int]:
        """Render the sign-off's PDF `runs` times: median and slowest ms, queries of one run."""
        from uat.pdf import render_signoff_pdf

        render_signoff_pdf(signoff)  # warm up: imports, fonts
        timings = []
        for _ in range(runs):
            signoff = SignOff.objects.select_related("project", "requested_by").get(pk=signoff.pk)
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                render_signoff_pdf(signoff)
            timings.append((time.perf_counter() - started) * 1000)
        return statistics.median(timings), max(timings), len(queries)

    def _signoff(self, project: Project, manager: User) -> SignOff:
        """A signed UAT sign-off of a cycle with 200 defects on the measured project (once)."""
        from uat.services import signoffs

        existing = SignOff.objects.filter(
            project=project, status=SignoffStatus.SIGNED, cycle__name=SIGNOFF_CYCLE
        ).first()
        if existing is not None:
            return existing
        signer = Membership.objects.filter(project=project, role=Role.KEY_USER).first().user
        cycle = TestCycle.objects.create(
            project=project,
            name=SIGNOFF_CYCLE,
            starts_on=timezone.localdate() - datetime.timedelta(days=14),
            ends_on=timezone.localdate(),
            min_pass_rate=Decimal("90"),
        )
        for number in range(1, 41):
            scenario = TestScenario.objects.create(
                project=project,
                code=f"BENCH-{number:03d}",
                title=f"Quotation to order, case {number}",
                module="Sales - Quotation to order",
            )
            entry = CycleScenario.objects.create(cycle=cycle, scenario=scenario)
            TestExecution.objects.create(
                entry=entry, executed_by=signer, result=ExecutionResult.PASSED
            )
        last = Defect.objects.filter(project=project).order_by("-number").first()
        first = (last.number if last else 0) + 1
        Defect.objects.bulk_create(
            Defect(
                project=project,
                number=number,
                title=f"Quotation total differs from the order total (case {number})",
                severity=[Severity.MEDIUM, Severity.LOW][number % 2],
                status=[DefectStatus.CLOSED, DefectStatus.NEW, DefectStatus.FIXED][number % 3],
                module="Sales - Quotation to order",
                reporter=signer,
                cycle=cycle,
            )
            for number in range(first, first + 200)
        )
        # Signing re-enters a password: give the signer a throwaway one for this database.
        password = secrets.token_urlsafe(16)
        signer.set_password(password)
        signer.save(update_fields=["password"])
        # E-mails stay in memory; the PDF built on commit here is the first, cold build.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            signoff = signoffs.signoff_create(
                actor=manager,
                project=project,
                kind=SignoffKind.UAT,
                cycle=cycle,
                signatories=[{"user": signer, "role_title": "Business owner"}],
            )
            signoff = signoffs.signoff_request(actor=manager, signoff=signoff)
            signoffs.signoff_sign(
                actor=signer, signoff=signoff, decision="approved", password=password
            )
        return SignOff.objects.get(pk=signoff.pk)

    def _history(self, project: Project, manager: User, log_entries: int) -> None:
        """A long configuration log and a year of weekly reviews on the measured project."""
        existing = ConfigurationChange.objects.filter(project=project).count()
        now = timezone.now()
        ConfigurationChange.objects.bulk_create(
            ConfigurationChange(
                project=project,
                number=number,
                area=["Inventory", "Sales", "Finance - Tax", "CRM - Leads"][number % 4],
                setting=f"Setting {number}",
                old_value="10%" if number % 3 else "",
                new_value="8% VAT" if number % 5 == 0 else "On",
                reason="Agreed in the design workshop.",
                requested_by=manager,
                recorded_by=manager,
                environment=["development", "test", "production"][number % 3],
                applied_at=now - datetime.timedelta(hours=number),
            )
            for number in range(existing + 1, log_entries + 1)
        )
        if not ReviewMeeting.objects.filter(project=project).exists():
            for week in range(52, 0, -1):
                meeting = ReviewMeeting.objects.create(
                    project=project,
                    held_on=timezone.localdate() - datetime.timedelta(weeks=week),
                    created_by=manager,
                    notes="Progress, risks, decisions.",
                )
                meeting.attendees.add(manager)
                ActionItem.objects.bulk_create(
                    ActionItem(
                        project=project,
                        raised_in=meeting,
                        title=f"Follow-up {week}.{n}",
                        owner=manager,
                        created_by=manager,
                        due_date=meeting.held_on + datetime.timedelta(days=7),
                        status="done" if n else "open",
                    )
                    for n in range(3)
                )

    def _portfolio(self, count: int) -> User:
        manager, _created = User.objects.get_or_create(
            username="bench-pm", defaults={"email": "bench-pm@example.com"}
        )
        manager.user_permissions.add(
            Permission.objects.get(codename="add_project", content_type__app_label="projects")
        )
        manager = User.objects.get(pk=manager.pk)
        existing = Project.objects.filter(code__startswith=PREFIX).count()
        kinds = list(SystemKind)
        start = datetime.date.today() - datetime.timedelta(days=90)  # noqa: DTZ011
        team = [User.objects.get_or_create(username=f"bench-{n}")[0] for n in range(len(TEAM))]
        for number in range(existing, count):
            project = services.project_create(
                actor=manager,
                name=f"Roll-out {number}",
                code=f"{PREFIX}-{number:04d}",
                client_organisation=f"Client {number}",
                system_kind=kinds[number % len(kinds)],
                start_date=start,
            )
            Membership.objects.bulk_create(
                Membership(project=project, user=user, role=role, department=department)
                for user, (role, department) in zip(team, TEAM, strict=True)
            )
        return manager
