import pytest
from django.core.management import CommandError, call_command

from implementation.models import ChecklistItem, Phase
from projects import health
from projects.choices import Role
from projects.demo import DEMO_CODE, DEMO_USERS
from projects.models import Membership, Project, User


@pytest.mark.django_db
def test_seed_demo_builds_the_hanoi_retail_project_with_every_role(capsys):
    call_command("seed_demo")

    project = Project.objects.get(code=DEMO_CODE)
    assert project.client_organisation.startswith("Hanoi Retail")
    roles = set(Membership.objects.filter(project=project).values_list("role", flat=True))
    assert roles == set(Role)
    assert Phase.objects.filter(project=project).count() == 6
    output = capsys.readouterr().out
    assert "password for all: rollout-demo" in output
    for spec in DEMO_USERS:
        assert spec.username in output


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    call_command("seed_demo")
    counts = (User.objects.count(), Membership.objects.count(), ChecklistItem.objects.count())
    done = ChecklistItem.objects.filter(done_at__isnull=False).count()

    call_command("seed_demo")

    assert (User.objects.count(), Membership.objects.count(), ChecklistItem.objects.count()) == (
        counts
    )
    assert ChecklistItem.objects.filter(done_at__isnull=False).count() == done


@pytest.mark.django_db
def test_demo_users_sign_in_with_the_demo_password(client):
    call_command("seed_demo")
    assert client.login(username="sales", password="rollout-demo")
    assert client.get(f"/projects/{DEMO_CODE}/").status_code == 200


@pytest.mark.django_db
def test_demo_project_sits_in_testing_with_a_history():
    call_command("seed_demo")
    project = Project.objects.get(code=DEMO_CODE)
    statuses = list(project.phases.order_by("position").values_list("status", flat=True))
    assert statuses == [
        "completed",
        "completed",
        "completed",
        "in_progress",
        "not_started",
        "not_started",
    ]
    assert project.configuration_changes.count() == 40
    assert project.configuration_changes.filter(supersedes__isnull=False).count() == 2
    assert project.review_meetings.count() == 3
    assert project.action_items.filter(status__in=["open", "in_progress"]).exists()
    development = project.phases.get(kind="development")
    assert development.waiver_reason.startswith("The e-invoice connector")
    assert (
        project.phases.get(kind="design").transitions.filter(to_status="in_progress").count() == 2
    )
    result = health.health_for([project])[project.pk]
    assert result.level == health.Level.AMBER
    assert result.findings[0].message == (
        "1 mandatory checklist item is overdue, the oldest by 3 days."
    )


@pytest.mark.django_db
def test_seed_demo_refuses_under_production_settings(settings):
    settings.IS_PRODUCTION = True
    with pytest.raises(CommandError, match="refuses"):
        call_command("seed_demo")
    assert Project.objects.count() == 0
