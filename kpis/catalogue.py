"""KPI templates from the field (see DOMAIN.md, "Measuring success"), added in one click.

Each template gives the KPI its name, category, unit, direction, cadence and an example
baseline and target that show the intended change; the team replaces the numbers with
its own when it records the real baseline. `months` places the target date after go-live.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from kpis.choices import Cadence, Direction, KpiCategory


@dataclass(frozen=True)
class KpiTemplate:
    key: str
    name: str
    description: str
    category: str
    unit: str
    direction: str
    cadence: str
    example_baseline: Decimal
    example_target: Decimal
    months: int
    module: str = ""


C, D, K = Cadence, Direction, KpiCategory

TEMPLATES = [
    KpiTemplate(
        "data_entry_errors",
        _("Data-entry errors"),
        _("Reduce data-entry errors by 30% within 3 months of go-live."),
        K.QUALITY,
        _("errors per 1,000 documents"),
        D.LOWER,
        C.MONTHLY,
        Decimal("12"),
        Decimal("8.4"),
        3,
    ),
    KpiTemplate(
        "order_productivity",
        _("Order-processing productivity"),
        _("Raise the orders processed per person and hour by 20%."),
        K.PROCESS_EFFICIENCY,
        _("orders per hour"),
        D.HIGHER,
        C.MONTHLY,
        Decimal("10"),
        Decimal("12"),
        6,
        _("Sales"),
    ),
    KpiTemplate(
        "month_end_close",
        _("Month-end close"),
        _("Cut the accounting month-end close from 10 days to 5."),
        K.FINANCE,
        _("days"),
        D.LOWER,
        C.MONTHLY,
        Decimal("10"),
        Decimal("5"),
        6,
        _("Finance"),
    ),
    KpiTemplate(
        "lead_conversion",
        _("Lead conversion rate"),
        _("Share of qualified leads that become customers."),
        K.SALES,
        "%",
        D.HIGHER,
        C.MONTHLY,
        Decimal("18"),
        Decimal("22"),
        6,
        _("CRM"),
    ),
    KpiTemplate(
        "sales_cycle",
        _("Average sales cycle length"),
        _("Days from first contact to signed order."),
        K.SALES,
        _("days"),
        D.LOWER,
        C.MONTHLY,
        Decimal("45"),
        Decimal("35"),
        6,
        _("CRM"),
    ),
    KpiTemplate(
        "first_contact_resolution",
        _("First-contact resolution"),
        _("Share of customer requests solved in the first contact."),
        K.SERVICE,
        "%",
        D.HIGHER,
        C.MONTHLY,
        Decimal("60"),
        Decimal("75"),
        6,
        _("Service"),
    ),
    KpiTemplate(
        "weekly_active_users",
        _("Weekly active users"),
        _("People who used the new system at least once in the week."),
        K.ADOPTION,
        _("users"),
        D.HIGHER,
        C.WEEKLY,
        Decimal("0"),
        Decimal("120"),
        3,
    ),
    KpiTemplate(
        "user_satisfaction",
        _("User satisfaction score"),
        _("Average answer (1-5) of the periodic anonymous user survey."),
        K.SATISFACTION,
        _("score (1-5)"),
        D.HIGHER,
        C.QUARTERLY,
        Decimal("3.0"),
        Decimal("4.0"),
        6,
    ),
    KpiTemplate(
        "weekly_report_time",
        _("Weekly report preparation time"),
        _("A weekly report that took half a day should take minutes."),
        K.PROCESS_EFFICIENCY,
        _("hours"),
        D.LOWER,
        C.MONTHLY,
        Decimal("4"),
        Decimal("0.5"),
        3,
    ),
    KpiTemplate(
        "quote_approval_time",
        _("Quote approval time"),
        _("A quote approval that took three days of signatures should take thirty minutes."),
        K.PROCESS_EFFICIENCY,
        _("hours"),
        D.LOWER,
        C.MONTHLY,
        Decimal("72"),
        Decimal("0.5"),
        3,
        _("Sales"),
    ),
]
TEMPLATES_BY_KEY = {template.key: template for template in TEMPLATES}
