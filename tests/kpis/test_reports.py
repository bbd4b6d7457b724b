"""The benefits report PDF: requesting, building, retrying and sweeping, what the document
shows as of its date, and that user-typed text stays text and nothing is fetched."""

import datetime
import hashlib
import time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from kpis import reports
from kpis import services as kpi_services
from kpis.choices import Cadence, Direction, KpiCategory
from kpis.models import BenefitsReport, Kpi, Measurement
from kpis.tasks import benefits_report_build_task
from projects.choices import PdfStatus
from projects.errors import ApplicationError
from projects.selectors import project_get
from tests.uat.test_signoffs_pdf import HOSTILE, flat, pdf_pages

D = Decimal
VIETNAMESE = "Kế toán: thời gian khóa sổ cuối tháng"


# --- Builders --------------------------------------------------------------------------------


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def kpi(project, owner, name, *, baseline=None, **fields) -> Kpi:
    """A KPI defined through the service (go-live must still be ahead when it has a baseline)."""
    today = project.local_today()
    values = {
        "category": KpiCategory.PROCESS_EFFICIENCY,
        "unit": "%",
        "direction": Direction.LOWER,
        "target_value": D("4"),
        "target_date": today + days(200),
        "cadence": Cadence.MONTHLY,
    } | fields
    if baseline is not None:
        values |= {"baseline_value": D(baseline), "baseline_date": today - days(150)}
    return kpi_services.kpi_create(actor=owner, project=project, name=name, owner=owner, **values)


def measure(owner, kpi, *rows):
    """Record (days ago, value, note) rows through the service."""
    today = kpi.project.local_today()
    for ago, value, note in rows:
        kpi_services.measurement_record(
            actor=owner, kpi=kpi, measured_on=today - days(ago), value=D(value), note=note
        )


def move_go_live(project, day):
    project.start_date = min(project.start_date, day)
    project.target_go_live = day
    project.save(update_fields=["start_date", "target_go_live"])


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def benefits(project, pm):
    """Four KPIs, baselines recorded before go-live, then measured after it (100 days ago):
    one on track, one off track (in Vietnamese), one achieved and one without a baseline."""
    today = project.local_today()
    move_go_live(project, today + days(10))
    invoice_errors = kpi(
        project, pm, "Invoice errors", baseline="12", baseline_method="Counted in Q1 invoices."
    )
    closing = kpi(
        project,
        pm,
        VIETNAMESE,
        baseline="10",
        unit="ngày",
        target_value=D("5"),
        category=KpiCategory.FINANCE,
    )
    orders = kpi(
        project,
        pm,
        "Orders per hour",
        baseline="50",
        unit="orders/h",
        direction=Direction.HIGHER,
        target_value=D("60"),
        category=KpiCategory.SALES,
    )
    adoption = kpi(
        project,
        pm,
        "CRM adoption",
        direction=Direction.HIGHER,
        target_value=D("90"),
        category=KpiCategory.ADOPTION,
        cadence=Cadence.WEEKLY,
    )
    move_go_live(project, today - days(100))
    measure(
        pm,
        invoice_errors,
        (70, "11", "First month on the new system."),
        (40, "9", ""),
        (10, "8", "Sai sót giảm nhờ kiểm tra tự động."),
    )
    measure(pm, closing, (60, "10", ""), (20, "9.5", "Đóng sổ chậm vì thiếu hóa đơn."))
    measure(pm, orders, (5, "61", "Peak season."))
    return {
        "invoice_errors": invoice_errors,
        "closing": closing,
        "orders": orders,
        "adoption": adoption,
    }


def requested(actor, project, capture) -> BenefitsReport:
    with capture(execute=True):
        report = reports.report_request(actor=actor, project=project)
    report.refresh_from_db()
    return report


def stored(report: BenefitsReport) -> bytes:
    with report.file.open("rb") as handle:
        return handle.read()


# --- Requesting and building -----------------------------------------------------------------


def test_request_builds_the_report_and_stores_its_hash(
    project, pm, benefits, media, django_capture_on_commit_callbacks
):
    report = requested(pm, project, django_capture_on_commit_callbacks)

    content = stored(report)
    assert report.status == PdfStatus.READY
    assert report.as_of == project.local_today()
    assert report.requested_by == pm
    assert report.attempts == 1
    assert report.error == ""
    assert report.built_at is not None
    assert content.startswith(b"%PDF-")
    assert report.sha256 == hashlib.sha256(content).hexdigest()
    assert report.size == len(content)


def test_report_shows_the_project_every_kpi_and_its_figures(
    project, pm, benefits, media, django_capture_on_commit_callbacks
):
    report = requested(pm, project, django_capture_on_commit_callbacks)

    pages = pdf_pages(stored(report))

    text = flat("\n".join(pages))
    today = project.local_today()
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in flat(page)
        assert f"Figures as of {today.isoformat()}" in flat(page)
    assert "Hanoi Retail ERP" in text
    assert "HNR-ERP" in text
    assert f"Go-live {(today - days(100)).isoformat()}" in text
    for name in ("Invoice errors", VIETNAMESE, "Orders per hour", "CRM adoption"):
        assert name in text
    for status in ("On track", "Off track", "Achieved", "No baseline"):
        assert status in text
    # The status counts on the cover.
    assert "Achieved 1" in flat(pages[0])
    assert "At risk 0" in flat(pages[0])
    # Invoice errors: baseline, target, latest, progress and its formula.
    assert "Counted in Q1 invoices." in text
    assert f"12% {(today - days(150)).isoformat()}" in text
    assert f"4% by {(today + days(200)).isoformat()}" in text
    assert f"8% {(today - days(10)).isoformat()}" in text
    assert "(8% − 12%) ÷ (4% − 12%) = 50%" in text
    assert "Sai sót giảm nhờ kiểm tra tự động." in text
    assert "First month on the new system." in text
    assert "Đóng sổ chậm vì thiếu hóa đơn." in text
    assert "9.5 ngày" in text
    # Weekly CRM adoption was never measured since go-live, 100 days ago: overdue.
    assert "no baseline" in text
    assert f"Overdue: 14 measurements missed since {(today - days(93)).isoformat()}." in text


def test_report_shows_the_figures_as_of_its_date(project, pm, benefits, media):
    as_of = project.local_today() - days(30)
    report = BenefitsReport.objects.create(
        project=project, requested_by=pm, as_of=as_of, queued_at=timezone.now()
    )

    report = reports.report_build(report_pk=report.pk)

    text = flat("\n".join(pdf_pages(stored(report))))
    assert report.status == PdfStatus.READY
    assert f"Figures as of {as_of.isoformat()}" in text
    # Measured 10 days ago, after the report's date: not in it.
    assert "Sai sót giảm nhờ kiểm tra tự động." not in text
    assert f"9% {(as_of - days(10)).isoformat()}" in text


def test_a_second_delivery_changes_nothing(
    project, pm, benefits, media, django_capture_on_commit_callbacks
):
    report = requested(pm, project, django_capture_on_commit_callbacks)

    again = benefits_report_build_task.apply(args=[report.pk]).get()

    current = BenefitsReport.objects.get(pk=report.pk)
    assert again == PdfStatus.READY
    assert (current.sha256, current.file.name, current.attempts) == (
        report.sha256,
        report.file.name,
        1,
    )


def test_request_is_refused_while_one_is_on_its_way(
    project, pm, viewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        first = reports.report_request(actor=pm, project=project)
    assert len(queued) == 1

    with django_capture_on_commit_callbacks() as queued, pytest.raises(ApplicationError) as error:
        reports.report_request(actor=viewer, project=project)

    assert "already being prepared" in error.value.message
    assert queued == []
    assert list(BenefitsReport.objects.filter(project=project)) == [first]


def test_a_broker_outage_leaves_the_report_pending(
    project, pm, monkeypatch, django_capture_on_commit_callbacks
):
    def down(*args, **kwargs):
        raise OSError("Connection refused")

    monkeypatch.setattr(benefits_report_build_task, "apply_async", down)

    report = requested(pm, project, django_capture_on_commit_callbacks)

    assert report.status == PdfStatus.PENDING
    assert report.attempts == 0
    assert report.queued_at is not None


# --- Policy ----------------------------------------------------------------------------------


def test_outsider_gets_404_from_the_selector_and_403_from_the_service(
    project, outsider, django_capture_on_commit_callbacks
):
    with pytest.raises(Http404):
        project_get(user=outsider, code=project.code)
    with django_capture_on_commit_callbacks() as queued, pytest.raises(PermissionDenied):
        reports.report_request(actor=outsider, project=project)

    assert queued == []
    assert not BenefitsReport.objects.exists()


def test_viewer_can_request_a_report(project, viewer, media, django_capture_on_commit_callbacks):
    report = requested(
        viewer, project_get(user=viewer, code=project.code), (django_capture_on_commit_callbacks)
    )

    assert report.status == PdfStatus.READY
    assert report.requested_by == viewer
    assert "This project has no KPI yet." in flat("\n".join(pdf_pages(stored(report))))


def test_outsider_cannot_retry(project, pm, outsider):
    report = BenefitsReport.objects.create(
        project=project, requested_by=pm, as_of=project.local_today(), status=PdfStatus.FAILED
    )

    with pytest.raises(PermissionDenied):
        reports.report_retry(actor=outsider, report=report)

    report.refresh_from_db()
    assert report.status == PdfStatus.FAILED


# --- Failures, retries, the sweep ------------------------------------------------------------


def test_render_failure_is_recorded_and_retry_builds(
    project, pm, benefits, media, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(report):
        raise RuntimeError("Pango fell over")

    monkeypatch.setattr(reports, "render_benefits_pdf", broken)
    report = requested(pm, project, django_capture_on_commit_callbacks)

    assert report.status == PdfStatus.FAILED
    assert report.error == "The PDF could not be built (RuntimeError). Try again."
    assert not report.file
    assert report.sha256 == ""
    assert report.attempts == 1

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        reports.report_retry(actor=pm, report=report)

    report.refresh_from_db()
    assert report.status == PdfStatus.READY
    assert report.error == ""
    assert report.attempts == 2
    assert hashlib.sha256(stored(report)).hexdigest() == report.sha256


@pytest.mark.parametrize(
    ("status", "message"),
    [(PdfStatus.READY, "This report is ready"), (PdfStatus.BUILDING, "being built")],
)
def test_retry_is_refused_when_ready_or_building(
    project, pm, status, message, django_capture_on_commit_callbacks
):
    report = BenefitsReport.objects.create(
        project=project, requested_by=pm, as_of=project.local_today(), status=status
    )

    with django_capture_on_commit_callbacks() as queued, pytest.raises(ApplicationError) as error:
        reports.report_retry(actor=pm, report=report)

    assert message in error.value.message
    assert queued == []
    report.refresh_from_db()
    assert report.status == status


def test_retry_queues_a_report_stuck_pending(
    project, pm, media, django_capture_on_commit_callbacks
):
    report = BenefitsReport.objects.create(
        project=project,
        requested_by=pm,
        as_of=project.local_today(),
        queued_at=timezone.now() - days(1),
    )

    with django_capture_on_commit_callbacks(execute=True) as queued:
        reports.report_retry(actor=pm, report=report)

    report.refresh_from_db()
    assert len(queued) == 1
    assert report.status == PdfStatus.READY


def test_sweep_queues_again_only_stuck_reports(project, pm, media):
    long_ago = timezone.now() - datetime.timedelta(seconds=900)
    make = BenefitsReport.objects.create
    today = project.local_today()
    stuck_pending = make(project=project, requested_by=pm, as_of=today, queued_at=long_ago)
    stuck_building = make(
        project=project,
        requested_by=pm,
        as_of=today,
        queued_at=long_ago,
        status=PdfStatus.BUILDING,
        attempts=1,
    )
    fresh = make(project=project, requested_by=pm, as_of=today, queued_at=timezone.now())
    failed = make(
        project=project, requested_by=pm, as_of=today, queued_at=long_ago, status=PdfStatus.FAILED
    )

    queued = reports.report_sweep(older_than_seconds=600)

    assert queued == 2
    statuses = dict(BenefitsReport.objects.values_list("pk", "status"))
    assert statuses == {
        stuck_pending.pk: PdfStatus.READY,
        stuck_building.pk: PdfStatus.READY,
        fresh.pk: PdfStatus.PENDING,
        failed.pk: PdfStatus.FAILED,
    }
    assert BenefitsReport.objects.get(pk=stuck_building.pk).attempts == 2


def test_a_build_taken_back_by_the_sweep_keeps_the_newer_result(project, pm, media, monkeypatch):
    report = BenefitsReport.objects.create(
        project=project, requested_by=pm, as_of=project.local_today()
    )
    render = reports.render_benefits_pdf

    def slow_then_swept(report):
        content = render(report)
        # Meanwhile the sweep presumed this worker dead and another build finished.
        BenefitsReport.objects.filter(pk=report.pk).update(status=PdfStatus.READY, sha256="f" * 64)
        return content

    monkeypatch.setattr(reports, "render_benefits_pdf", slow_then_swept)

    result = reports.report_build(report_pk=report.pk)

    assert result.status == PdfStatus.READY
    assert result.sha256 == "f" * 64
    assert not list((media / "reports").rglob("*.pdf"))


# --- Safety and size -------------------------------------------------------------------------


def test_hostile_kpi_name_stays_text_and_nothing_is_fetched_or_attached(
    project, pm, media, django_capture_on_commit_callbacks
):
    move_go_live(project, project.local_today() + days(10))
    hostile = kpi(project, pm, HOSTILE, baseline="12")
    move_go_live(project, project.local_today() - days(30))
    measure(pm, hostile, (3, "10", HOSTILE))

    report = requested(pm, project, django_capture_on_commit_callbacks)

    content = stored(report)
    squeezed = "".join("".join(pdf_pages(content)).split())
    assert report.status == PdfStatus.READY
    assert squeezed.count("".join(HOSTILE.split())) == 2  # the name and the note
    assert b"/EmbeddedFile" not in content
    assert b"root:x:0:0" not in content
    assert b"evil.example" not in content


def test_context_costs_the_same_queries_for_two_kpis_or_twenty(
    project, pm, django_assert_num_queries
):
    def context_queries(count):
        start = Kpi.objects.count()
        for n in range(start, start + count):
            made = Kpi.objects.create(
                project=project,
                name=f"KPI {n}",
                category=KpiCategory.QUALITY,
                unit="%",
                direction=Direction.LOWER,
                baseline_value=D("10"),
                baseline_date=datetime.date(2026, 1, 31),
                target_value=D("5"),
                target_date=datetime.date(2027, 6, 30),
                owner=pm,
                created_by=pm,
            )
            Measurement.objects.create(
                kpi=made, measured_on=datetime.date(2026, 11, 1), value=D("8"), recorded_by=pm
            )
        report = BenefitsReport.objects.select_related("project", "requested_by").get(pk=pk)
        with django_assert_num_queries(3):
            reports.render_benefits_html(report)

    pk = BenefitsReport.objects.create(
        project=project, requested_by=pm, as_of=datetime.date(2026, 11, 20)
    ).pk
    context_queries(2)
    context_queries(18)


def test_fifty_kpis_render_as_blocks_quickly(project, pm):
    today = project.local_today()
    kpis = Kpi.objects.bulk_create(
        Kpi(
            project=project,
            name=f"KPI {n:02}: order-to-cash cycle time in the northern warehouses",
            category=KpiCategory.PROCESS_EFFICIENCY,
            unit="days",
            direction=Direction.LOWER,
            baseline_value=D("20"),
            baseline_date=today - days(300),
            target_value=D("12"),
            target_date=today + days(120),
            owner=pm,
            created_by=pm,
            cadence=Cadence.MONTHLY,
        )
        for n in range(1, 51)
    )
    Measurement.objects.bulk_create(
        Measurement(
            kpi=made,
            measured_on=today - days(30 * month),
            value=D("20") - month,
            note=f"Month {month}: ghi chú của tháng",
            recorded_by=pm,
        )
        for made in kpis
        for month in range(1, 9)
    )
    report = BenefitsReport.objects.create(project=project, requested_by=pm, as_of=today)

    started = time.perf_counter()
    content = reports.render_benefits_pdf(report)
    seconds = time.perf_counter() - started

    pages = pdf_pages(content)
    assert "KPI 50" in flat(pages[-1])
    assert f"Page {len(pages)} of {len(pages)}" in flat(pages[-1])
    # About 6 s alone here (26 pages); the bound only catches a fall back to slow layouts
    # (tables, one KPI a page), with room for a loaded machine.
    assert seconds < 60


def test_a_chart_of_300_measurements_draws_about_60_and_keeps_the_latest(project, pm):
    today = project.local_today()
    move_go_live(project, today + days(10))
    daily = kpi(project, pm, "Invoice errors", baseline="50", cadence=Cadence.WEEKLY)
    Measurement.objects.bulk_create(
        Measurement(
            kpi=daily,
            measured_on=today - days(299 - n),
            value=D(40 + n % 7),
            recorded_by=pm,
        )
        for n in range(300)
    )
    report = BenefitsReport.objects.create(project=project, requested_by=pm, as_of=today)

    html = reports.render_benefits_html(report)

    markers = html.count("<circle") - 2  # less the baseline and target markers
    assert reports.CHART_POINTS - 5 <= markers <= reports.CHART_POINTS + 5
    assert "latest measurement 45" in html  # the last of the 300, kept
