"""The hypercare overview with its exit panel, the settings page and the module usage
review: who sees and does what, the exit criteria turning green and red with the data,
bad input answered with 422 and nothing saved, and query counts that do not grow with rows."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from implementation.choices import ReviewDecision, SlaUnit, TicketStatus
from implementation.models import FeedbackResponse, HypercarePlan, ModuleReview, SlaTarget
from implementation.services import hypercare as services
from kpis.models import Kpi, Measurement
from projects.choices import Department, Role
from tests.factories import UserFactory
from tests.hypercare.factories import a_ticket, moved

LOGIN_URL = "/accounts/login/"
PAGES = ["overview", "settings", "feedback", "feedback-results", "modules"]


def url(name, project) -> str:
    return reverse(f"hypercare:{name}", args=[project.code])


def monday(project, weeks_ago: int, hour: int = 9) -> datetime.datetime:
    """Monday `weeks_ago` weeks back, at `hour` on the project's wall clock."""
    start = services.week_of(project.local_today()) - datetime.timedelta(weeks=weeks_ago)
    return datetime.datetime.combine(
        start, datetime.time(hour), tzinfo=zoneinfo.ZoneInfo(project.time_zone)
    )


def feedback(project, user, weeks_ago: int, satisfaction: int, department=Department.SALES):
    week = services.week_of(project.local_today()) - datetime.timedelta(weeks=weeks_ago)
    return FeedbackResponse.objects.create(
        project=project,
        week=week,
        respondent=user,
        department=department,
        satisfaction=satisfaction,
    )


def add_kpi(project, owner, name, module, **fields) -> Kpi:
    return Kpi.objects.create(
        project=project,
        name=name,
        module=module,
        category="adoption",
        unit="users",
        direction="higher",
        baseline_value=Decimal(0),
        baseline_date=project.target_go_live - datetime.timedelta(days=30),
        target_value=Decimal(40),
        target_date=project.target_go_live + datetime.timedelta(days=180),
        owner=owner,
        cadence="weekly",
        created_by=owner,
        **fields,
    )


def criterion(page: str, key: str) -> str:
    """One exit criterion's list item on the overview."""
    return page.split(f'id="criterion-{key}"', 1)[1].split("</li>\n", 1)[0]


def met(page: str, key: str) -> bool:
    return f'id="criterion-{key}" data-met="true"' in page


# --- Who sees what ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("name", ["overview", "feedback", "feedback-results", "modules"])
def test_every_member_opens_the_hypercare_pages(client, project, members, role, name):
    client.force_login(members[role])

    response = client.get(url(name, project))

    assert response.status_code == 200


@pytest.mark.parametrize("role", list(Role))
def test_only_project_managers_and_consultants_open_the_settings(client, project, members, role):
    client.force_login(members[role])

    response = client.get(url("settings", project))

    assert response.status_code == (200 if role in {Role.PROJECT_MANAGER, Role.CONSULTANT} else 403)


@pytest.mark.parametrize("name", PAGES)
def test_outsider_gets_404_and_anonymous_the_login(client, project, outsider, name):
    anonymous = client.get(url(name, project))
    client.force_login(outsider)
    foreign = client.get(url(name, project))

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(LOGIN_URL)
    assert foreign.status_code == 404


def test_links_follow_the_capabilities(client, project, members):
    settings_link = f'href="{url("settings", project)}"'
    decision_link = f'href="{reverse("signoffs:create", args=[project.code])}?kind=hypercare_exit"'
    pages = {}
    for role in (Role.PROJECT_MANAGER, Role.CONSULTANT, Role.KEY_USER, Role.VIEWER):
        client.force_login(members[role])
        pages[role] = client.get(url("overview", project)).content.decode()

    assert settings_link in pages[Role.PROJECT_MANAGER]
    assert decision_link in pages[Role.PROJECT_MANAGER]
    assert settings_link in pages[Role.CONSULTANT]
    assert decision_link in pages[Role.CONSULTANT]
    assert "only the project manager may request the decision now" in pages[Role.CONSULTANT]
    for role in (Role.KEY_USER, Role.VIEWER):
        assert settings_link not in pages[role]
        assert decision_link not in pages[role]
    # Everyone reads the SLA targets.
    assert "Respond within" in pages[Role.VIEWER]
    assert 'id="sla-targets"' in pages[Role.VIEWER]


# --- The overview and its exit panel ------------------------------------------------------------


def test_the_glance_counts_days_and_open_tickets_by_severity(
    client, project, pm, pilot_user, it_member
):
    project.target_go_live = project.local_today() - datetime.timedelta(days=10)
    project.save()
    services.hypercare_plan_update(
        actor=pm, project=project, planned_end=project.local_today() + datetime.timedelta(days=20)
    )
    a_ticket(project, pilot_user, severity="critical")
    a_ticket(project, pilot_user, severity="high")
    a_ticket(project, pilot_user, severity="high", at=monday(project, 3))  # breached by now
    done = a_ticket(project, pilot_user, severity="low")
    moved(done, it_member, TicketStatus.RESOLVED)
    client.force_login(pilot_user)

    response = client.get(url("overview", project))
    page = response.content.decode()
    seen = response.context["seen"]

    assert (seen.days_since_go_live, seen.days_left) == (10, 20)
    glance = page.split('id="stat-days-since"', 1)[1].split("</div>", 1)[0]
    assert '<span class="stat__value">10</span>' in glance
    assert "days since go-live" in glance
    assert [(row["value"], row["count"], row["breached"]) for row in seen.open_by_severity] == [
        ("critical", 1, 0),
        ("high", 2, 1),
        ("medium", 0, 0),
        ("low", 0, 0),
    ]
    assert (seen.open_total, seen.breached_total) == (3, 1)


def test_an_empty_project_waits_only_for_satisfaction(client, project, pm):
    client.force_login(pm)

    page = client.get(url("overview", project)).content.decode()

    assert met(page, "no_open_critical_tickets")
    assert met(page, "sla_met")
    assert met(page, "inflow_falling")
    assert not met(page, "satisfaction")
    assert "Nobody answered last week&#x27;s feedback round." in criterion(page, "satisfaction")
    assert "1 criterion not met" in page


def test_the_exit_criteria_flip_with_the_data(client, project, pm, pilot_user, key_user):
    client.force_login(pm)
    feedback(project, pilot_user, 1, 5)
    feedback(project, key_user, 1, 4, Department.ACCOUNTING_FINANCE)

    green = client.get(url("overview", project)).content.decode()
    critical = a_ticket(project, pilot_user, severity="critical")
    one_red = client.get(url("overview", project)).content.decode()
    # Raised two weeks ago and never answered: both clocks broke that week, inflow rose.
    a_ticket(project, pilot_user, severity="medium", at=monday(project, 2))
    three_red = client.get(url("overview", project)).content.decode()
    feedback(project, UserFactory(), 1, 1)
    moved(critical, pm, TicketStatus.RESOLVED)
    after = client.get(url("overview", project)).content.decode()

    assert green.count('data-met="true"') == 4
    assert "Ready for the exit decision" in green
    assert "4.5 of 5" in criterion(green, "satisfaction")
    assert not met(one_red, "no_open_critical_tickets")
    assert "1 critical ticket is open." in criterion(one_red, "no_open_critical_tickets")
    assert [met(three_red, key) for key in ("sla_met", "inflow_falling")] == [False, False]
    week = (services.week_of(project.local_today()) - datetime.timedelta(weeks=2)).isoformat()
    assert f"Week of {week}: 2 SLA breaches." in criterion(three_red, "sla_met")
    assert "Tickets raised per week: 0, then 0, 0, 1, 0: not falling for 4 weeks." in criterion(
        three_red, "inflow_falling"
    )
    assert "3 criteria not met" in three_red
    # (5 + 4 + 1) / 3 = 3.33: under the threshold of 4.0.
    assert met(after, "no_open_critical_tickets")
    assert not met(after, "satisfaction")
    assert "Satisfaction last week was 3.3 of 5; 4.0 is needed." in criterion(after, "satisfaction")


def test_the_weeks_table_and_chart_show_raised_resolved_and_satisfaction(
    client, project, pm, pilot_user, it_member
):
    for _ in range(3):
        ticket = a_ticket(project, pilot_user, severity="low", at=monday(project, 2))
    moved(ticket, it_member, TicketStatus.RESOLVED, at=monday(project, 1))
    feedback(project, pilot_user, 1, 4)
    client.force_login(pm)

    response = client.get(url("overview", project))
    weeks = response.context["seen"].weeks
    page = response.content.decode()

    assert [(row["raised"], row["resolved"], row["satisfaction_text"]) for row in weeks] == [
        (0, 0, "–"),
        (0, 0, "–"),
        (3, 0, "–"),
        (0, 1, "4.0"),
    ]
    assert "<svg" in page
    assert "Tickets raised and satisfaction per week" in page
    assert "3 tickets raised" in page


def test_the_exit_decisions_of_the_project_are_listed(client, project, pm, executive):
    from tests.factories import PhaseFactory
    from uat.choices import SignoffKind
    from uat.services import signoffs

    PhaseFactory(project=project, kind="hypercare", position=6)
    signoff = signoffs.signoff_create(
        actor=pm,
        project=project,
        kind=SignoffKind.HYPERCARE_EXIT,
        signatories=[{"user": executive, "role_title": "Sponsor"}],
    )
    client.force_login(executive)

    page = client.get(url("overview", project)).content.decode()

    assert f"SO-{signoff.number}" in page
    assert reverse("signoffs:detail", args=[project.code, signoff.number]) in page
    assert "Draft" in page.split('id="exit-signoffs"', 1)[1]


def test_overview_queries_do_not_grow_with_tickets_or_answers(
    client, project, pm, pilot_user, it_member
):
    client.force_login(pm)

    def build(count):
        for n in range(count):
            ticket = a_ticket(
                project,
                pilot_user,
                severity=["critical", "high", "medium", "low"][n % 4],
                at=monday(project, n % 5),
            )
            if n % 3 == 0:
                moved(ticket, it_member, TicketStatus.RESOLVED, at=monday(project, n % 5, 10))
            feedback(project, UserFactory(), n % 4, 1 + n % 5)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("overview", project)).status_code == 200
        return len(queries)

    build(2)
    few = count_queries()
    build(18)
    many = count_queries()

    assert few == many


# --- Settings -----------------------------------------------------------------------------------


def plan_data(**changes) -> dict:
    return {
        "form": "plan",
        "planned_end": "2027-02-01",
        "work_starts": "08:30",
        "work_ends": "17:30",
        "working_days": ["0", "1", "2", "3", "4", "5"],
        "holidays": "2027-01-01\n\n2026-12-25\n",
        "sla_weeks": "3",
        "inflow_weeks": "2",
        "satisfaction_threshold": "4.2",
    } | changes


def targets_data(**changes) -> dict:
    data = {"form": "targets"}
    for severity, (
        (response, response_unit),
        (resolution, resolution_unit),
    ) in services.DEFAULT_TARGETS.items():
        data |= {
            f"{severity}_response_value": str(response),
            f"{severity}_response_unit": response_unit,
            f"{severity}_resolution_value": str(resolution),
            f"{severity}_resolution_unit": resolution_unit,
        }
    return data | changes


@pytest.mark.parametrize("role", [Role.PROJECT_MANAGER, Role.CONSULTANT])
def test_managers_save_the_hypercare_plan(client, project, members, role):
    client.force_login(members[role])

    response = client.post(url("settings", project), plan_data())

    assert response.status_code == 302
    plan = HypercarePlan.objects.get(project=project)
    assert (
        plan.planned_end,
        plan.work_starts,
        plan.work_ends,
        plan.working_days,
        plan.holidays,
        plan.sla_weeks,
        plan.inflow_weeks,
        plan.satisfaction_threshold,
        plan.updated_by,
    ) == (
        datetime.date(2027, 2, 1),
        datetime.time(8, 30),
        datetime.time(17, 30),
        "0,1,2,3,4,5",
        ["2026-12-25", "2027-01-01"],
        3,
        2,
        Decimal("4.2"),
        members[role],
    )
    form = client.get(url("settings", project)).context["plan_form"]
    assert form["working_days"].value() == ["0", "1", "2", "3", "4", "5"]
    assert form["holidays"].value() == "2026-12-25\n2027-01-01"


@pytest.mark.parametrize("role", [Role.IT, Role.KEY_USER, Role.EXECUTIVE, Role.VIEWER])
def test_other_members_cannot_write_the_settings(client, project, members, role):
    client.force_login(members[role])

    plan = client.post(url("settings", project), plan_data())
    targets = client.post(url("settings", project), targets_data(critical_response_value="2"))

    assert (plan.status_code, targets.status_code) == (403, 403)
    assert not HypercarePlan.objects.exists()
    assert not SlaTarget.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"work_starts": "17:00", "work_ends": "08:00"}, "work_ends", "ends after it starts"),
        ({"holidays": "2026-12-25\n2026-13-01"}, "holidays", "2026-13-01"),
        ({"satisfaction_threshold": "9"}, "satisfaction_threshold", "5"),
        ({"sla_weeks": "0"}, "sla_weeks", "1"),
        ({"working_days": []}, "working_days", "required"),
        ({"working_days": ["7"]}, "working_days", "7"),
        ({"planned_end": "2026-09-01"}, "planned_end", "after go-live"),
    ],
)
def test_a_bad_plan_is_refused_with_422_and_nothing_saved(
    client, project, pm, changes, field, message
):
    client.force_login(pm)

    response = client.post(url("settings", project), plan_data(**changes))

    assert response.status_code == 422
    errors = response.context["plan_form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert not HypercarePlan.objects.exists()


def test_managers_set_every_sla_target_at_once(client, project, consultant):
    client.force_login(consultant)

    response = client.post(
        url("settings", project),
        targets_data(
            critical_response_value="2",
            low_resolution_value="15",
            medium_response_unit=SlaUnit.HOURS,
            medium_response_value="6",
        ),
    )

    assert response.status_code == 302
    assert services.targets(project) == {
        "critical": ((2, "hours"), (4, "hours")),
        "high": ((4, "hours"), (1, "business_days")),
        "medium": ((6, "hours"), (3, "business_days")),
        "low": ((3, "business_days"), (15, "business_days")),
    }
    overview = client.get(url("overview", project)).content.decode()
    assert "2 working hours" in overview
    assert "15 business days" in overview


@pytest.mark.parametrize(
    "changes",
    [
        # Resolving within 2 hours but responding within 3 business days: refused by the
        # service after the severities before it were set; the whole form rolls back.
        {"low_resolution_value": "2", "low_resolution_unit": SlaUnit.HOURS},
        {"high_response_value": "0"},
        {"medium_resolution_unit": "weeks"},
        {"critical_response_value": "many"},
    ],
)
def test_bad_sla_targets_are_refused_with_422_and_none_saved(client, project, pm, changes):
    client.force_login(pm)

    response = client.post(
        url("settings", project), targets_data(**({"critical_response_value": "2"} | changes))
    )

    assert response.status_code == 422
    assert response.context["targets_form"].errors
    assert not SlaTarget.objects.exists()


def test_a_resolution_quicker_than_the_response_names_the_severity_field(client, project, pm):
    client.force_login(pm)

    response = client.post(
        url("settings", project),
        targets_data(low_resolution_value="2", low_resolution_unit=SlaUnit.HOURS),
    )

    assert response.context["targets_form"].errors == {
        "low_resolution_value": ["Resolving cannot take less time than responding."]
    }


# --- Module usage review ------------------------------------------------------------------------


def test_modules_come_from_tickets_kpis_and_reviews_whatever_the_case(
    client, project, pm, pilot_user, it_member
):
    a_ticket(project, pilot_user, module="Sales")
    done = a_ticket(project, pilot_user, module="sales")
    moved(done, it_member, TicketStatus.RESOLVED)
    a_ticket(project, pilot_user, module="Sales", at=monday(project, 8))
    kpi = add_kpi(project, pm, "Quotes entered in the ERP", "SALES")
    Measurement.objects.create(
        kpi=kpi, measured_on=project.local_today(), value=Decimal(12), recorded_by=pm
    )
    add_kpi(project, pm, "Customer visits logged", "")  # no module: not on the page
    services.module_review_record(
        actor=pm, project=project, module="Warehouse", decision="fine", note="Used daily."
    )
    client.force_login(pilot_user)

    response = client.get(url("modules", project))
    rows = {item["row"].key: item for item in response.context["rows"]}
    page = response.content.decode()

    assert sorted(rows) == ["sales", "warehouse"]
    sales = rows["sales"]["row"]
    assert (sales.open_tickets, sales.recent_tickets, sales.tickets_total) == (2, 2, 3)
    assert [item["kpi"].name for item in rows["sales"]["kpis"]] == ["Quotes entered in the ERP"]
    assert rows["sales"]["kpis"][0]["figures"].latest_value == Decimal(12)
    assert "Customer visits logged" not in page
    assert rows["warehouse"]["row"].last_review.note == "Used daily."
    assert "Record a review" not in page  # a pilot user reads, does not review


def test_a_manager_records_a_review_and_the_last_three_show(client, project, pm, consultant):
    for n, decision in enumerate(["fine", "needs_training", "fine"]):
        services.module_review_record(
            actor=pm,
            project=project,
            module="Finance",
            decision=decision,
            note=f"Review {n}",
            reviewed_on=project.local_today() - datetime.timedelta(days=30 - n),
        )
    client.force_login(consultant)

    response = client.post(
        url("modules", project),
        {
            "module": "finance",
            "decision": "needs_change",
            "note": "Month-end close in Excel.",
        },
    )
    page = client.get(url("modules", project)).content.decode()

    assert response.status_code == 302
    latest = ModuleReview.objects.filter(project=project).order_by("-pk").first()
    assert (latest.module, latest.decision, latest.reviewer, latest.reviewed_on) == (
        "finance",
        ReviewDecision.NEEDS_CHANGE,
        consultant,
        project.local_today(),
    )
    assert "Month-end close in Excel." in page
    assert "Review 2" in page
    assert "Review 1" in page
    assert "Review 0" not in page  # only the last three
    assert page.count('class="card module-card"') == 1


@pytest.mark.parametrize(
    "data",
    [
        {"module": "Sales", "decision": "abandon", "note": "No."},
        {"module": "Sales", "decision": "fine", "note": ""},
        {"module": "", "decision": "fine", "note": "Fine."},
    ],
)
def test_a_bad_review_is_refused_with_422_and_nothing_saved(client, project, pm, data):
    client.force_login(pm)

    response = client.post(url("modules", project), data)

    assert response.status_code == 422
    assert not ModuleReview.objects.exists()


@pytest.mark.parametrize("role", [Role.IT, Role.KEY_USER, Role.PILOT_USER, Role.VIEWER])
def test_only_managers_record_reviews(client, project, members, role):
    client.force_login(members[role])

    response = client.post(
        url("modules", project), {"module": "Sales", "decision": "fine", "note": "Fine."}
    )

    assert response.status_code == 403
    assert not ModuleReview.objects.exists()


def test_module_review_queries_do_not_grow_with_modules(client, project, pm, pilot_user):
    client.force_login(pm)

    def build(start, count):
        for n in range(start, start + count):
            module = f"Module {n}"
            a_ticket(project, pilot_user, module=module)
            add_kpi(project, pm, f"KPI {n}", module.upper())
            for m in range(2):
                services.module_review_record(
                    actor=pm, project=project, module=module, decision="fine", note=f"n{m}"
                )

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("modules", project)).status_code == 200
        return len(queries)

    build(0, 2)
    few = count_queries()
    build(2, 18)
    many = count_queries()

    assert few == many
