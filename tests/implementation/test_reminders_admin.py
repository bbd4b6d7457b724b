import pytest

from implementation.models import ReviewReminder


@pytest.mark.django_db
def test_reminder_records_are_read_only_in_admin(client, superuser, project, pm):
    reminder = ReviewReminder.objects.create(
        project=project,
        user=pm,
        week="2026-W48",
        meeting_at="2026-11-30T02:00:00Z",
        message_id="<reminder.1.1.2026-W48@rollout>",
    )
    client.force_login(superuser)
    base = "/admin/implementation/reviewreminder/"

    assert client.get(base).status_code == 200
    assert client.get(f"{base}{reminder.pk}/change/").status_code == 200
    assert client.post(f"{base}{reminder.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{base}add/").status_code == 403
    assert ReviewReminder.objects.filter(pk=reminder.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["status", "benefits"])
def test_generated_reports_are_listed_read_only_in_admin(client, superuser, project, pm, kind):
    import datetime

    from implementation.models import WeeklyStatusReport
    from kpis.models import BenefitsReport

    if kind == "status":
        report = WeeklyStatusReport.objects.create(
            project=project, requested_by=pm, week="2026-W48"
        )
        base = "/admin/implementation/weeklystatusreport/"
    else:
        report = BenefitsReport.objects.create(
            project=project, requested_by=pm, as_of=datetime.date(2026, 11, 23)
        )
        base = "/admin/kpis/benefitsreport/"
    client.force_login(superuser)

    listing = client.get(base)
    assert listing.status_code == 200
    assert project.code in listing.content.decode()
    assert client.get(f"{base}{report.pk}/change/").status_code == 200
    assert client.post(f"{base}{report.pk}/change/", {}).status_code == 403
    assert client.post(f"{base}{report.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{base}add/").status_code == 403
    assert type(report).objects.filter(pk=report.pk).exists()
