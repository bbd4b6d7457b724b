"""Demo hypercare: the Hanoi retailer's CRM (customers, loyalty cards, customer care), live
for six weeks, while its ERP roll-out (the main demo project) is still in testing.

What the hypercare pages show for it:

- tickets: 120 raised over the six complete weeks since go-live, 34, 28, 22, 17, 11 and 8 a
  week, mostly medium and low, with a few critical and high ones in the first weeks (the
  POS connector and the first SMS campaign). Store staff and the pilot users raise them;
  the sales pilot user, on the hypercare team, answers first and IT or the consultant fix.
  Five SLA breaches in the first two weeks, none since; a few tickets reopened, one logged
  as a defect of the POS connector, a handful still open;
- weekly feedback from the pilot users and the champions, satisfaction rising from 3.0 to
  4.2 of 5;
- module reviews of loyalty, customers, the sales pipeline and customer care;
- adoption KPIs per module, measured every week since go-live.

So the hypercare exit panel is green on all four criteria: no critical ticket open, four
weeks without a breach, inflow falling over the last four weeks (28 before the window, then
22, 17, 11, 8), and last week's satisfaction 4.2 against 4.0. The team can request the exit
sign-off.

Every record goes through the services, with "now" set to the moment it would have
happened (tickets get real SLA clocks that way). The project goes live on the Monday six
weeks before the week of the seed's "today"; nothing is dated after the real present (a
step that would be is left undone, and its ticket stays open). Running the seed again adds
nothing.
"""

import datetime
import random
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from unittest import mock

from django.utils import timezone

from implementation import sla
from implementation.choices import PhaseKind, ReviewDecision, TicketStatus
from implementation.models import Phase
from implementation.services import hypercare
from implementation.services import phases as phase_services
from kpis import services as kpi_services
from kpis.choices import Cadence, Direction, KpiCategory
from projects import services as project_services
from projects.choices import Department, ProjectStatus, SystemKind
from projects.models import Membership, Project, User
from uat.choices import Severity

LIVE_CODE = "HNR-CRM"
WEEKS = 6
WEEKLY_INFLOW = (34, 28, 22, 17, 11, 8)
# Tickets per severity and week: critical and high fade after the first weeks.
WEEKLY_SEVERITIES = {
    Severity.CRITICAL: (2, 1, 1, 0, 0, 0),
    Severity.HIGH: (5, 4, 3, 2, 1, 1),
    Severity.MEDIUM: (13, 11, 9, 7, 5, 3),
}
BREACHES_PER_WEEK = (3, 2, 0, 0, 0, 0)
REOPENED_WEEKS = (1, 2, 2, 3)  # one ticket reopened from each of these weeks (0-based)

MIN = datetime.timedelta(minutes=1)

STORES = (
    "Cầu Giấy",
    "Long Biên",
    "Hà Đông",
    "Đống Đa",
    "Hoàn Kiếm",
    "Tây Hồ",
    "Thanh Xuân",
    "Hai Bà Trưng",
    "Nam Từ Liêm",
    "Gia Lâm",
    "Hoàng Mai",
    "Ba Đình",
)


@dataclass(frozen=True)
class _Template:
    module: str
    title: str
    description: str
    impact: str


TEMPLATES = {
    Severity.CRITICAL: (
        _Template(
            "POS integration",
            "Tills at {store} cannot look up loyalty members",
            "Since opening, the member search on the POS times out; cashiers skip the card.",
            "Checkout queue of 15 people at {store}; members lose their points.",
        ),
        _Template(
            "Campaigns",
            "Promotion SMS sent twice to the whole member base",
            "The 11:00 campaign went out at 11:00 and again at 11:20 to about 40,000 members.",
            "SMS cost doubled and members complain on the Zalo page.",
        ),
        _Template(
            "Loyalty",
            "Point balances shown as zero after the night sync",
            "Members see 0 points in the Zalo mini app; the till shows the same.",
            "No member can redeem points in any store today.",
        ),
    ),
    Severity.HIGH: (
        _Template(
            "Loyalty",
            "No points for orders paid partly by MoMo at {store}",
            "Split payments (cash + MoMo) create the order without loyalty points.",
            "About 30 orders a day at {store} earn nothing; customers ask at the counter.",
        ),
        _Template(
            "Campaigns",
            "Zalo OA messages not sent since this morning",
            "Order confirmations via the Zalo Official Account stay queued.",
            "Customers phone the hotline to check their orders.",
        ),
        _Template(
            "Customer service",
            "Care requests of {store} not assigned to anyone",
            "Requests from the {store} hotline land in the general queue without an owner.",
            "Complaints wait more than a day; two customers escalated to the store manager.",
        ),
        _Template(
            "Loyalty",
            "Voucher codes rejected at the till in {store}",
            "Codes of the 20/10 campaign show 'not valid' although they run until month end.",
            "Customers leave without buying; the store gives manual discounts.",
        ),
        _Template(
            "Customers",
            "Company customers cannot get a VAT invoice",
            "Tax code and billing address are not sent from the CRM to the invoice.",
            "Accounting re-keys about 20 VAT invoices a day.",
        ),
    ),
    Severity.MEDIUM: (
        _Template(
            "Customers",
            "Duplicate customers after the POS sync (same phone number)",
            "Customers registered at the till and in the app appear twice.",
            "Points are split between the two records; staff merge them by hand.",
        ),
        _Template(
            "Customers",
            "Phone numbers starting with +84 are not found",
            "Searching 0912… finds the customer, +84912… does not.",
            "Staff at {store} register the customer again.",
        ),
        _Template(
            "Sales pipeline",
            "Pipeline board slow to open for the B2B team",
            "The opportunities board takes 20 seconds to load on the office laptops.",
            "Sales reps go back to their Excel list.",
        ),
        _Template(
            "Customers",
            "Cannot merge two customer records",
            "The merge button is greyed out when both records have points.",
            "Duplicates stay; the member sees the wrong balance.",
        ),
        _Template(
            "POS integration",
            "Orders of the web shop carry the wrong store",
            "Online orders picked up at {store} are booked on the head office.",
            "Store sales reports of {store} are too low.",
        ),
        _Template(
            "Loyalty",
            "Member tier not upgraded after 10 million VND",
            "Customers over the Gold threshold stay Silver until someone edits them.",
            "Gold members miss their 5% discount at {store}.",
        ),
        _Template(
            "Campaigns",
            "Facebook lead form drops Vietnamese diacritics",
            "Names arrive as 'Nguyn Th' instead of 'Nguyễn Thị'.",
            "Follow-up calls start with the wrong name.",
        ),
        _Template(
            "Customer service",
            "Care request form lacks the order number field",
            "Hotline staff type the order number into the description.",
            "Requests cannot be matched to orders in reports.",
        ),
        _Template(
            "Reports",
            "Weekly member report misses the {store} store",
            "The store filter of the report lists eleven stores.",
            "The area manager cannot review {store}'s sign-ups.",
        ),
    ),
    Severity.LOW: (
        _Template(
            "Campaigns",
            "Typo in the birthday SMS template",
            "'Chúc mừng sinh nhât' should read 'sinh nhật'.",
            "Looks careless to customers.",
        ),
        _Template(
            "Customers",
            "Add the district to the customer list",
            "Store staff want to sort customers by district for deliveries.",
            "Deliveries are planned by hand from addresses.",
        ),
        _Template(
            "Reports",
            "Exported report file named in English",
            "The Excel export is called 'Member_Report'; staff expect a Vietnamese name.",
            "Minor: files are hard to find in the shared folder.",
        ),
        _Template(
            "Customer service",
            "How do I transfer a customer to another store?",
            "A customer moved from {store}; the store manager asks how to move them.",
            "None yet; the customer is still served.",
        ),
        _Template(
            "Customers",
            "Filter customers by last purchase date",
            "Marketing wants to find members who have not bought for 90 days.",
            "A win-back campaign waits for the list.",
        ),
        _Template(
            "Loyalty",
            "Points history hard to read on the store tablet",
            "The font of the points history is very small on the 8-inch tablets at {store}.",
            "Staff read balances aloud wrongly now and then.",
        ),
    ),
}

REPORTERS = ("sales", "warehouse", "keyuser", "hr", "sales", "keyuser", "executive")
FIRST_LINE = "sales"  # pilot user on the hypercare team: answers first
FIXERS = {
    "POS integration": "it",
    "Campaigns": "it",
    "Reports": "it",
    "Loyalty": "consultant",
    "Customers": "consultant",
    "Sales pipeline": "consultant",
    "Customer service": "consultant",
}

# Four people answer the weekly round: key user, the sales, warehouse and HR pilot users.
FEEDBACK = (
    (
        (
            "keyuser",
            3,
            "VAT invoices for companies still keyed twice.",
            "Hotline answers fast.",
        ),
        ("sales", 2, "Member search at the till is slow; queues at lunch.", ""),
        ("warehouse", 3, "Web orders booked on the wrong store.", "Zalo group with IT."),
        ("hr", 4, "", "Store staff like the member app."),
    ),
    (
        ("keyuser", 3, "VAT invoice data still missing for some companies.", ""),
        ("sales", 3, "Points lost on split payments.", "Search is faster since Tuesday."),
        ("warehouse", 3, "", "Fixes come the same day."),
        ("hr", 4, "", "Short videos on the tablets help new staff."),
    ),
    (
        ("keyuser", 3, "Duplicate customers split the points.", "VAT invoices fixed."),
        ("sales", 4, "", "Vouchers work again."),
        ("warehouse", 4, "", "Store is right on web orders now."),
        ("hr", 3, "Staff forget to search by phone first.", ""),
    ),
    (
        ("keyuser", 4, "", "Merge of duplicates works."),
        ("sales", 4, "B2B team still uses Excel for deals.", ""),
        ("warehouse", 4, "", ""),
        ("hr", 3, "Refresher for new store staff needed.", "Champions answer questions."),
    ),
    (
        ("keyuser", 4, "", "Month reports match the POS now."),
        ("sales", 4, "", "Pipeline board loads quickly."),
        ("warehouse", 4, "", ""),
        ("hr", 4, "", "Refresher at the Monday meeting worked."),
    ),
    (
        ("keyuser", 4, "", "Few tickets left, all small."),
        ("sales", 5, "", "Customers use the app to check points."),
        ("warehouse", 4, "", ""),
        ("hr", 4, "", "New staff learn the CRM in a day."),
    ),
)


@dataclass(frozen=True)
class _Review:
    week: int  # 0-based week since go-live; reviewed on its Friday
    module: str
    decision: str
    note: str
    reviewer: str


REVIEWS = (
    _Review(
        1,
        "Loyalty",
        ReviewDecision.NEEDS_CHANGE,
        "Points are lost on split payments (cash + MoMo); logged as a defect of the POS "
        "connector, the vendor fixes it. Voucher validity fixed.",
        "consultant",
    ),
    _Review(
        2,
        "Customers",
        ReviewDecision.NEEDS_TRAINING,
        "Store staff register customers instead of searching by phone first: about 1,200 "
        "duplicates in three weeks. Refresher at the Monday store meeting; champions check.",
        "consultant",
    ),
    _Review(
        3,
        "Sales pipeline",
        ReviewDecision.NEEDS_TRAINING,
        "The B2B team of four still keeps deals in Excel: a half-day session on the "
        "pipeline board and deal stages.",
        "pm",
    ),
    _Review(
        4,
        "Customers",
        ReviewDecision.FINE,
        "Duplicates down to about 40 a week after the refresher; phone search is the "
        "default screen on the tills.",
        "consultant",
    ),
    _Review(
        5,
        "Loyalty",
        ReviewDecision.FINE,
        "Connector fixed in week 4; no lost points since. 2,900 new members last week.",
        "consultant",
    ),
    _Review(
        5,
        "Customer service",
        ReviewDecision.FINE,
        "Every hotline request is logged in the CRM; 68% solved on first contact.",
        "pm",
    ),
)


@dataclass(frozen=True)
class _Kpi:
    name: str
    module: str
    category: str
    unit: str
    owner: str
    baseline: Decimal
    method: str
    target: Decimal
    weekly: tuple[Decimal, ...]
    description: str = ""


D = Decimal

KPIS = (
    _Kpi(
        "Store staff active in the CRM each week",
        "Customers",
        KpiCategory.ADOPTION,
        "%",
        "hr",
        D(0),
        "New system: nobody used a CRM before go-live.",
        D(90),
        (D(46), D(58), D(67), D(74), D(81), D(85)),
        "Share of the 96 store staff who looked up or registered a customer in the week.",
    ),
    _Kpi(
        "New loyalty members per week",
        "Loyalty",
        KpiCategory.ADOPTION,
        "members",
        "sales",
        D(650),
        "Paper sign-up forms of the four weeks before go-live, counted by the stores.",
        D(3000),
        (D(1480), D(1920), D(2210), D(2480), D(2750), D(2900)),
    ),
    _Kpi(
        "Care requests solved on first contact",
        "Customer service",
        KpiCategory.SERVICE,
        "%",
        "keyuser",
        D(52),
        "Hotline log book, September: 412 calls, 214 solved in the call.",
        D(75),
        (D(50), D(55), D(59), D(63), D(66), D(68)),
    ),
)


# --- The seed -------------------------------------------------------------------------------


def seed_live_project(*, users: dict[str, User], today: datetime.date) -> Project:
    """Create (once) the live CRM project with six weeks of hypercare behind it."""
    project = Project.objects.filter(code=LIVE_CODE).first()
    if project is not None:
        return project
    zone = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
    real_today = timezone.localdate(timezone=zone)
    anchor = min(today, real_today)
    this_week = hypercare.week_of(anchor)
    go_live = this_week - datetime.timedelta(weeks=WEEKS)
    # Nothing may happen after the real present, nor after the seed's "today".
    cut = min(
        timezone.now() - MIN,
        datetime.datetime.combine(anchor + datetime.timedelta(days=1), datetime.time(), zone),
    )

    def at(day: datetime.date, hour: int = 9, minute: int = 0) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zone)

    start = go_live - datetime.timedelta(days=133)
    with _now(at(start, 9)):
        project = project_services.project_create(
            actor=User.objects.get(pk=users["pm"].pk),  # fresh instance: permissions are cached
            name="Hanoi Retail CRM roll-out",
            code=LIVE_CODE,
            client_organisation="Hanoi Retail JSC (12 stores, 2 warehouses)",
            system_kind=SystemKind.CRM,
            target_product="Odoo 17 CRM with the loyalty app",
            business_problem=(
                "Customers are known only by the paper loyalty card and the cashier's memory. "
                "One customer record for the tills, the Zalo mini app and the hotline; "
                "loyalty points and campaigns from it."
            ),
            start_date=start,
            target_go_live=go_live,
            status=ProjectStatus.ACTIVE,
            time_zone="Asia/Ho_Chi_Minh",
            actor_department=Department.MANAGEMENT,
        )
    _team(project, users)
    _phases(project, users, at)
    _plan(project, users, go_live, at)
    _kpis(project, users, go_live, at)
    _tickets(project, users, go_live, at, cut)
    _feedback(project, users, go_live, at)
    _reviews(project, users, go_live, at)
    return project


def _now(moment: datetime.datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def _team(project: Project, users: dict[str, User]) -> None:
    from projects.demo import DEMO_USERS

    for spec in DEMO_USERS[1:]:
        Membership.objects.create(
            project=project, user=users[spec.username], role=spec.role, department=spec.department
        )
    memberships = {m.user.username: m for m in project.memberships.select_related("user")}
    champions, support = {"keyuser", "sales", "warehouse"}, {"it", "consultant", FIRST_LINE}
    for username in sorted(champions | support):
        project_services.membership_set_go_live_roles(
            actor=users["pm"],
            membership=memberships[username],
            is_champion=True if username in champions else None,
            on_hypercare_team=True if username in support else None,
        )


def _phases(project: Project, users: dict[str, User], at) -> None:
    """Discovery to go-live completed around their plan; hypercare running since go-live."""
    pm = users["pm"]
    for phase in project.phases.order_by("position"):
        with _now(at(phase.planned_start, 9)):
            phase_services.phase_start(actor=pm, phase=phase)
        if phase.kind == PhaseKind.HYPERCARE:
            continue
        end = phase.planned_end
        with _now(at(max(end - datetime.timedelta(days=2), phase.planned_start), 15)):
            for item in phase.checklist_items.filter(is_mandatory=True):
                phase_services.checklist_item_set_done(actor=pm, item=item, is_done=True)
        with _now(at(end, 16)):
            phase_services.phase_complete(actor=pm, phase=Phase.objects.get(pk=phase.pk))


def _plan(project: Project, users: dict[str, User], go_live: datetime.date, at) -> None:
    # Stores sell on Saturdays, so support works them too; fixed-date public holidays.
    holidays = [
        f"{year}-{day}"
        for year in (go_live.year - 1, go_live.year, go_live.year + 1)
        for day in ("01-01", "04-30", "05-01", "09-02")
    ]
    with _now(at(go_live - datetime.timedelta(days=21), 10)):
        hypercare.hypercare_plan_update(
            actor=users["pm"],
            project=project,
            work_starts=datetime.time(8, 0),
            work_ends=datetime.time(17, 30),
            working_days="0,1,2,3,4,5",
            holidays=holidays,
        )


def _kpis(project: Project, users: dict[str, User], go_live: datetime.date, at) -> None:
    for spec in KPIS:
        with _now(at(go_live - datetime.timedelta(days=20), 11)):
            kpi = kpi_services.kpi_create(
                actor=users["consultant"],
                project=project,
                name=spec.name,
                category=spec.category,
                unit=spec.unit,
                direction=Direction.HIGHER,
                target_value=spec.target,
                target_date=go_live + datetime.timedelta(days=91),
                cadence=Cadence.WEEKLY,
                owner=users[spec.owner],
                baseline_value=spec.baseline,
                baseline_date=go_live - datetime.timedelta(days=21),
                baseline_method=spec.method,
                description=spec.description,
                module=spec.module,
            )
        for week, value in enumerate(spec.weekly):
            friday = go_live + datetime.timedelta(weeks=week, days=4)
            with _now(at(friday, 17)):
                kpi_services.measurement_record(
                    actor=users[spec.owner],
                    kpi=kpi,
                    measured_on=friday,
                    value=value,
                    note="Counted from the CRM's weekly report.",
                )


# --- Tickets --------------------------------------------------------------------------------


@dataclass
class _Plan:
    created: datetime.datetime
    severity: str
    template: _Template
    store: str
    reporter: str
    week: int
    breach: bool = False
    reopen: bool = False
    close: bool = True


def _ticket_plans(project: Project, go_live: datetime.date, at) -> list[_Plan]:
    chance = random.Random(LIVE_CODE)  # noqa: S311 (seeded: the same demo every time)
    plans = []
    for week, count in enumerate(WEEKLY_INFLOW):
        severities = [s for s, per_week in WEEKLY_SEVERITIES.items() for _ in range(per_week[week])]
        severities += [Severity.LOW] * (count - len(severities))
        for n, severity in enumerate(severities):
            # More tickets early in the week; stores report until closing at 21:00.
            weekday = chance.choice((0, 0, 0, 1, 1, 2, 2, 3, 4, 5))
            hour, minute = chance.choice((7, 8, 9, 9, 10, 10, 11, 14, 15, 16, 19, 20)), 5 * n % 60
            day = go_live + datetime.timedelta(weeks=week, days=weekday)
            templates = TEMPLATES[severity]
            plans.append(
                _Plan(
                    created=at(day, hour, minute),
                    severity=severity,
                    template=templates[(n + week) % len(templates)],
                    store=STORES[(7 * n + week) % len(STORES)],
                    reporter=REPORTERS[(n + 3 * week) % len(REPORTERS)],
                    week=week,
                    close=chance.random() < 0.75,
                )
            )
    plans.sort(key=lambda plan: plan.created)
    for week in set(REOPENED_WEEKS):
        calm = [p for p in plans if p.week == week and not p.breach and p.severity != "critical"]
        for plan in calm[1 : 1 + REOPENED_WEEKS.count(week)]:
            plan.reopen = True
    # Breaches fall on urgent tickets whose due times lie in the week they were raised, so
    # the breaches stay in the first two weeks.
    for week, breaches in enumerate(BREACHES_PER_WEEK):
        urgent = [
            plan
            for plan in plans
            if plan.week == week
            and plan.severity != Severity.LOW
            and not plan.reopen
            and all(
                hypercare.week_of(due.astimezone(plan.created.tzinfo).date())
                == hypercare.week_of(plan.created.date())
                for due in hypercare.due_times(project, plan.severity, plan.created)
            )
        ]
        for plan in urgent[:breaches]:
            plan.breach = True
    return plans


def _share(amount: datetime.timedelta, share: float) -> datetime.timedelta:
    return (amount * share) // MIN * MIN


def _tickets(project: Project, users: dict[str, User], go_live: datetime.date, at, cut) -> None:
    hours = hypercare.working_time(project)
    chance = random.Random(f"{LIVE_CODE}-clocks")  # noqa: S311 (seeded demo)
    converted = False
    for plan in _ticket_plans(project, go_live, at):
        template = plan.template
        with _now(plan.created):
            ticket = hypercare.ticket_raise(
                actor=users[plan.reporter],
                project=project,
                module=template.module,
                title=template.title.format(store=plan.store),
                description=template.description.format(store=plan.store),
                severity=plan.severity,
                business_impact=template.impact.format(store=plan.store),
            )
        fixer = users[FIXERS[template.module]]
        created = plan.created
        response_time = sla.working_between(created, ticket.response_due_at, hours)
        resolution_time = sla.working_between(created, ticket.resolution_due_at, hours)
        late_response = plan.breach and plan.severity == Severity.HIGH
        if late_response:
            acknowledged = sla.add_working(ticket.response_due_at, 90 * MIN, hours)
        else:
            acknowledged = sla.add_working(
                created, _share(response_time, chance.uniform(0.1, 0.7)), hours
            )
        used = sla.working_between(created, acknowledged, hours)
        if plan.breach and not late_response:
            resolved = sla.add_working(ticket.resolution_due_at, 150 * MIN, hours)
        else:
            left = max(resolution_time - used, 30 * MIN)
            resolved = sla.add_working(acknowledged, _share(left, chance.uniform(0.3, 0.9)), hours)
        steps = [
            (acknowledged, users[FIRST_LINE], TicketStatus.ACKNOWLEDGED, ""),
            (
                sla.add_working(
                    acknowledged,
                    _share(sla.working_between(acknowledged, resolved, hours), 0.3),
                    hours,
                ),
                fixer,
                TicketStatus.IN_PROGRESS,
                "",
            ),
            (resolved, fixer, TicketStatus.RESOLVED, _fix_note(template)),
        ]
        if plan.reopen:
            reopened = sla.add_working(resolved, datetime.timedelta(hours=3), hours)
            again = sla.add_working(reopened, _share(resolution_time, 0.5), hours)
            steps += [
                (
                    reopened,
                    users[plan.reporter],
                    TicketStatus.IN_PROGRESS,
                    f"Still happening at {plan.store}: checked again with the store.",
                ),
                (again, fixer, TicketStatus.RESOLVED, "Fixed for all stores, not only one."),
            ]
            resolved = again
        if plan.close:
            closed = sla.add_working(
                resolved, datetime.timedelta(hours=chance.randint(2, 12)), hours
            )
            steps.append((closed, users[plan.reporter], TicketStatus.CLOSED, ""))
        for moment, actor, status, comment in steps:
            if moment > cut:
                break  # not happened yet: the ticket stays open on the board
            with _now(moment):
                ticket = hypercare.ticket_transition(
                    actor=actor, ticket=ticket, status=status, comment=comment
                )
                if status == TicketStatus.ACKNOWLEDGED:
                    ticket = hypercare.ticket_update(actor=actor, ticket=ticket, assignee=fixer)
            if (
                not converted
                and status == TicketStatus.IN_PROGRESS
                and template.title.startswith("No points for orders paid partly by MoMo")
            ):
                with _now(moment + 20 * MIN):
                    ticket = hypercare.ticket_convert_to_defect(
                        actor=users["consultant"], ticket=ticket
                    )
                    hypercare.ticket_comment_add(
                        actor=users["consultant"],
                        ticket=ticket,
                        body="The POS connector drops the points of split payments: logged as "
                        "a defect for the vendor. Workaround: add the points by hand from "
                        "the daily list.",
                    )
                converted = True


def _fix_note(template: _Template) -> str:
    return {
        "POS integration": "Connector settings corrected and the night sync re-run.",
        "Campaigns": "Template and sending queue fixed; test message sent to the store.",
        "Reports": "Report filter corrected.",
    }.get(template.module, "Explained to the store and corrected in the CRM.")


# --- Feedback and reviews -------------------------------------------------------------------


def _feedback(project: Project, users: dict[str, User], go_live: datetime.date, at) -> None:
    for week, answers in enumerate(FEEDBACK):
        friday = go_live + datetime.timedelta(weeks=week, days=4)
        for n, (username, satisfaction, blockers, helps) in enumerate(answers):
            with _now(at(friday, 15, 10 * n)):
                hypercare.feedback_answer(
                    actor=users[username],
                    project=project,
                    satisfaction=satisfaction,
                    blockers=blockers,
                    helps=helps,
                )


def _reviews(project: Project, users: dict[str, User], go_live: datetime.date, at) -> None:
    for spec in REVIEWS:
        friday = go_live + datetime.timedelta(weeks=spec.week, days=4)
        with _now(at(friday, 16)):
            hypercare.module_review_record(
                actor=users[spec.reviewer],
                project=project,
                module=spec.module,
                decision=spec.decision,
                note=spec.note,
                reviewed_on=friday,
            )
