"""Demo KPIs for the Hanoi retailer: eight benefits, baselines from discovery, pilot values.

The demo project goes live 70 days after the seed's "today" and sits in testing, so the
baselines are still open: the consultant defines each KPI with the baseline the team
measured during discovery (kpi_create records it and its BaselineChange row), and the
history then gets its real dates, as the rest of the demo does. The first measurements are
pre-go-live pilot values from the UAT rounds (data-entry errors on pilot documents, pilot
users active each week, a cycle count at the Hà Đông warehouse, the pilot users' survey),
each recorded by the KPI's owner when the owner may record (pilot users record their own
KPIs) or else by the project manager. Month-end close and lead conversion have no value yet:
they can only be measured after go-live.

If the seed runs with a "today" so old that go-live has already passed in real time (the
services judge the lock by the real date), the baselines are locked: the KPIs are then
created without them and the project manager records each one with a reason, which the
history keeps as a change after go-live. Nothing is bent to make the demo look better.

Running the seed again adds nothing.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from implementation.choices import PhaseKind
from kpis import catalogue, services
from kpis.choices import Cadence, Direction, KpiCategory
from kpis.models import BaselineChange, Kpi, Measurement
from projects import policy
from projects.models import Project, User

D = Decimal


@dataclass(frozen=True)
class DemoKpi:
    template: str  # a catalogue key, or "" for a KPI of this project's own
    owner: str
    baseline: Decimal
    baseline_day: int  # days into the discovery phase
    method: str
    target: Decimal
    # (days before the seed's today, value, note), pilot values before go-live
    measurements: tuple[tuple[int, Decimal, str], ...] = ()
    name: str = ""
    description: str = ""
    category: str = ""
    unit: str = ""
    direction: str = ""
    cadence: str = ""
    months: int = 6
    module: str = ""


DEMO_KPIS = [
    DemoKpi(
        "data_entry_errors",
        owner="keyuser",
        baseline=D("14.2"),
        baseline_day=10,
        method=(
            "Finance re-checked 2,140 sales invoices and goods receipts of June to August "
            "against the source documents: 304 had a keying error."
        ),
        target=D("9.9"),
        measurements=(
            (13, D("11.8"), "UAT round 1: 508 pilot documents re-checked, 6 errors."),
            (2, D("10.6"), "UAT round 2 so far: 377 pilot documents re-checked, 4 errors."),
        ),
    ),
    DemoKpi(
        "order_productivity",
        owner="sales",
        baseline=D("8.5"),
        baseline_day=14,
        method=(
            "Time study at the Cầu Giấy and Long Biên stores: three order-desk clerks over "
            "five days, orders keyed into the old POS and the spreadsheet."
        ),
        target=D("10.2"),
        measurements=(
            (14, D("7.9"), "Pilot at Cầu Giấy, first week on Odoo: still learning the screens."),
            (3, D("9.1"), "Pilot at Cầu Giấy, third week, with the saved order templates."),
        ),
    ),
    DemoKpi(
        "month_end_close",
        owner="keyuser",
        baseline=D("10"),
        baseline_day=18,
        method="Working days to close May, June and July (11, 10 and 9); average 10.",
        target=D("5"),
    ),
    DemoKpi(
        "weekly_active_users",
        owner="it",
        baseline=D("0"),
        baseline_day=21,
        method="Odoo not in use yet; 146 staff in the 12 stores, 2 warehouses and head office.",
        target=D("120"),
        measurements=(
            (19, D("9"), "UAT round 1, week 1: pilot users only."),
            (12, D("14"), "UAT round 1, week 2: store managers joined the pilot."),
            (5, D("16"), "Between the rounds: re-tests by the pilot users."),
        ),
    ),
    DemoKpi(
        "user_satisfaction",
        owner="hr",
        baseline=D("2.6"),
        baseline_day=25,
        method=(
            "Anonymous survey of 92 staff about the spreadsheets and the old POS "
            "(5 questions, 1 to 5), 61 answers."
        ),
        target=D("4.0"),
        measurements=(
            (10, D("3.4"), "Same survey, 14 pilot users after UAT round 1, 12 answers."),
        ),
    ),
    DemoKpi(
        "quote_approval_time",
        owner="executive",
        baseline=D("52"),
        baseline_day=28,
        method=(
            "Wholesale quotes to corporate customers, January to June: hours from the "
            "request to the director's signature on the printed quote, median of 84 quotes."
        ),
        target=D("4"),
        measurements=(
            (8, D("6.5"), "UAT-SAL-01 and UAT-SAL-07: quote approvals in the test system."),
        ),
    ),
    DemoKpi(
        "lead_conversion",
        owner="sales",
        baseline=D("16.5"),
        baseline_day=32,
        method=(
            "Wholesale enquiries logged in the sales spreadsheet, January to June: 33 of "
            "200 qualified leads became customers."
        ),
        target=D("21"),
    ),
    DemoKpi(
        "",
        name="Stock count accuracy",
        description="Share of counted stock lines that match the books, without adjustment.",
        category=KpiCategory.QUALITY,
        unit="%",
        direction=Direction.HIGHER,
        cadence=Cadence.MONTHLY,
        module="Inventory",
        owner="warehouse",
        baseline=D("87.5"),
        baseline_day=35,
        method=(
            "Cycle count of 400 lines at the Long Biên warehouse against the stock "
            "spreadsheet: 350 matched."
        ),
        target=D("98"),
        measurements=(
            (3, D("93.0"), "UAT round 2: cycle count of 200 lines at the Hà Đông warehouse."),
        ),
    ),
]


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(hour), tzinfo=timezone.get_current_timezone()
    )


def _definition(spec: DemoKpi, project: Project) -> dict:
    if spec.template:
        template = catalogue.TEMPLATES_BY_KEY[spec.template]
        return {
            "name": str(template.name),
            "description": str(template.description),
            "category": template.category,
            "unit": str(template.unit),
            "direction": template.direction,
            "cadence": template.cadence,
            "module": str(template.module),
            "template_key": template.key,
            "target_date": services._months_after(project.target_go_live, template.months),
        }
    return {
        "name": spec.name,
        "description": spec.description,
        "category": spec.category,
        "unit": spec.unit,
        "direction": spec.direction,
        "cadence": spec.cadence,
        "module": spec.module,
        "target_date": services._months_after(project.target_go_live, spec.months),
    }


def _discovery(project: Project) -> tuple[datetime.date, datetime.date]:
    phase = project.phases.get(kind=PhaseKind.DISCOVERY)
    return (
        phase.actual_start or phase.planned_start,
        phase.actual_end or phase.planned_end,
    )


def seed_kpis(*, project: Project, users: dict[str, User], today: datetime.date) -> None:
    if Kpi.objects.filter(project=project).exists():
        return  # seeded already
    consultant, pm = users["consultant"], users["pm"]
    first, last = _discovery(project)
    locked = services.baseline_is_locked(project)
    real_today = project.local_today()
    for spec in DEMO_KPIS:
        day = min(first + datetime.timedelta(days=spec.baseline_day), last, real_today)
        baseline = {} if locked else {"baseline_value": spec.baseline, "baseline_date": day}
        kpi = services.kpi_create(
            actor=consultant,
            project=project,
            owner=users[spec.owner],
            target_value=spec.target,
            baseline_method="" if locked else spec.method,
            **baseline,
            **_definition(spec, project),
        )
        if locked:
            services.kpi_set_baseline(
                actor=pm,
                kpi=kpi,
                value=spec.baseline,
                day=day,
                method=spec.method,
                reason=(
                    "Measured during discovery; entered in Rollout only after go-live, when "
                    "the project moved its KPIs here from the steering-committee slides."
                ),
            )
        else:
            # The history gets its real dates: defined and measured during discovery.
            Kpi.objects.filter(pk=kpi.pk).update(created_at=_at(day, 15))
            BaselineChange.objects.filter(kpi=kpi).update(changed_at=_at(day, 15))
        owner = users[spec.owner]
        recorder = owner if policy.can_record_measurement(owner, kpi) else pm
        for days_before, value, note in spec.measurements:
            measured_on = today - datetime.timedelta(days=days_before)
            if measured_on > real_today:
                continue  # the services refuse values in the future
            measurement = services.measurement_record(
                actor=recorder, kpi=kpi, measured_on=measured_on, value=value, note=note
            )
            Measurement.objects.filter(pk=measurement.pk).update(recorded_at=_at(measured_on, 17))
