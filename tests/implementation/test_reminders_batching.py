"""The dispatch at scale: rows written in batches, one agenda per project shared by its members."""

import contextlib
import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from implementation import digest
from implementation.choices import PhaseKind, PhaseStatus
from implementation.models import ReminderStatus, ReviewReminder
from implementation.services import reminders
from kpis.choices import Cadence
from projects.choices import Role
from projects.models import Membership, Project
from projects.shared_parts import shared_project_parts
from tests.factories import (
    ChecklistItemFactory,
    MembershipFactory,
    PhaseFactory,
    ProjectFactory,
)
from tests.hypercare.factories import a_ticket
from tests.implementation.factories_reviews import ActionItemFactory
from tests.implementation.test_digest import NOW, TODAY, add_kpi, assigned, fixed
from tests.implementation.test_reminders_services import dispatch, due_project, team
from tests.uat.signoff_builders import passing_cycle, requested
from tests.uat.test_cycles_factories import make_defect


@pytest.fixture
def counted_agendas(monkeypatch):
    built = []
    original = digest.build_agenda

    def build_agenda(*, project, now=None):
        built.append(project.pk)
        return original(project=project, now=now)

    monkeypatch.setattr(digest, "build_agenda", build_agenda)
    return built


@pytest.mark.django_db(transaction=True)
def test_a_dispatch_builds_each_projects_agenda_once_for_all_its_members(counted_agendas):
    # Real commits: the sends run when each batch commits, inside the dispatch.
    first, second = due_project(), due_project()
    team(first, 3)
    team(second, 2)

    assert reminders.reminders_dispatch() == 5

    assert len(mail.outbox) == 5
    assert sorted(counted_agendas) == sorted([first.pk, second.pk])


@pytest.mark.django_db
def test_outside_a_dispatch_every_digest_builds_its_own_agenda(counted_agendas):
    project = due_project()
    users = team(project, 2)

    for user in users:
        digest.build_digest(project=project, user=user)

    assert counted_agendas == [project.pk, project.pk]


@pytest.mark.django_db
def test_rows_are_written_in_batches_and_a_second_dispatch_creates_none(
    django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(reminders, "ROWS_PER_COMMIT", 2)
    project = due_project()
    team(project, 5)

    assert dispatch(django_capture_on_commit_callbacks) == 5
    assert dispatch(django_capture_on_commit_callbacks) == 0

    assert ReviewReminder.objects.count() == 5
    assert len(mail.outbox) == 5


@pytest.mark.django_db
def test_the_recipients_of_many_projects_come_in_one_query(django_assert_num_queries):
    projects = [due_project() for _ in range(3)]
    for project in projects:
        team(project, 2)
    team(projects[0], 1, digest_opt_out=True)

    with django_assert_num_queries(1):
        recipients = reminders._recipients_of(projects)

    assert [len(recipients[project.pk]) for project in projects] == [2, 2, 2]
    assert all(
        [user.pk for user in users] == sorted(user.pk for user in users)
        for users in recipients.values()
    )


# --- One team, one set of queries -------------------------------------------------------------


def rich_team(count: int):
    """A project where a key user and `count` pilot users each have something in every
    personal section, with a ticket handler, an executive and a ticket past its SLA."""
    project = ProjectFactory()
    pm = MembershipFactory(project=project, role=Role.PROJECT_MANAGER).user
    it = MembershipFactory(project=project, role=Role.IT).user
    MembershipFactory(project=project, role=Role.EXECUTIVE)
    key_user = MembershipFactory(project=project, role=Role.KEY_USER).user
    phase = PhaseFactory(
        project=project, kind=PhaseKind.DEVELOPMENT, status=PhaseStatus.IN_PROGRESS
    )
    cycle = passing_cycle(project, key_user)
    pilots = [MembershipFactory(project=project, role=Role.PILOT_USER).user for _ in range(count)]
    a_ticket(project, pm, title="Late", at=timezone.now() - datetime.timedelta(days=30))
    for n, user in enumerate([key_user, *pilots]):
        ChecklistItemFactory(phase=phase, owner=user, due_date=TODAY)
        ActionItemFactory(project=project, owner=user, due_date=TODAY)
        assigned(make_defect(project, it), user)
        fixed(make_defect(project, user, cycle=cycle), it)
        add_kpi(project, pm, user, f"KPI {n}", Cadence.WEEKLY)
        requested(project, pm, cycle, (user, "Business owner"), (pm, "Sponsor"))
        a_ticket(project, user, title=f"Ticket {n}", assignee=it)
    return project


def every_digest(project, *, shared: bool):
    """Each member's subject and e-mail text, built one by one or within a dispatch's scope."""
    members = Membership.objects.filter(project=project).select_related("user").order_by("pk")
    scope = shared_project_parts() if shared else contextlib.nullcontext()
    mails = {}
    with scope:
        for membership in members:
            fresh = Project.objects.get(pk=project.pk)  # each reminder reads its own project
            built = digest.build_digest(project=fresh, user=membership.user, now=NOW)
            content = digest.render_digest_email(built)
            mails[membership.user.pk] = (content.subject, content.text, content.html)
    return mails


@pytest.mark.django_db
def test_within_a_dispatch_every_member_gets_the_same_e_mail_as_when_built_alone(settings):
    settings.SITE_URL = "https://rollout.example.com"
    project = rich_team(2)

    alone = every_digest(project, shared=False)

    assert every_digest(project, shared=True) == alone
    assert sum(" things for you" in subject for subject, _text, _html in alone.values()) >= 3


@pytest.mark.django_db
def test_within_a_dispatch_more_members_cost_no_more_queries_but_the_support_team_check():
    counts = []
    for pilots in (0, 4):
        project = rich_team(pilots)
        every_digest(project, shared=True)  # warm the caches (content types, templates)
        with CaptureQueriesContext(connection) as queries:
            every_digest(project, shared=True)
        # Less the per-member reading of the project the loop does itself.
        counts.append(len(queries) - Membership.objects.filter(project=project).count())

    # With a ticket past its SLA, policy.can_handle_tickets asks once for each member
    # outside the ticket handlers' roles (named on the hypercare team?); nothing else.
    assert counts[1] - counts[0] == 4, counts


@pytest.mark.django_db
def test_within_a_dispatch_the_project_kpis_are_read_once():
    project = rich_team(2)

    def kpi_reads(*, shared):
        with CaptureQueriesContext(connection) as queries:
            every_digest(project, shared=shared)
        # The KPIs themselves (the health facts' counts per KPI are another query).
        rows = 'SELECT "kpis_kpi"."id"'
        return sum(query["sql"].startswith(rows) for query in queries.captured_queries)

    every_digest(project, shared=True)  # warm the caches
    # The agenda, the executive's weekly status and the members' KPI sections all show
    # KPIs: built alone, each member's digest reads them more than once.
    assert kpi_reads(shared=True) == 1
    assert kpi_reads(shared=False) > Membership.objects.filter(project=project).count()


@pytest.mark.django_db
def test_within_a_dispatch_the_agenda_is_rendered_once_per_project(monkeypatch):
    project = rich_team(1)
    rendered = []
    original = digest.render_to_string

    def render_to_string(name, context=None):
        rendered.append(name)
        return original(name, context)

    monkeypatch.setattr(digest, "render_to_string", render_to_string)
    every_digest(project, shared=True)

    members = Membership.objects.filter(project=project).count()
    assert sorted(name for name in rendered if name.endswith("#agenda")) == [
        "implementation/email/digest.html#agenda",
        "implementation/email/digest.txt#agenda",
    ]
    assert len(rendered) == 2 + 2 * members


# --- Sending ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_member_who_leaves_after_dispatch_is_skipped():
    project = due_project()
    [user] = team(project, 1)
    [pk] = reminders.reminders_create(queue=False)
    Membership.objects.filter(project=project, user=user).delete()

    reminder = reminders.reminder_send(reminder_pk=pk)

    assert (reminder.status, reminder.last_error) == (
        ReminderStatus.SKIPPED,
        "No longer on the team.",
    )
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_sent_reminder_returns_what_the_row_holds():
    project = due_project()
    team(project, 1)
    [pk] = reminders.reminders_create(queue=False)

    reminder = reminders.reminder_send(reminder_pk=pk)

    stored = ReviewReminder.objects.get(pk=pk)
    fields = ["status", "attempts", "claimed_at", "sending_started_at", "sent_at", "last_error"]
    assert [getattr(reminder, f) for f in fields] == [getattr(stored, f) for f in fields]
    assert reminder.status == ReminderStatus.SENT


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="SQLite's journal settings",
)
def test_sqlite_files_run_in_wal_mode_with_normal_sync(tmp_path):
    wrapper = SQLiteWrapper({**settings.DATABASES["default"], "NAME": str(tmp_path / "db.sqlite3")})
    # A raw connection as Django opens one (with its init commands), outside the test database.
    raw = wrapper.get_new_connection(wrapper.get_connection_params())
    try:
        journal_mode = raw.execute("PRAGMA journal_mode").fetchone()[0]
        synchronous = raw.execute("PRAGMA synchronous").fetchone()[0]
    finally:
        raw.close()

    assert (journal_mode, synchronous) == ("wal", 1)  # 1 is NORMAL
