"""The weekly digest: each member's personal slice before the review, the executive's status,
the e-mail it renders to, and a fixed number of queries."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from implementation.agenda import MANDATORY, OVERDUE
from implementation.choices import ActionItemStatus, PhaseKind, PhaseStatus
from implementation.digest import DIGEST_LIMIT, build_digest, render_digest_email
from kpis import services as kpi_services
from kpis.choices import Cadence
from projects.choices import Role
from projects.models import Project
from tests.factories import (
    ChecklistItemFactory,
    MembershipFactory,
    PhaseFactory,
    ProjectFactory,
)
from tests.implementation.factories_reviews import ActionItemFactory
from tests.uat.signoff_builders import passing_cycle, requested, sign
from tests.uat.test_cycles_factories import make_cycle, make_defect, make_scope
from uat.choices import DefectStatus, Severity, SigningOrder
from uat.models import Defect
from uat.services.signoffs import awaiting

pytestmark = pytest.mark.django_db

HANOI = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
# Wednesday 25 November 2026, 10:00 in Hanoi: the next review is Monday 30 November, 09:00.
NOW = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=HANOI)
TODAY = datetime.date(2026, 11, 25)
MEETING_DAY = datetime.date(2026, 11, 30)
SITE = "https://rollout.example.com"


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def phase(project):
    return PhaseFactory(
        project=project, kind=PhaseKind.DEVELOPMENT, position=3, status=PhaseStatus.IN_PROGRESS
    )


def texts(section) -> list[str]:
    return [item.text for item in section.items]


def digest_for(project, user, now=NOW):
    return build_digest(project=project, user=user, now=now)


# --- Checklist items ----------------------------------------------------------------------


def test_checklist_items_are_mine_open_and_overdue_or_due_within_a_week_after_the_meeting(
    project, phase, key_user, pilot_user
):
    other_project_phase = PhaseFactory(kind=PhaseKind.DEVELOPMENT)
    completed = PhaseFactory(
        project=project, kind=PhaseKind.DESIGN, position=2, status=PhaseStatus.COMPLETED
    )
    mine = {"phase": phase, "owner": key_user}
    ChecklistItemFactory(**mine, title="Overdue", due_date=TODAY - days(3))
    ChecklistItemFactory(
        **mine, title="Due soon, optional", due_date=MEETING_DAY + days(7), is_mandatory=False
    )
    ChecklistItemFactory(**mine, title="Too far", due_date=MEETING_DAY + days(8))
    ChecklistItemFactory(**mine, title="No due date", due_date=None)
    ChecklistItemFactory(**mine, title="Done", due_date=TODAY - days(3), done_at=NOW)
    ChecklistItemFactory(phase=phase, owner=pilot_user, title="Someone else's", due_date=TODAY)
    ChecklistItemFactory(phase=completed, owner=key_user, title="Waived", due_date=TODAY)
    ChecklistItemFactory(
        phase=other_project_phase, owner=key_user, title="Other project", due_date=TODAY
    )

    section = digest_for(project, key_user).section("checklist_items")

    assert section.title == "Your checklist items"
    assert [(i.text, i.due_date, i.flags) for i in section.items] == [
        ("Overdue", TODAY - days(3), (OVERDUE, MANDATORY)),
        ("Due soon, optional", MEETING_DAY + days(7), ()),
    ]
    overdue = phase.checklist_items.get(title="Overdue")
    assert section.items[0].detail == "Development · mandatory"
    assert section.items[0].url == f"{SITE}/projects/HNR-ERP/phases/development/#item-{overdue.pk}"


# --- Action items -------------------------------------------------------------------------


def test_action_items_are_mine_open_and_overdue_or_due_within_a_week_after_the_meeting(
    project, key_user, pilot_user
):
    mine = {"project": project, "owner": key_user}
    ActionItemFactory(**mine, title="Late", due_date=TODAY - days(1))
    ActionItemFactory(
        **mine, title="Started", due_date=MEETING_DAY, status=ActionItemStatus.IN_PROGRESS
    )
    ActionItemFactory(**mine, title="Done", due_date=TODAY, status=ActionItemStatus.DONE)
    ActionItemFactory(**mine, title="Cancelled", due_date=TODAY, status=ActionItemStatus.CANCELLED)
    ActionItemFactory(**mine, title="Later", due_date=MEETING_DAY + days(8))
    ActionItemFactory(project=project, owner=pilot_user, title="Someone else's", due_date=TODAY)
    other = MembershipFactory(user=key_user).project  # key_user is on another project too
    ActionItemFactory(project=other, owner=key_user, title="Other project", due_date=TODAY)

    section = digest_for(project, key_user).section("action_items")

    assert [(i.text, i.detail, i.flags) for i in section.items] == [
        ("Late", "Open", (OVERDUE,)),
        ("Started", "In progress", ()),
    ]
    assert section.items[0].url.startswith(f"{SITE}/projects/HNR-ERP/actions/#action-")


# --- Defects ------------------------------------------------------------------------------


def assigned(defect, user, status=None):
    Defect.objects.filter(pk=defect.pk).update(assignee=user, status=status or defect.status)
    return defect


def test_assigned_defects_are_the_open_ones_assigned_to_me_most_severe_first(
    project, pm, it_member, consultant
):
    medium = assigned(make_defect(project, pm), it_member, DefectStatus.IN_PROGRESS)
    critical = assigned(make_defect(project, pm, severity=Severity.CRITICAL), it_member)
    assigned(make_defect(project, pm), it_member, DefectStatus.CLOSED)
    assigned(make_defect(project, pm), it_member, DefectStatus.REJECTED)
    assigned(make_defect(project, pm), consultant)
    other = ProjectFactory()
    assigned(make_defect(other, pm), it_member)

    section = digest_for(project, it_member).section("assigned_defects")

    assert [(i.text, i.detail) for i in section.items] == [
        (f"DEF-{critical.number} · {critical.title}", "Critical · New"),
        (f"DEF-{medium.number} · {medium.title}", "Medium · In progress"),
    ]
    assert section.items[0].url == f"{SITE}/projects/HNR-ERP/uat/defects/{critical.number}/"


def fixed(defect, by):
    Defect.objects.filter(pk=defect.pk).update(status=DefectStatus.FIXED, fixed_by=by)
    return defect


def test_fixes_await_my_retest_when_i_may_retest_did_not_fix_and_reported_or_test_the_cycle(
    project, pm, it_member, pilot_user, key_user
):
    cycle = make_cycle(project)
    make_scope(cycle, 1, pilot_user)
    reported = fixed(make_defect(project, pilot_user), it_member)
    in_my_cycle = fixed(make_defect(project, key_user, cycle=cycle), it_member)
    fixed(make_defect(project, key_user), it_member)  # not mine: another's, no cycle
    fixed(make_defect(project, pilot_user), pilot_user)  # I fixed it myself
    make_defect(project, pilot_user, status=DefectStatus.IN_PROGRESS)  # not fixed yet
    fixed(make_defect(ProjectFactory(), pilot_user), it_member)  # another project

    section = digest_for(project, pilot_user).section("retest_defects")

    assert texts(section) == [
        f"DEF-{reported.number} · {reported.title}",
        f"DEF-{in_my_cycle.number} · {in_my_cycle.title}",
    ]


def test_no_retest_for_a_member_who_may_not_retest(project, pm, it_member):
    fixed(make_defect(project, pm), it_member)  # the project manager reported it

    section = digest_for(project, pm).section("retest_defects")

    assert section.items == ()
    assert section.empty_text == "No fix is awaiting your re-test."


# --- Signatures ---------------------------------------------------------------------------


def test_a_signature_in_order_is_awaited_only_when_it_is_my_turn(
    project, pm, pilot_user, key_user, executive
):
    cycle = passing_cycle(project, pilot_user)
    signoff = requested(
        project,
        pm,
        cycle,
        (key_user, "Business owner"),
        (executive, "Sponsor"),
        order=SigningOrder.SEQUENTIAL,
    )

    first = digest_for(project, key_user).section("signatures")
    second = digest_for(project, executive).section("signatures")

    assert [(i.text, i.detail) for i in first.items] == [
        (f"{signoff.display_number} · {signoff.title}", "Sign as Business owner")
    ]
    assert first.items[0].url == f"{SITE}/projects/HNR-ERP/sign-offs/{signoff.number}/"
    assert second.items == ()

    sign(key_user, signoff)

    assert digest_for(project, key_user).section("signatures").items == ()
    assert texts(digest_for(project, executive).section("signatures")) == [
        f"{signoff.display_number} · {signoff.title}"
    ]
    assert [s.user for s in awaiting(signoff)] == [executive]


def test_a_signature_in_parallel_is_awaited_from_every_signatory_at_once(
    project, pm, pilot_user, key_user, executive
):
    cycle = passing_cycle(project, pilot_user)
    requested(project, pm, cycle, (key_user, "Business owner"), (executive, "Sponsor"))

    assert len(digest_for(project, key_user).section("signatures").items) == 1
    assert len(digest_for(project, executive).section("signatures").items) == 1
    assert digest_for(project, pilot_user).section("signatures").items == ()


# --- KPIs ---------------------------------------------------------------------------------


def add_kpi(project, actor, owner, name, cadence, measured=()):
    """A KPI defined after go-live (so without a baseline), with measurements recorded."""
    kpi = kpi_services.kpi_create(
        actor=actor,
        project=project,
        name=name,
        category="quality",
        unit="errors",
        direction="lower",
        target_value=Decimal("5"),
        target_date=project.target_go_live + days(200),
        owner=owner,
        cadence=cadence,
    )
    for day in measured:
        kpi_services.measurement_record(actor=actor, kpi=kpi, measured_on=day, value=Decimal("8"))
    return kpi


def test_kpis_owed_are_mine_and_due_by_the_meeting_day_or_overdue(project, pm, key_user):
    # The factory project went live on 2026-10-05.
    add_kpi(project, pm, key_user, "Weekly active users", Cadence.WEEKLY)  # due 2026-10-12
    add_kpi(project, pm, key_user, "Orders per hour", Cadence.WEEKLY, [datetime.date(2026, 11, 20)])
    add_kpi(project, pm, key_user, "Invoice errors", Cadence.MONTHLY, [datetime.date(2026, 11, 10)])
    add_kpi(project, pm, key_user, "Quarterly survey", Cadence.QUARTERLY)  # due 2027-01-05
    add_kpi(project, pm, pm, "Someone else's", Cadence.WEEKLY)

    section = digest_for(project, key_user).section("kpi_measurements")

    assert [(i.text, i.due_date, i.flags) for i in section.items] == [
        ("Weekly active users", datetime.date(2026, 10, 12), (OVERDUE,)),
        ("Orders per hour", datetime.date(2026, 11, 27), ()),
    ]
    assert section.items[1].detail == "Weekly · last measured 2026-11-20: 8 errors"


# --- The executive's status ---------------------------------------------------------------


def test_the_weekly_status_is_for_executives_only(project, pm, executive, pilot_user):
    PhaseFactory(project=project, kind=PhaseKind.DISCOVERY, status=PhaseStatus.COMPLETED)
    build = PhaseFactory(
        project=project, kind=PhaseKind.DEVELOPMENT, position=3, status=PhaseStatus.IN_PROGRESS
    )
    ChecklistItemFactory(phase=build, done_at=NOW)
    ChecklistItemFactory(phase=build)
    cycle = make_cycle(project, name="UAT round 2")
    make_defect(project, pilot_user, cycle=cycle)
    add_kpi(project, pm, pm, "Weekly active users", Cadence.WEEKLY)

    assert digest_for(project, pm).status is None
    status = digest_for(project, executive).status

    assert [(p.name, p.status, p.done, p.total, p.is_current) for p in status.phases] == [
        ("Discovery & planning", "Completed", 0, 0, False),
        ("Development", "In progress", 1, 2, True),
    ]
    assert status.health == "Red"
    assert status.health_css == "red"
    assert (
        "The go-live date 2026-10-05 has passed with 1 phase still open." in status.health_reasons
    )
    assert (status.uat.cycle, status.uat.planned, status.uat.executed) == ("UAT round 2", 0, 0)
    assert (status.uat.passed, status.uat.open_defects) == (0, 1)
    assert (status.signoffs_pending, status.signoffs_signed) == (0, 0)
    assert dict(status.kpi_counts)["No baseline"] == 1
    assert status.kpi_total == 1

    mail = render_digest_email(digest_for(project, executive))
    assert "== Weekly status ==" in mail.text
    assert "Health: Red" in mail.text
    assert "UAT, UAT round 2: 0 of 0 scenarios executed, 0 passed, 1 open defects." in mail.text
    assert "Weekly status" in mail.html
    assert "Weekly status" not in render_digest_email(digest_for(project, pm)).text


def opt_out_url() -> str:
    """The opt-out page once the reminders bring it, the project page until then."""
    try:
        return SITE + reverse("implementation:reminder-opt-out", args=["HNR-ERP"])
    except NoReverseMatch:
        return f"{SITE}/projects/HNR-ERP/"


# --- The e-mail ---------------------------------------------------------------------------


def test_an_empty_digest_says_so_and_still_carries_the_agenda(project, viewer):
    digest = digest_for(project, viewer)

    assert digest.is_empty
    assert digest.status is None
    mail = render_digest_email(digest)
    assert mail.subject == "[HNR-ERP] Weekly review Mon 30 Nov 09:00: nothing for you"
    assert "Nothing is waiting for you before the meeting." in mail.text
    assert "== Agenda ==" in mail.text
    assert "No open action items." in mail.text
    assert f"Stop these e-mails: {opt_out_url()}\n" in mail.text


def test_the_subject_counts_the_things_for_me(project, phase, key_user):
    ActionItemFactory(project=project, owner=key_user, due_date=TODAY)
    assert render_digest_email(digest_for(project, key_user)).subject == (
        "[HNR-ERP] Weekly review Mon 30 Nov 09:00: 1 thing for you"
    )
    ActionItemFactory(project=project, owner=key_user, due_date=TODAY)
    ChecklistItemFactory(phase=phase, owner=key_user, due_date=TODAY)

    assert render_digest_email(digest_for(project, key_user)).subject == (
        "[HNR-ERP] Weekly review Mon 30 Nov 09:00: 3 things for you"
    )


def test_text_and_html_carry_the_items_with_absolute_links(project, phase, key_user, pm):
    item = ChecklistItemFactory(
        phase=phase, owner=key_user, title="Sign the data migration plan", due_date=TODAY - days(2)
    )
    action = ActionItemFactory(
        project=project, owner=key_user, title="Book the training room", due_date=MEETING_DAY
    )

    mail = render_digest_email(digest_for(project, key_user))

    item_url = f"{SITE}/projects/HNR-ERP/phases/development/#item-{item.pk}"
    action_url = f"{SITE}/projects/HNR-ERP/actions/#action-{action.pk}"
    assert "== Your checklist items (1) ==" in mail.text
    assert "- Sign the data migration plan\n  Development · mandatory\n" in mail.text
    assert "OVERDUE: was due Mon 23 Nov 2026" in mail.text
    assert f"  {item_url}\n" in mail.text
    assert "- Book the training room\n  Open\n  Due Mon 30 Nov 2026\n" in mail.text
    assert f"  {action_url}\n" in mail.text
    # The agenda's own links are made absolute too.
    assert f"{SITE}/projects/HNR-ERP/actions/#action-{action.pk}" in mail.text.split("Agenda")[1]
    assert f'<a href="{item_url}"' in mail.html
    assert f'<a href="{action_url}"' in mail.html
    assert "Sign the data migration plan" in mail.html
    assert 'href="/' not in mail.html
    assert "Hello " + key_user.display_name in mail.text
    assert f'<a href="{opt_out_url()}"' in mail.html


def test_html_escapes_a_hostile_title_and_text_keeps_it_as_written(project, phase, key_user):
    hostile = '<script>alert("x")</script> & <b>co</b>'
    ChecklistItemFactory(phase=phase, owner=key_user, title=hostile, due_date=TODAY)

    mail = render_digest_email(digest_for(project, key_user))

    assert f"- {hostile}\n" in mail.text
    assert "<script>" not in mail.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;co&lt;/b&gt;" in (
        mail.html
    )


def test_sections_stop_at_the_limit_and_say_how_many_more(project, key_user):
    for _ in range(DIGEST_LIMIT + 3):
        ActionItemFactory(project=project, owner=key_user, due_date=TODAY)

    digest = digest_for(project, key_user)
    section = digest.section("action_items")

    assert (len(section.items), section.count, section.hidden) == (DIGEST_LIMIT, 23, 3)
    mail = render_digest_email(digest)
    assert mail.subject.endswith(": 23 things for you")
    assert f"... and 3 more: {SITE}/projects/HNR-ERP/actions/" in mail.text
    assert "... and 3 more" in mail.html


# --- Time zone ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected_day", "subject_when"),
    [
        pytest.param(
            datetime.datetime(2026, 11, 30, 1, 30, tzinfo=datetime.UTC),  # 08:30 in Bangkok
            datetime.date(2026, 11, 30),
            "Mon 30 Nov 09:00",
            id="before-the-slot",
        ),
        pytest.param(
            datetime.datetime(2026, 11, 30, 2, 30, tzinfo=datetime.UTC),  # 09:30 in Bangkok
            datetime.date(2026, 12, 7),
            "Mon 7 Dec 09:00",
            id="after-the-slot",
        ),
    ],
)
def test_the_meeting_time_is_in_the_project_time_zone(settings, now, expected_day, subject_when):
    settings.TIME_ZONE = "UTC"
    project = ProjectFactory(code="BKK-ERP", time_zone="Asia/Bangkok")
    user = MembershipFactory(project=project).user

    digest = build_digest(project=project, user=user, now=now)

    assert digest.meeting_at.tzinfo == zoneinfo.ZoneInfo("Asia/Bangkok")
    assert digest.meeting_at.utcoffset() == datetime.timedelta(hours=7)
    assert (digest.meeting_at.date(), digest.meeting_at.time()) == (
        expected_day,
        datetime.time(9, 0),
    )
    mail = render_digest_email(digest)
    assert mail.subject == f"[BKK-ERP] Weekly review {subject_when}: nothing for you"
    assert f"{expected_day:%d %B %Y}".lstrip("0") + ", 09:00" in mail.text


# --- Queries ------------------------------------------------------------------------------


def fill(project, phase, cycle, user, fixer, signers, count):
    """`count` items in every personal section of `user`, and as many agenda rows."""
    for n in range(count):
        ChecklistItemFactory(phase=phase, owner=user, due_date=TODAY)
        ActionItemFactory(project=project, owner=user, due_date=TODAY)
        assigned(make_defect(project, fixer), user)
        fixed(make_defect(project, user, cycle=cycle), fixer)
        add_kpi(project, signers[0], user, f"KPI {project.pk}-{n}", Cadence.WEEKLY)
        requested(project, signers[0], cycle, (user, "Business owner"), (signers[1], "Sponsor"))


def count_queries(project_pk, user) -> int:
    project = Project.objects.get(pk=project_pk)  # a fresh instance: no cached role
    with CaptureQueriesContext(connection) as queries:
        render_digest_email(build_digest(project=project, user=user, now=NOW))
    return len(queries)


@pytest.mark.parametrize("role", [Role.KEY_USER, Role.EXECUTIVE])
def test_the_digest_costs_the_same_queries_for_2_items_as_for_20(db, role):
    counts = []
    for count in (2, 20):
        project = ProjectFactory()
        pm = MembershipFactory(project=project, role=Role.PROJECT_MANAGER).user
        it = MembershipFactory(project=project, role=Role.IT).user
        user = MembershipFactory(project=project, role=role).user
        other_role = Role.KEY_USER if role == Role.EXECUTIVE else Role.EXECUTIVE
        sponsor = MembershipFactory(project=project, role=other_role).user
        phase = PhaseFactory(
            project=project, kind=PhaseKind.DEVELOPMENT, status=PhaseStatus.IN_PROGRESS
        )
        cycle = passing_cycle(project, user if role == Role.KEY_USER else sponsor)
        fill(project, phase, cycle, user, it, (pm, sponsor), count)
        count_queries(project.pk, user)  # warm the caches (content types, templates)
        counts.append(count_queries(project.pk, user))
        digest = build_digest(project=project, user=user, now=NOW)
        expected = min(count, DIGEST_LIMIT)
        assert len(digest.section("action_items").items) == expected
        assert len(digest.section("signatures").items) == expected

    assert counts[0] == counts[1], counts
