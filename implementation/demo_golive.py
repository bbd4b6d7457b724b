"""Demo go-live preparation for the Hanoi retailer, ten weeks before go-live.

The readiness panel shows what a real team would be chasing at this point:

- data migration: six data objects, each loaded twice on the test system (mock 1, mock 2).
  Every mock 1 failed; after cleansing, every mock 2 passes (open sales orders within their
  0.1% tolerance once the discount lines of promotion orders were mapped) and is signed off
  by its data owner (green);
- the cutover plan: fifteen tasks over the go-live weekend, from the legacy freeze on Friday
  at 18:00 to the rollback decision on Sunday at 12:00, each with its owner, time and
  dependencies, rehearsed once on a copy of production without trouble (green);
- training: about sixty end users in sales, accounting and the warehouses, four sessions
  held and a catch-up planned; the warehouse session fell in a stocktake week and six
  people missed it, so the warehouse is below the 90% needed (red);
- the communication plan (workshops, e-mails, a chat group, posters, a video, a demo),
  digital champions for sales, accounting and the warehouse, and the hypercare team with
  its support plan (green).

UAT sign-off and KPI baselines come from their own demo modules. Everything is written
through the services; only the moments a service stamps with "now" (recorded, signed off)
get the dates they would have had. Dates count from the project's go-live; when the seed
runs with an old "today", past events are pulled back so they stay in the past. Running the
seed again adds nothing.
"""

import datetime
import unicodedata
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from implementation.choices import (
    ActivityStatus,
    CleansingStatus,
    CommunicationKind,
    LoadKind,
    Reconciliation,
    RehearsalOutcome,
)
from implementation.models import MigrationLoad, MigrationObject
from implementation.services import cutover, golive, migration, training
from projects import services as project_services
from projects.choices import Department
from projects.models import Membership, Project, User

D = Decimal

# How far before go-live the seed's "today" sits in the demo (see projects.demo).
DEMO_DAYS_BEFORE_GO_LIVE = 70


# --- Data migration -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Load:
    source: int
    loaded: int
    rejected: int
    notes: str
    totals: tuple[Decimal, Decimal] | None = None  # (source, target)


@dataclass(frozen=True)
class _Object:
    name: str
    source_system: str
    owner: str
    tolerance: Decimal
    mapping: str
    cleansing: str
    loads: tuple[_Load, _Load]
    control_total: str = ""


MOCK_1_DAYS, MOCK_2_DAYS = 98, 80  # before go-live

OBJECTS = (
    _Object(
        "Chart of accounts",
        "MISA SME accounting",
        "keyuser",
        D(0),
        "Circular 200 accounts mapped one to one; sub-accounts per store become analytic accounts.",
        CleansingStatus.DONE,
        (
            _Load(412, 405, 7, "7 sub-accounts without a parent account in MISA."),
            _Load(412, 412, 0, "Parents added in the source file; every account loaded."),
        ),
    ),
    _Object(
        "Customers",
        "Legacy POS and sales spreadsheet",
        "sales",
        D("0.5"),
        "Merged on tax code, then on phone number; walk-in customers kept as one partner.",
        CleansingStatus.DONE,
        (
            _Load(8460, 8102, 358, "358 duplicates across the POS and the spreadsheet rejected."),
            _Load(
                8120,
                8101,
                19,
                "After de-duplication: 19 customers with an invalid tax code, to be fixed in "
                "Odoo by the sales team.",
            ),
        ),
    ),
    _Object(
        "Vendors",
        "MISA SME accounting",
        "keyuser",
        D("0.5"),
        "Bank accounts and payment terms mapped; inactive vendors (no purchase since 2023) "
        "left out.",
        CleansingStatus.DONE,
        (
            _Load(640, 611, 29, "29 vendors without a tax code or bank account rejected."),
            _Load(618, 618, 0, "Inactive vendors removed at the source; all loaded."),
        ),
    ),
    _Object(
        "Items",
        "Legacy POS item master",
        "warehouse",
        D("0.5"),
        "Barcodes kept; units of measure normalised (hộp, thùng, cái); item categories "
        "rebuilt from the POS groups.",
        CleansingStatus.DONE,
        (
            _Load(12380, 11905, 475, "475 items with a unit of measure Odoo does not know."),
            _Load(12115, 12098, 17, "Units cleaned; 17 discontinued items still without a price."),
        ),
    ),
    _Object(
        "Opening balances",
        "MISA SME accounting",
        "keyuser",
        D(0),
        "Trial balance at the cut-off date, by account and store; receivables and payables "
        "by partner.",
        CleansingStatus.DONE,
        (
            _Load(
                389,
                389,
                0,
                "Debit total short by 12.2 million VND: one store's petty cash was missing "
                "from the export.",
                (D("48215630000"), D("48203410000")),
            ),
            _Load(
                389,
                389,
                0,
                "Export fixed; totals agree with the trial balance.",
                (D("48215630000"), D("48215630000")),
            ),
        ),
        control_total="Sum of debit balances (VND)",
    ),
    _Object(
        "Open sales orders",
        "Legacy POS",
        "sales",
        D("0.1"),
        "Only orders not yet delivered or invoiced; partial deliveries loaded with the "
        "quantity still to deliver.",
        CleansingStatus.DONE,
        (
            _Load(
                1240,
                1198,
                42,
                "42 orders for customers rejected in the customer load; discount lines of "
                "promotion orders not imported, so the open order value is off.",
                (D("10125400000"), D("9803170000")),
            ),
            _Load(
                1215,
                1214,
                1,
                "Discount lines mapped. One order of the closed Cầu Giấy store rejected; the "
                "remaining 3.9 million VND is VAT rounding on promotion orders, accepted by "
                "the sales lead.",
                (D("9876540000"), D("9880430000")),
            ),
        ),
        control_total="Sum of open order value (VND)",
    ),
)


# --- Cutover --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Task:
    title: str
    owner: str
    day: int  # 0 Friday, 1 Saturday, 2 Sunday
    start: str  # HH:MM, project time
    minutes: int
    depends_on: tuple[int, ...] = ()  # positions in TASKS, from 1
    instructions: str = ""


TASKS = (
    _Task(
        "Remind stores and warehouses of the freeze",
        "pm",
        0,
        "16:00",
        30,
        instructions="Message in the Zalo group and a call to each store manager.",
    ),
    _Task(
        "Freeze the legacy POS and the spreadsheets (read-only)",
        "it",
        0,
        "18:00",
        30,
        (1,),
        "POS terminals switched to read-only; spreadsheets moved to the archive folder.",
    ),
    _Task("Back up the POS database and the MISA data file", "it", 0, "18:30", 60, (2,)),
    _Task(
        "Final stock count at Long Biên and Hà Đông warehouses",
        "warehouse",
        0,
        "19:00",
        240,
        (2,),
        "Count sheets signed by the shift lead; differences above 2% re-counted.",
    ),
    _Task("Export customers, vendors and items", "it", 0, "19:30", 90, (3,)),
    _Task(
        "Load chart of accounts, customers, vendors and items", "consultant", 0, "21:00", 180, (5,)
    ),
    _Task(
        "Reconcile master data counts; data owners sign the loads off",
        "keyuser",
        1,
        "08:00",
        120,
        (6,),
    ),
    _Task("Close the legacy books and export the trial balance", "keyuser", 1, "08:00", 180, (3,)),
    _Task("Load opening balances and stock quantities", "consultant", 1, "11:00", 120, (4, 7, 8)),
    _Task("Reconcile opening balances against the trial balance", "keyuser", 1, "13:00", 120, (9,)),
    _Task("Load open sales orders", "consultant", 1, "15:00", 90, (7,)),
    _Task("Reconcile the open order value with the POS", "sales", 1, "16:30", 60, (11,)),
    _Task(
        "Smoke test: sale at the POS, goods receipt, invoice and e-invoice",
        "sales",
        2,
        "08:00",
        180,
        (10, 12),
    ),
    _Task(
        "Go/no-go decision at the rollback decision point",
        "pm",
        2,
        "12:00",
        30,
        (13,),
        "Steering group call. Go back to the legacy POS if any rollback criterion is met.",
    ),
    _Task("Open Odoo to every user; the hypercare desk starts", "it", 2, "14:00", 60, (14,)),
)

REHEARSAL_DAYS = 75  # before go-live

ROLLBACK_CRITERIA = (
    "Go back to the legacy POS and MISA if, at the decision point: a sale cannot be made at "
    "the POS in any store; invoices or e-invoices cannot be posted; opening balances differ "
    "from the trial balance; or stock quantities differ from the final count by more than 1%."
)

SUPPORT_PLAN = (
    "Hypercare for three months from go-live. Hotline and Zalo group 7:30-21:00 every day "
    "for the first four weeks, then 8:00-18:00 on working days. The digital champions in "
    "sales, accounting and the warehouses answer first; the IT lead triages what they cannot "
    "solve; the Odoo partner fixes defects (critical within 4 hours, high within a day). "
    "Weekly feedback round with the champions; usage of each module reviewed monthly."
)

CHAMPIONS = ("sales", "keyuser", "warehouse")
HYPERCARE_TEAM = ("it", "consultant", "keyuser")


# --- Communication --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Activity:
    title: str
    kind: str
    days_before: int  # before go-live
    owner: str
    department: str = ""
    notes: str = ""


ACTIVITIES = (
    _Activity(
        "Kick-off workshop: what Odoo changes for each team",
        CommunicationKind.WORKSHOP,
        120,
        "pm",
        notes="Every store manager and department head; what each person gains, the plan.",
    ),
    _Activity("Monthly project news by e-mail", CommunicationKind.EMAIL, 100, "pm"),
    _Activity(
        "Zalo group “Odoo Hanoi Retail – hỏi đáp”",
        CommunicationKind.CHAT_GROUP,
        90,
        "it",
        notes="Questions answered by the champions within the day.",
    ),
    _Activity(
        "Posters in stores and warehouses: the go-live date and who to ask",
        CommunicationKind.POSTER,
        75,
        "warehouse",
    ),
    _Activity(
        "Demo for store managers: selling at the POS and sales orders",
        CommunicationKind.DEMO,
        65,
        "sales",
        Department.SALES,
    ),
    _Activity(
        "Video: receiving goods in Odoo in three minutes",
        CommunicationKind.VIDEO,
        50,
        "consultant",
        Department.WAREHOUSE,
    ),
    _Activity(
        "E-mail: the freeze weekend, the hotline and the first-month awards",
        CommunicationKind.EMAIL,
        14,
        "pm",
        notes="Teams using the system best in the first three months win a team dinner.",
    ),
    _Activity("Go-live briefing workshop with the champions", CommunicationKind.WORKSHOP, 3, "pm"),
)


# --- Training -------------------------------------------------------------------------------

ROSTER = {Department.SALES: 26, Department.ACCOUNTING_FINANCE: 12, Department.WAREHOUSE: 22}
DEPARTMENT_LABELS = {
    Department.SALES: "Sales",
    Department.ACCOUNTING_FINANCE: "Accounting / finance",
    Department.WAREHOUSE: "Warehouse",
}
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương")
MIDDLE = ("Văn", "Thị", "Minh", "Thu", "Quang", "Ngọc", "Đức", "Thanh")
GIVEN = (
    "An", "Bình", "Cường", "Dung", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng",
    "Hương", "Khánh", "Linh", "Long", "Mai", "Nam", "Nga", "Phong", "Phương", "Quân", "Sơn",
    "Tâm", "Thảo", "Trang", "Tú", "Việt", "Yến",
)  # fmt: skip


@dataclass(frozen=True)
class _Session:
    title: str
    module: str
    days_before: int  # before go-live
    trainer: str
    location: str
    department: str
    invite: slice | None  # of the department's roster; None: those not trained yet
    absent: tuple[int, ...] = ()  # roster positions who missed it
    notes: str = ""


SESSIONS = (
    _Session(
        "Sales: quotation to invoice and the POS (group A)",
        "Sales / POS",
        82,
        "consultant",
        "Head office training room, Cầu Giấy",
        Department.SALES,
        slice(0, 13),
    ),
    _Session(
        "Sales: quotation to invoice and the POS (group B)",
        "Sales / POS",
        80,
        "consultant",
        "Head office training room, Cầu Giấy",
        Department.SALES,
        slice(13, 26),
        absent=(20,),
    ),
    _Session(
        "Accounting: invoices, payments and month-end close",
        "Accounting",
        78,
        "keyuser",
        "Head office training room, Cầu Giấy",
        Department.ACCOUNTING_FINANCE,
        slice(0, 12),
        absent=(7,),
    ),
    _Session(
        "Warehouse: receipts, transfers and stock counts",
        "Inventory",
        76,
        "consultant",
        "Hà Đông warehouse, office floor",
        Department.WAREHOUSE,
        slice(0, 22),
        absent=(3, 8, 11, 15, 18, 21),
        notes="Held in the stocktake week at Long Biên: six people could not leave the floor.",
    ),
    _Session(
        "Warehouse catch-up: receipts, transfers and stock counts",
        "Inventory",
        58,
        "consultant",
        "Long Biên warehouse",
        Department.WAREHOUSE,
        None,
        notes="For the six who missed the first session.",
    ),
)


# --- The seed -------------------------------------------------------------------------------


def seed_golive(*, project: Project, users: dict[str, User], today: datetime.date) -> None:
    if MigrationObject.objects.filter(project=project).exists():
        return  # seeded already
    zone = zoneinfo.ZoneInfo(project.time_zone)
    go_live = project.target_go_live
    # What happened before the seed's "today" counts back from go-live, but never from later
    # than the real date allows: the services refuse loads, rehearsals and attendance in the
    # future.
    past_anchor = min(go_live, project.local_today() + datetime.timedelta(DEMO_DAYS_BEFORE_GO_LIVE))

    def on(days_before: int, hour: int = 9, minute: int = 0) -> datetime.datetime:
        anchor = past_anchor if days_before >= DEMO_DAYS_BEFORE_GO_LIVE else go_live
        day = anchor - datetime.timedelta(days=days_before)
        return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zone)

    _team_roles(project, users)
    _migration(project, users, on)
    _cutover(project, users, zone, on)
    _communication(project, users, on)
    _training(project, users, on)


def _team_roles(project: Project, users: dict[str, User]) -> None:
    pm = users["pm"]
    memberships = {
        m.user.username: m
        for m in Membership.objects.filter(project=project).select_related("user")
    }
    for username in sorted(set(CHAMPIONS) | set(HYPERCARE_TEAM)):
        project_services.membership_set_go_live_roles(
            actor=pm,
            membership=memberships[username],
            is_champion=True if username in CHAMPIONS else None,
            on_hypercare_team=True if username in HYPERCARE_TEAM else None,
        )


def _migration(project: Project, users: dict[str, User], on) -> None:
    it = users["it"]
    for spec in OBJECTS:
        obj = migration.migration_object_create(
            actor=it,
            project=project,
            name=spec.name,
            source_system=spec.source_system,
            owner=users[spec.owner],
            mapping_notes=spec.mapping,
            cleansing_status=spec.cleansing,
            control_total_label=spec.control_total,
            tolerance_percent=spec.tolerance,
        )
        for days, load in zip((MOCK_1_DAYS, MOCK_2_DAYS), spec.loads, strict=True):
            totals = {}
            if load.totals:
                totals = {"source_total": load.totals[0], "target_total": load.totals[1]}
            loaded_at = on(days, 20)
            recorded = migration.load_record(
                actor=it,
                obj=obj,
                kind=LoadKind.MOCK,
                loaded_at=loaded_at,
                source_count=load.source,
                loaded_count=load.loaded,
                rejected_count=load.rejected,
                notes=load.notes,
                **totals,
            )
            stamps = {"recorded_at": loaded_at + datetime.timedelta(hours=1)}
            if days == MOCK_2_DAYS and recorded.reconciliation != Reconciliation.FAILED:
                migration.load_sign_off(
                    actor=users[spec.owner],
                    load=recorded,
                    comment="Checked against the source on a sample of 50 records.",
                )
                stamps["signed_off_at"] = loaded_at + datetime.timedelta(days=1, hours=-4)
            MigrationLoad.objects.filter(pk=recorded.pk).update(**stamps)


def _cutover_friday(go_live: datetime.date) -> datetime.date:
    """The Friday of the weekend before go-live (Sunday still before the go-live day)."""
    back = (go_live.weekday() - 4) % 7
    if back < 3:
        back += 7
    return go_live - datetime.timedelta(days=back)


def _cutover(project: Project, users: dict[str, User], zone, on) -> None:
    it, pm = users["it"], users["pm"]
    friday = _cutover_friday(project.target_go_live)

    def moment(day: int, hhmm: str) -> datetime.datetime:
        hour, minute = (int(part) for part in hhmm.split(":"))
        return datetime.datetime.combine(
            friday + datetime.timedelta(days=day), datetime.time(hour, minute), tzinfo=zone
        )

    made = []
    for spec in TASKS:
        made.append(
            cutover.cutover_task_create(
                actor=it,
                project=project,
                title=spec.title,
                instructions=spec.instructions,
                owner=users[spec.owner],
                planned_start=moment(spec.day, spec.start),
                duration_minutes=spec.minutes,
                depends_on=[made[n - 1] for n in spec.depends_on],
            )
        )
    golive.golive_plan_update(
        actor=pm,
        project=project,
        legacy_freeze_at=moment(0, "18:00"),
        rollback_decision_at=moment(2, "12:00"),
        rollback_criteria=ROLLBACK_CRITERIA,
        support_plan=SUPPORT_PLAN,
    )
    cutover.rehearsal_record(
        actor=it,
        project=project,
        held_on=on(REHEARSAL_DAYS).date(),
        outcome=RehearsalOutcome.SUCCESSFUL,
        duration_hours=D("31"),
        notes=(
            "Dress rehearsal on a copy of production over a weekend; every task ran. Opening "
            "balances took three hours instead of two: their slot was moved earlier."
        ),
    )


def _communication(project: Project, users: dict[str, User], on) -> None:
    real_today = project.local_today()
    for spec in ACTIVITIES:
        day = on(spec.days_before).date()
        training.activity_create(
            actor=users["consultant"],
            project=project,
            title=spec.title,
            kind=spec.kind,
            audience_department=spec.department,
            planned_on=day,
            owner=users[spec.owner],
            status=ActivityStatus.DONE if day < real_today else ActivityStatus.PLANNED,
            notes=spec.notes,
        )


def _ascii(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _roster_csv() -> str:
    lines = ["name,department,email"]
    n = 0
    for department, count in ROSTER.items():
        for _i in range(count):
            family = FAMILY[n % len(FAMILY)]
            middle = MIDDLE[(n * 3) % len(MIDDLE)]
            given = GIVEN[(n * 5) % len(GIVEN)]
            email = f"{_ascii(given)}.{_ascii(family)}{n + 1:02d}@hanoiretail.example"
            lines.append(f"{family} {middle} {given},{DEPARTMENT_LABELS[department]},{email}")
            n += 1
    return "\n".join(lines) + "\n"


def _training(project: Project, users: dict[str, User], on) -> None:
    manager = users["keyuser"]
    made = training.end_users_import(actor=manager, project=project, text=_roster_csv())
    by_department: dict[str, list] = {}
    for end_user in made:
        by_department.setdefault(end_user.department, []).append(end_user)
    trained: set[int] = set()
    for spec in SESSIONS:
        starts_at = on(spec.days_before, 8, 30)
        session = training.session_create(
            actor=manager,
            project=project,
            title=spec.title,
            module=spec.module,
            starts_at=starts_at,
            duration_minutes=180,
            location=spec.location,
            trainer=users[spec.trainer],
            notes=spec.notes,
        )
        roster = by_department[spec.department]
        if spec.invite is None:
            invited = [end_user for end_user in roster if end_user.pk not in trained]
        else:
            invited = roster[spec.invite]
        training.session_invite(actor=manager, session=session, end_users=invited)
        if starts_at > timezone.now():
            continue  # attendance is recorded once the session has been held
        attended = {end_user.pk: roster.index(end_user) not in spec.absent for end_user in invited}
        training.attendance_record(actor=manager, session=session, attended=attended)
        trained |= {pk for pk, came in attended.items() if came}
