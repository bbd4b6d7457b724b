"""Benefits report pages: the list, building one with its progress polled, the download, a
retry after a failure, who may do what, HTMX fragments and query counts."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpis.models import BenefitsReport
from projects.choices import PdfStatus

HTMX = {"HX-Request": "true"}
PDF_BYTES = b"%PDF-1.4 test"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def _fake_renderer(monkeypatch):
    # The real renderer is not under test here: every report is these bytes.
    monkeypatch.setattr("kpis.reports.render_benefits_pdf", lambda report: PDF_BYTES)


def url(name, project, *args) -> str:
    return reverse(f"kpis:{name}", args=[project.code, *args])


def make_report(project, user, status=PdfStatus.PENDING, **fields) -> BenefitsReport:
    report = BenefitsReport.objects.create(
        project=project,
        requested_by=user,
        as_of=fields.pop("as_of", datetime.date(2026, 11, 23)),
        status=status,
        **fields,
    )
    if status == PdfStatus.READY:
        report.file.save("report.pdf", ContentFile(PDF_BYTES), save=False)
        report.size = len(PDF_BYTES)
        report.save()
    return report


def state() -> list:
    return list(BenefitsReport.objects.order_by("pk").values("pk", "status", "error"))


# --- Who sees what ------------------------------------------------------------------------


def test_every_member_sees_the_reports_page(client, project, members):
    for role, user in members.items():
        client.force_login(user)
        response = client.get(url("reports", project))
        assert response.status_code == 200, role
        assert b"Build the benefits report" in response.content


@pytest.mark.parametrize(
    ("name", "with_pk"),
    [
        ("reports", False),
        ("report-create", False),
        ("report-status", True),
        ("report-retry", True),
        ("report-download", True),
    ],
)
def test_anonymous_is_sent_to_login_and_outsider_gets_404(
    client, project, pm, outsider, name, with_pk
):
    report = make_report(project, pm, PdfStatus.FAILED, error="Boom")
    page = url(name, project, report.pk) if with_pk else url(name, project)
    before = state()

    for method in ("get", "post"):
        response = getattr(client, method)(page)
        assert response.status_code == 302
        assert response["Location"].startswith(f"/accounts/login/?next={page}")

    client.force_login(outsider)
    assert client.get(page).status_code == 404
    assert client.post(page).status_code == 404
    assert state() == before


def test_a_report_of_another_project_is_404(client, project, pm, outsider):
    elsewhere = make_report(outsider.memberships.get().project, outsider, PdfStatus.READY)
    client.force_login(pm)

    for name in ("report-status", "report-download"):
        assert client.get(url(name, project, elsewhere.pk), headers=HTMX).status_code == 404
    assert client.post(url("report-retry", project, elsewhere.pk)).status_code == 404


# --- Building -----------------------------------------------------------------------------


def test_an_executive_builds_the_report_and_downloads_it(
    client, project, executive, django_capture_on_commit_callbacks
):
    client.force_login(executive)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("report-create", project))

    assert response.status_code == 302
    assert response["Location"] == url("reports", project)
    report = BenefitsReport.objects.get()
    assert (report.status, report.requested_by, report.as_of) == (
        PdfStatus.READY,
        executive,
        project.local_today(),
    )
    listing = client.get(url("reports", project)).content.decode()
    assert url("report-download", project, report.pk) in listing
    download = client.get(url("report-download", project, report.pk))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == (
        f'attachment; filename="HNR-ERP-benefits-{project.local_today().isoformat()}.pdf"'
    )
    assert b"".join(download.streaming_content) == PDF_BYTES


def test_building_queues_the_report_and_the_page_polls_it(client, project, viewer):
    client.force_login(viewer)

    response = client.post(url("report-create", project), headers=HTMX)

    report = BenefitsReport.objects.get()
    assert report.status == PdfStatus.PENDING  # the worker is told after the commit
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert content.lstrip().startswith('<div id="reports">')
    assert f'hx-get="{url("report-status", project, report.pk)}"' in content
    assert 'hx-trigger="every 2s"' in content
    assert "Queued…" in content


def test_a_second_request_while_one_is_on_its_way_is_refused(client, project, pm):
    make_report(project, pm, PdfStatus.BUILDING)
    client.force_login(pm)

    response = client.post(url("report-create", project), follow=True)

    assert BenefitsReport.objects.count() == 1
    assert "is already being prepared" in response.content.decode()


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
    report = make_report(project, pm, status, error="The report could not be built (OSError).")
    client.force_login(executive)

    response = client.get(url("report-status", project, report.pk), headers=HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert content.lstrip().startswith(f'<div class="report-status" id="report-{report.pk}-status"')
    assert shown in content
    assert ('hx-trigger="every 2s"' in content) is polls
    assert ("could not be built (OSError)" in content) is (status == PdfStatus.FAILED)
    assert "HX-Request" in response["Vary"]


def test_status_without_htmx_goes_to_the_list(client, project, pm):
    report = make_report(project, pm)
    client.force_login(pm)

    response = client.get(url("report-status", project, report.pk))

    assert response.status_code == 302
    assert response["Location"] == url("reports", project)


def test_download_is_404_until_the_report_is_ready(client, project, pm):
    client.force_login(pm)
    for status in (PdfStatus.PENDING, PdfStatus.BUILDING, PdfStatus.FAILED):
        report = make_report(project, pm, status)
        assert client.get(url("report-download", project, report.pk)).status_code == 404


# --- Retrying -----------------------------------------------------------------------------


def test_retry_builds_a_failed_report_again(
    client, project, pm, key_user, django_capture_on_commit_callbacks
):
    report = make_report(project, pm, PdfStatus.FAILED, error="Boom")
    client.force_login(key_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("report-retry", project, report.pk))

    assert response.status_code == 302
    assert response["Location"] == url("reports", project)
    report.refresh_from_db()
    assert (report.status, report.error) == (PdfStatus.READY, "")


def test_retry_with_htmx_answers_the_status_fragment(client, project, pm):
    report = make_report(project, pm, PdfStatus.FAILED, error="Boom")
    client.force_login(pm)

    response = client.post(url("report-retry", project, report.pk), headers=HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert "Queued…" in content
    assert 'hx-trigger="every 2s"' in content
    report.refresh_from_db()
    assert report.status == PdfStatus.PENDING


def test_retry_of_a_ready_report_changes_nothing(client, project, pm):
    report = make_report(project, pm, PdfStatus.READY)
    before = state()
    client.force_login(pm)

    response = client.post(url("report-retry", project, report.pk), follow=True)

    assert "This report is ready" in response.content.decode()
    assert state() == before


# --- Lists --------------------------------------------------------------------------------


def _count(client, page) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page)
    assert response.status_code == 200
    return len(queries)


def test_list_query_count_is_the_same_for_2_and_20_reports(client, project, pm, members):
    users = list(members.values())
    for number in range(2):
        make_report(project, users[number], PdfStatus.READY)
    client.force_login(pm)
    client.get(url("reports", project))  # warm process-wide caches
    with_2 = _count(client, url("reports", project))

    for number in range(2, 20):
        make_report(project, users[number % len(users)], PdfStatus.FAILED, error="Boom")

    assert _count(client, url("reports", project)) == with_2


def test_list_with_htmx_answers_the_list(client, project, pm):
    make_report(project, pm, PdfStatus.READY)
    client.force_login(pm)

    response = client.get(url("reports", project), headers=HTMX)

    assert response.status_code == 200
    assert b"<html" not in response.content
    assert response.content.decode().lstrip().startswith('<div id="reports">')


def test_viewer_sees_past_reports_with_who_asked(client, project, pm, viewer):
    make_report(project, pm, PdfStatus.READY, as_of=datetime.date(2026, 11, 2))
    client.force_login(viewer)

    content = client.get(url("reports", project)).content.decode()

    assert "2026-11-02" in content
    assert pm.display_name in content


def test_htmx_fragments_show_why_a_request_was_refused(client, project, pm):
    ready = make_report(project, pm, PdfStatus.READY)
    make_report(project, pm, PdfStatus.BUILDING)
    client.force_login(pm)

    create = client.post(url("report-create", project), headers=HTMX).content.decode()
    retry = client.post(url("report-retry", project, ready.pk), headers=HTMX).content.decode()

    assert create.count("is already being prepared") == 1
    assert "This report is ready; request a new one for newer figures." in retry
    assert BenefitsReport.objects.count() == 2
