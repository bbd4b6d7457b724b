"""Go-live readiness in the executive's weekly status: the digest and the status report PDF."""

import datetime

import pytest
from django.utils import timezone

from implementation import status_reports
from implementation.digest import weekly_status
from projects.choices import Role
from tests.golive.factories import team_project
from tests.uat.test_signoffs_pdf import flat, pdf_pages


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def going_live_in(days: int):
    today = timezone.localdate()
    return team_project(
        start_date=today - datetime.timedelta(days=200),
        target_go_live=today + datetime.timedelta(days=days),
    )


@pytest.mark.django_db
def test_the_weekly_status_lists_the_criteria_in_the_two_months_before_go_live():
    project, _people = going_live_in(45)

    lines = weekly_status(project).readiness

    assert len(lines) == 7
    label, met, reasons = lines[0]
    assert (label, met, reasons) == (
        "A UAT sign-off is signed",
        False,
        ("No UAT sign-off is signed yet.",),
    )
    assert lines[1][1] is True  # no open critical or high defects


@pytest.mark.django_db
def test_far_from_go_live_the_weekly_status_has_no_readiness():
    project, _people = going_live_in(120)
    assert weekly_status(project).readiness == ()


@pytest.mark.django_db
def test_the_status_report_pdf_shows_readiness_with_reasons(django_capture_on_commit_callbacks):
    project, people = going_live_in(20)

    with django_capture_on_commit_callbacks(execute=True):
        report = status_reports.status_report_request(
            actor=people[Role.PROJECT_MANAGER], project=project
        )
    report.refresh_from_db()
    with report.file.open("rb") as handle:
        text = flat(" ".join(pdf_pages(handle.read())))

    assert "Go-live readiness" in text
    assert "Nobody is named on the hypercare team." in text
    assert "No data objects are listed for migration." in text
