"""Project templates: the six phases with a typical schedule and default checklist items.

A template is chosen by the project's system kind. Phases one to five share the span from
the start date to the go-live date by weight; the go-live phase runs a week past go-live for
close monitoring, and hypercare follows go-live for the template's support period.
"""

import datetime
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from implementation.choices import ChecklistItemKind, PhaseKind
from projects.choices import SystemKind

CRITERION = ChecklistItemKind.CRITERION
DELIVERABLE = ChecklistItemKind.DELIVERABLE


@dataclass(frozen=True)
class ItemBlueprint:
    title: str
    kind: str = CRITERION
    is_mandatory: bool = True


@dataclass(frozen=True)
class Blueprint:
    system_kind: str
    months_to_go_live: int
    hypercare_days: int
    weights: dict[str, int]
    items: dict[str, list[ItemBlueprint]] = field(default_factory=dict)


_COMMON_ITEMS: dict[str, list[ItemBlueprint]] = {
    PhaseKind.DISCOVERY: [
        ItemBlueprint(_("Kick-off held: goals, schedule, roles and expectations agreed")),
        ItemBlueprint(_("Steering group named: IT, business departments, finance, HR, management")),
        ItemBlueprint(_("Current processes analysed and requirements collected"), DELIVERABLE),
        ItemBlueprint(
            _("Project plan written: method, deployment plan, preparation, test procedure"),
            DELIVERABLE,
        ),
        ItemBlueprint(
            _("Data to migrate identified: chart of accounts, vendors, customers, items"),
            DELIVERABLE,
        ),
        ItemBlueprint(_("Master data prepared in the target format"), DELIVERABLE, False),
        ItemBlueprint(_("Success KPIs chosen, with how each baseline will be measured")),
    ],
    PhaseKind.DESIGN: [
        ItemBlueprint(_("To-be process maps for each business process"), DELIVERABLE),
        ItemBlueprint(
            _("Work instructions and functional description per business process"), DELIVERABLE
        ),
        ItemBlueprint(
            _("Technical requirements: servers, network, extra software, security, scalability"),
            DELIVERABLE,
        ),
        ItemBlueprint(_("Backup and restore method agreed")),
        ItemBlueprint(_("Data migration field mapping rules written"), DELIVERABLE),
    ],
    PhaseKind.DEVELOPMENT: [
        ItemBlueprint(
            _("Custom features built and configured: reports, screens, process tweaks"),
            DELIVERABLE,
        ),
        ItemBlueprint(
            _("Extensions designed: integrations, analytics, advanced reporting"),
            DELIVERABLE,
            False,
        ),
        ItemBlueprint(_("Each customisation tested in the development environment")),
        ItemBlueprint(_("Configuration log up to date")),
    ],
    PhaseKind.TESTING: [
        ItemBlueprint(_("Functional tests of each module passed")),
        ItemBlueprint(_("Integration tests across modules passed")),
        ItemBlueprint(_("Load test run"), CRITERION, False),
        ItemBlueprint(_("UAT scenarios written with expected results"), DELIVERABLE),
        ItemBlueprint(_("Test environment mirrors production data")),
        ItemBlueprint(_("UAT run by pilot users; defects fixed and re-tested")),
        ItemBlueprint(_("UAT sign-off recorded")),
    ],
    PhaseKind.GO_LIVE: [
        ItemBlueprint(_("Final configuration check done")),
        ItemBlueprint(_("Hardware and network ready for production")),
        ItemBlueprint(_("All required data migrated and reconciled")),
        ItemBlueprint(_("Go-live support plan and support team in place"), DELIVERABLE),
        ItemBlueprint(_("End-user guides published and training delivered"), DELIVERABLE),
        ItemBlueprint(_("Internal communication plan carried out"), DELIVERABLE, False),
        ItemBlueprint(_("Cut-over from the legacy system completed")),
    ],
    PhaseKind.HYPERCARE: [
        ItemBlueprint(_("Support team kept on for at least three months after go-live")),
        ItemBlueprint(_("User feedback collected every week")),
        ItemBlueprint(_("Performance, backups and security patches monitored")),
        ItemBlueprint(_("Each module's usage reviewed")),
        ItemBlueprint(_("KPIs measured against their baselines")),
    ],
}

_ERP_ITEMS: dict[str, list[ItemBlueprint]] = {
    PhaseKind.DISCOVERY: [ItemBlueprint(_("Chart of accounts and opening balances scoped"))],
    PhaseKind.DESIGN: [
        ItemBlueprint(_("Finance, inventory and purchasing processes designed"), DELIVERABLE)
    ],
    PhaseKind.GO_LIVE: [ItemBlueprint(_("Opening balances loaded and agreed with finance"))],
}

_CRM_ITEMS: dict[str, list[ItemBlueprint]] = {
    PhaseKind.DISCOVERY: [ItemBlueprint(_("Sales pipeline stages and lead sources agreed"))],
    PhaseKind.DESIGN: [
        ItemBlueprint(_("Customer data model and de-duplication rules agreed"), DELIVERABLE)
    ],
    PhaseKind.GO_LIVE: [
        ItemBlueprint(_("Sales and service teams trained on leads, follow-ups and quotes"))
    ],
}

_INTEGRATION_ITEMS: dict[str, list[ItemBlueprint]] = {
    PhaseKind.DESIGN: [
        ItemBlueprint(_("ERP-CRM integration designed: customers, orders, invoices"), DELIVERABLE)
    ],
    PhaseKind.TESTING: [ItemBlueprint(_("End-to-end lead-to-cash test passed"))],
}


def _merge(*parts: dict[str, list[ItemBlueprint]]) -> dict[str, list[ItemBlueprint]]:
    merged: dict[str, list[ItemBlueprint]] = {kind: [] for kind in PhaseKind}
    for part in parts:
        for kind, items in part.items():
            merged[kind].extend(items)
    return merged


_WEIGHTS = {
    PhaseKind.DISCOVERY: 15,
    PhaseKind.DESIGN: 20,
    PhaseKind.DEVELOPMENT: 30,
    PhaseKind.TESTING: 20,
    PhaseKind.GO_LIVE: 15,
}

BLUEPRINTS: dict[str, Blueprint] = {
    # ERP roll-outs take 6-12 months, CRM 2-6; an integrated project takes the longest.
    SystemKind.ERP: Blueprint(SystemKind.ERP, 9, 90, _WEIGHTS, _merge(_COMMON_ITEMS, _ERP_ITEMS)),
    SystemKind.CRM: Blueprint(SystemKind.CRM, 4, 90, _WEIGHTS, _merge(_COMMON_ITEMS, _CRM_ITEMS)),
    SystemKind.ERP_CRM: Blueprint(
        SystemKind.ERP_CRM,
        12,
        120,
        _WEIGHTS,
        _merge(_COMMON_ITEMS, _ERP_ITEMS, _CRM_ITEMS, _INTEGRATION_ITEMS),
    ),
}

GO_LIVE_MONITORING_DAYS = 7


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day of the month, `months` later (clamped to the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def default_go_live(system_kind: str, start_date: datetime.date) -> datetime.date:
    return add_months(start_date, BLUEPRINTS[system_kind].months_to_go_live)


def plan_phases(
    blueprint: Blueprint, start_date: datetime.date, go_live: datetime.date
) -> list[tuple[str, datetime.date, datetime.date]]:
    """(phase kind, planned start, planned end) for all six phases."""
    span_days = max((go_live - start_date).days, len(blueprint.weights))
    total_weight = sum(blueprint.weights.values())
    plan = []
    cursor, used = start_date, 0
    for kind, weight in blueprint.weights.items():
        used += weight
        end = start_date + datetime.timedelta(days=round(span_days * used / total_weight))
        if kind == PhaseKind.GO_LIVE:
            end = go_live + datetime.timedelta(days=GO_LIVE_MONITORING_DAYS)
        plan.append((kind, cursor, max(end, cursor)))
        cursor = min(end, go_live)
    plan.append(
        (PhaseKind.HYPERCARE, go_live, go_live + datetime.timedelta(days=blueprint.hypercare_days))
    )
    return plan
