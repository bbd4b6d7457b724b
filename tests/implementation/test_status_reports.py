"""The weekly status report PDF: requesting, building, retrying, the weekly build and the
sweep, what the document shows, that user-typed text stays text, and its pages."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from implementation import status_reports
from implementation.choices import PhaseKind, PhaseStatus
from implementation.models import WeeklyStatusReport
from kpis.choices import Direction, KpiCategory
from kpis.models import Kpi
from projects.choices import PdfStatus, ProjectStatus
from projects.errors import ApplicationError
from tests.factories import PhaseFactory, ProjectFactory
from tests.uat.test_signoffs_pdf import HOSTILE, flat, pdf_pages

HTMX = {"HX-Request": "true"}
PDF_BYTES = b"%PDF-1.4 test"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def phases(project):
    return [
        PhaseFactory(
            project=project, kind=PhaseKind.DISCOVERY, position=1, status=PhaseStatus.COMPLETED
        ),
        PhaseFactory(
            project=project, kind=PhaseKind.DESIGN, position=2, status=PhaseStatus.IN_PROGRESS
        ),
    ]


@pytest.fixture
def kpi(project, pm):
    return Kpi.objects.create(
        project=project,
        name="Month-end close",
        category=KpiCategory.FINANCE,
        unit="days",
        direction=Direction.LOWER,
        target_value=Decimal("5"),
        target_date=datetime.date(2027, 6, 30),
        owner=pm,
        created_by=pm,
    )


def requested(actor, project, capture) -> WeeklyStatusReport:
    with capture(execute=True):
        report = status_reports.status_report_request(actor=actor, project=project)
    report.refresh_from_db()
    return report


def stored(report) -> bytes:
    with report.file.open("rb") as handle:
        return handle.read()


def url(name, project, *args) -> str:
    return reverse(f"implementation:{name}", args=[project.code, *args])


# --- Building ------------------------------------------------------------------------------


def test_a_request_is_built_and_shows_the_project(
    project, pm, phases, kpi, record_change, django_capture_on_commit_callbacks
):
    record_change(pm, setting="Tax calculation rounding method")

    report = requested(pm, project, django_capture_on_commit_callbacks)

    assert report.status == PdfStatus.READY
    assert report.week == status_reports.iso_week(project.local_today())
    assert report.requested_by == pm
    text = flat(" ".join(pdf_pages(stored(report))))
    assert "Hanoi Retail ERP" in text
    assert "Discovery" in text
    assert "Design" in text
    assert "Tax calculation rounding method" in text
    assert "CFG-1" in text
    assert "Month-end close" in text
    assert "Page 1 of" in text
    assert report.size == len(stored(report))


def test_a_hostile_configuration_change_stays_text(
    project, pm, record_change, django_capture_on_commit_callbacks
):
    record_change(pm, area=HOSTILE, setting=HOSTILE)

    report = requested(pm, project, django_capture_on_commit_callbacks)

    content = stored(report)
    squeezed = "".join("".join(pdf_pages(content)).split())
    assert squeezed.count("".join(HOSTILE.split())) == 2
    assert b"/EmbeddedFile" not in content
    assert b"root:x:0:0" not in content
    assert b"evil.example" not in content


def test_a_second_request_while_one_is_on_its_way_is_refused(project, pm):
    status_reports.status_report_request(actor=pm, project=project)

    with pytest.raises(ApplicationError, match="already being prepared"):
        status_reports.status_report_request(actor=pm, project=project)
    assert WeeklyStatusReport.objects.count() == 1


def test_a_failure_is_recorded_then_a_retry_builds_it(
    project, pm, monkeypatch, django_capture_on_commit_callbacks
):
    render = status_reports.render_status_pdf

    def broken(report):
        raise OSError("disk full")

    monkeypatch.setattr(status_reports, "render_status_pdf", broken)
    report = requested(pm, project, django_capture_on_commit_callbacks)
    assert report.status == PdfStatus.FAILED
    assert "OSError" in report.error
    assert not report.file

    monkeypatch.setattr(status_reports, "render_status_pdf", render)
    with django_capture_on_commit_callbacks(execute=True):
        status_reports.status_report_retry(actor=pm, report=report)

    report.refresh_from_db()
    assert (report.status, report.error, report.attempts) == (PdfStatus.READY, "", 2)


def test_the_weekly_build_makes_one_report_per_active_project_once(
    project, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(status_reports, "render_status_pdf", lambda report: PDF_BYTES)
    closed = ProjectFactory(status=ProjectStatus.CLOSED)
    other = ProjectFactory()
    now = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        created = status_reports.status_reports_weekly(now=now)
    with django_capture_on_commit_callbacks(execute=True):
        again = status_reports.status_reports_weekly(now=now)

    assert created >= 2
    assert again == 0
    for active in (project, other):
        report = WeeklyStatusReport.objects.get(project=active)
        assert report.requested_by is None
        assert report.status == PdfStatus.READY
        assert report.week == status_reports.iso_week(active.local_today())
    assert not WeeklyStatusReport.objects.filter(project=closed).exists()


def test_the_sweep_queues_stuck_reports_again(project, pm, monkeypatch):
    monkeypatch.setattr(status_reports, "render_status_pdf", lambda report: PDF_BYTES)
    old = timezone.now() - datetime.timedelta(hours=1)
    stuck = WeeklyStatusReport.objects.create(
        project=project,
        requested_by=pm,
        week="2026-W48",
        status=PdfStatus.BUILDING,
        queued_at=old,
    )
    fresh = WeeklyStatusReport.objects.create(
        project=project, requested_by=pm, week="2026-W48", queued_at=timezone.now()
    )

    assert status_reports.status_report_sweep() == 1

    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == PdfStatus.READY
    assert fresh.status == PdfStatus.PENDING


def test_the_document_costs_the_same_queries_for_2_or_20_changes(
    project, pm, phases, kpi, record_change
):
    report = WeeklyStatusReport.objects.create(project=project, requested_by=pm, week="2026-W48")

    def queries() -> int:
        loaded = WeeklyStatusReport.objects.select_related("project", "requested_by").get(
            pk=report.pk
        )
        with CaptureQueriesContext(connection) as captured:
            status_reports.render_status_html(loaded)
        return len(captured)

    for n in range(2):
        record_change(pm, setting=f"Setting {n}")
    with_2 = queries()
    for n in range(2, 20):
        record_change(pm, setting=f"Setting {n}")

    assert queries() == with_2


# --- Pages ---------------------------------------------------------------------------------


def make_report(project, user, status=PdfStatus.PENDING, **fields) -> WeeklyStatusReport:
    report = WeeklyStatusReport.objects.create(
        project=project, requested_by=user, week="2026-W48", status=status, **fields
    )
    if status == PdfStatus.READY:
        report.file.save("report.pdf", ContentFile(PDF_BYTES), save=False)
        report.size = len(PDF_BYTES)
        report.save()
    return report


def test_the_list_shows_past_reports_automatic_ones_too(client, project, pm, viewer):
    make_report(project, pm, PdfStatus.READY)
    make_report(project, None, PdfStatus.FAILED, error="Boom")
    client.force_login(viewer)

    content = client.get(url("status-reports", project)).content.decode()

    assert "Build the status report" in content
    assert pm.display_name in content
    assert "Weekly (automatic)" in content
    assert "2026-W48" in content
    assert 'aria-current="page">Status reports' in content


def test_an_executive_builds_the_report_and_downloads_it(
    client, project, executive, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(status_reports, "render_status_pdf", lambda report: PDF_BYTES)
    client.force_login(executive)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("status-report-create", project))

    assert response.status_code == 302
    assert response["Location"] == url("status-reports", project)
    report = WeeklyStatusReport.objects.get()
    assert (report.status, report.requested_by) == (PdfStatus.READY, executive)
    download = client.get(url("status-report-download", project, report.pk))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == (
        f'attachment; filename="HNR-ERP-status-{report.week}.pdf"'
    )
    assert b"".join(download.streaming_content) == PDF_BYTES


def test_an_htmx_request_answers_the_list_which_polls(client, project, pm):
    client.force_login(pm)

    response = client.post(url("status-report-create", project), headers=HTMX)

    report = WeeklyStatusReport.objects.get()
    content = response.content.decode()
    assert report.status == PdfStatus.PENDING  # the worker is told after the commit
    assert "<html" not in content
    assert content.lstrip().startswith('<div id="reports">')
    assert f'hx-get="{url("status-report-status", project, report.pk)}"' in content
    assert 'hx-trigger="every 2s"' in content


@pytest.mark.parametrize(
    ("status", "shown", "polls"),
    [
        (PdfStatus.PENDING, "Queued…", True),
        (PdfStatus.BUILDING, "Building…", True),
        (PdfStatus.READY, "Download the PDF", False),
        (PdfStatus.FAILED, "Retry", False),
    ],
)
def test_status_fragment(client, project, pm, executive, status, shown, polls):
    report = make_report(project, pm, status, error="The PDF could not be built (OSError).")
    client.force_login(executive)

    response = client.get(url("status-report-status", project, report.pk), headers=HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert content.lstrip().startswith(f'<div class="report-status" id="status-report-{report.pk}')
    assert shown in content
    assert ('hx-trigger="every 2s"' in content) is polls
    assert ("(OSError)" in content) is (status == PdfStatus.FAILED)


def test_retry_page_builds_a_failed_report(
    client, project, pm, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(status_reports, "render_status_pdf", lambda report: PDF_BYTES)
    report = make_report(project, pm, PdfStatus.FAILED, error="Boom")
    client.force_login(pm)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("status-report-retry", project, report.pk), headers=HTMX)

    assert response.status_code == 200
    report.refresh_from_db()
    assert report.status == PdfStatus.READY


def test_download_is_404_until_ready(client, project, pm):
    client.force_login(pm)
    for status in (PdfStatus.PENDING, PdfStatus.BUILDING, PdfStatus.FAILED):
        report = make_report(project, pm, status)
        assert client.get(url("status-report-download", project, report.pk)).status_code == 404


@pytest.mark.parametrize(
    ("name", "with_pk"),
    [
        ("status-reports", False),
        ("status-report-create", False),
        ("status-report-status", True),
        ("status-report-retry", True),
        ("status-report-download", True),
    ],
)
def test_anonymous_is_sent_to_login_and_outsider_gets_404(
    client, project, pm, outsider, name, with_pk
):
    report = make_report(project, pm, PdfStatus.READY)
    page = url(name, project, report.pk) if with_pk else url(name, project)

    for method in ("get", "post"):
        response = getattr(client, method)(page)
        assert response.status_code == 302
        assert response["Location"].startswith(f"/accounts/login/?next={page}")

    client.force_login(outsider)
    assert client.get(page, headers=HTMX).status_code == 404
    assert client.post(page).status_code == 404
    assert WeeklyStatusReport.objects.count() == 1


def test_a_report_of_another_project_is_404(client, project, pm, outsider):
    elsewhere = make_report(outsider.memberships.get().project, outsider, PdfStatus.READY)
    client.force_login(pm)

    assert client.get(url("status-report-download", project, elsewhere.pk)).status_code == 404


def test_list_query_count_is_the_same_for_2_and_20_reports(client, project, pm, members):
    users = list(members.values())
    make_report(project, None, PdfStatus.READY)  # a weekly one: no requester
    make_report(project, pm, PdfStatus.READY)
    client.force_login(pm)
    client.get(url("status-reports", project))

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("status-reports", project)).status_code == 200
        return len(captured)

    with_2 = count()
    for n in range(2, 20):
        make_report(project, users[n % len(users)], PdfStatus.FAILED, error="Boom")
    assert count() == with_2


def test_the_document_shows_the_current_cycle_and_its_defect_trend(project, pm):
    from tests.uat.test_cycles_factories import make_cycle, make_defect
    from uat.choices import Severity

    cycle = make_cycle(project, name="UAT round 1")
    make_defect(project, pm, cycle=cycle, severity=Severity.HIGH)
    make_defect(project, pm, cycle=cycle, severity=Severity.LOW)
    report = WeeklyStatusReport.objects.create(project=project, requested_by=pm, week="2026-W48")

    text = flat(" ".join(pdf_pages(status_reports.render_status_pdf(report))))

    assert "Cycle UAT round 1" in text
    assert "Open defects by severity (2)" in text
    assert f"{project.local_today():%Y-%m-%d} 2 0" in text


def test_with_redis_down_the_page_answers_and_the_sweep_builds_it_later(
    client, project, executive, broker_down, django_capture_on_commit_callbacks
):
    client.force_login(executive)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("status-report-create", project))
    listing = client.get(url("status-reports", project))

    assert response.status_code == 302
    assert listing.status_code == 200
    report = WeeklyStatusReport.objects.get()
    assert report.status == PdfStatus.PENDING

    broker_down()  # Redis is back
    WeeklyStatusReport.objects.filter(pk=report.pk).update(
        queued_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert status_reports.status_report_sweep() == 1
    report.refresh_from_db()
    assert report.status == PdfStatus.READY


def test_a_week_of_150_changes_prints_100_and_says_50_more(project, pm, record_change):
    for n in range(150):
        record_change(pm, setting=f"Setting {n:03d}")
    report = WeeklyStatusReport.objects.create(project=project, requested_by=pm, week="2026-W48")

    html = status_reports.render_status_html(report)
    text = flat(" ".join(pdf_pages(status_reports.render_status_pdf(report))))

    assert html.count('class="change-line"') == 100
    assert "Setting 099" in html
    assert "Setting 100" not in html
    assert "and 50 more (listed on the project&#x27;s pages)" in html
    assert "and 50 more (listed on the project's pages)" in text


def test_a_long_defect_trend_prints_its_latest_100_days_and_counts_every_day(project, pm):
    from tests.uat.test_cycles_factories import make_cycle
    from uat.models import Defect

    cycle = make_cycle(project, name="UAT round 1")
    today = project.local_today()
    Defect.objects.bulk_create(
        Defect(project=project, number=n, title=f"Defect {n}", reporter=pm, cycle=cycle)
        for n in range(1, 131)
    )
    for defect in Defect.objects.filter(cycle=cycle):
        # One defect a day, from 129 days ago to today (noon, so the local day is that day).
        day = today - datetime.timedelta(days=130 - defect.number)
        Defect.objects.filter(pk=defect.pk).update(
            created_at=datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
        )
    report = WeeklyStatusReport.objects.create(project=project, requested_by=pm, week="2026-W48")

    context = status_reports.status_report_context(report)
    trend = context["uat"]["trend"]

    assert len(trend) == 100
    assert trend.rows[-1].day == today
    assert trend.note == "and 30 earlier days (counted in the totals)"
    assert context["uat"]["opened_total"] == 130
