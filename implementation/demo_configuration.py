"""Demo configuration log: an Odoo 17 roll-out at a Hanoi retail chain.

About forty entries over the last five months, recorded through the service like real ones:
sandbox set-up in discovery, the design decisions (VND, Circular 200, VAT 8%/10%, the
Long Biên and Hà Đông warehouses, POS, price lists, approval limits), the e-invoice
integration during development, and the first production settings during testing. Two
entries correct earlier mistakes.
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.db import connection, transaction

from implementation.choices import Environment, PhaseKind
from implementation.models import ConfigurationChange
from implementation.services.configuration import configuration_change_record
from projects.models import Project, User

WINDOW_DAYS = 150

DEV, TEST, PROD = Environment.DEVELOPMENT, Environment.TEST, Environment.PRODUCTION
DISCOVERY, DESIGN, DEVELOPMENT, TESTING = (
    PhaseKind.DISCOVERY,
    PhaseKind.DESIGN,
    PhaseKind.DEVELOPMENT,
    PhaseKind.TESTING,
)


@dataclass(frozen=True)
class Entry:
    area: str
    setting: str
    old_value: str
    new_value: str
    reason: str
    reference: str
    requested_by: str
    environment: str
    phase: str
    recorded_by: str = "consultant"
    approved_by: str | None = None
    # Position (from 1) of the corrected entry; "{corrected}" in the reason names it.
    corrects: int | None = None


def _entries(year: int) -> list[Entry]:
    this_year, last_year = f"{year % 100:02d}", f"{(year - 1) % 100:02d}"
    return [
        # --- Discovery: the sandbox --------------------------------------------------------
        Entry(
            "Users and security",
            "Company: Hanoi Retail JSC",
            "My Company",
            "Hanoi Retail JSC, tax code 0101234567, 25 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội",
            "Sandbox for the discovery workshops needs the real company on documents.",
            "REQ-001",
            "pm",
            DEV,
            DISCOVERY,
        ),
        Entry(
            "Finance - General Ledger",
            "Company currency",
            "USD",
            "VND (₫), no decimals",
            "Statutory books are kept in Vietnamese đồng; Odoo starts in USD.",
            "REQ-002",
            "keyuser",
            DEV,
            DISCOVERY,
            approved_by="pm",
        ),
        Entry(
            "Finance - General Ledger",
            "Fiscal localisation package",
            "Generic chart template",
            "Vietnam - Accounting (l10n_vn), chart of accounts per Circular 200",
            "The chief accountant reports under Circular 200/2014/TT-BTC.",
            "REQ-003",
            "keyuser",
            DEV,
            DISCOVERY,
            approved_by="pm",
        ),
        Entry(
            "Users and security",
            "Installed languages",
            "English",
            "English, Tiếng Việt (vi_VN); Vietnamese by default for store users",
            "Store staff work in Vietnamese; head office reads both.",
            "REQ-004",
            "hr",
            DEV,
            DISCOVERY,
            recorded_by="it",
        ),
        Entry(
            "Users and security",
            "Default user time zone",
            "Europe/Brussels",
            "Asia/Ho_Chi_Minh",
            "POS sessions and delivery dates must show Hanoi time.",
            "REQ-005",
            "it",
            DEV,
            DISCOVERY,
            recorded_by="it",
        ),
        # --- Design -------------------------------------------------------------------------
        Entry(
            "Finance - Tax",
            "Default sales tax",
            "15%",
            "VAT 10% (output)",
            "Standard VAT rate for most goods sold in the stores.",
            "REQ-014",
            "keyuser",
            DEV,
            DESIGN,
            approved_by="pm",
        ),
        Entry(
            "Finance - Tax",
            "Reduced VAT rate",
            "",
            "VAT 8% (output), for goods eligible for the VAT reduction decree",
            "Household goods and food qualify for the 2% reduction; it must show on invoices.",
            "REQ-015",
            "keyuser",
            DEV,
            DESIGN,
            approved_by="pm",
        ),
        Entry(
            "Finance - General Ledger",
            "Chart of accounts: cash and bank sub-accounts",
            "1111 Cash, 1121 Bank",
            "1111.01-1111.12 cash per store; 1121.VCB Vietcombank, 1121.BIDV BIDV",
            "Cash has to be reconciled store by store, and each bank separately.",
            "REQ-016",
            "keyuser",
            DEV,
            DESIGN,
            approved_by="executive",
        ),
        Entry(
            "Inventory",
            "Warehouse WH-LB",
            "",
            "Long Biên central warehouse (WH-LB), 12 Nguyễn Văn Cừ, Long Biên",
            "Main warehouse supplying the stores north of the Red River.",
            "REQ-021",
            "warehouse",
            DEV,
            DESIGN,
        ),
        Entry(
            "Inventory",
            "Warehouse WH-HD",
            "",
            "Hà Đông warehouse (WH-HD), 88 Quang Trung, Hà Đông",
            "Second warehouse for the stores in the west of the city.",
            "REQ-022",
            "warehouse",
            DEV,
            DESIGN,
        ),
        Entry(
            "Inventory",
            "Outgoing shipments at WH-LB",
            "Deliver goods directly (1 step)",
            "Pick then ship (2 steps)",
            "Store orders are picked in the morning and loaded on the afternoon truck.",
            "REQ-023",
            "warehouse",
            DEV,
            DESIGN,
        ),
        Entry(
            "Inventory",
            "Costing method of product categories",
            "Standard price",
            "Average cost (AVCO), automated valuation",
            "Purchase prices change weekly; the accountant wants real average margins.",
            "REQ-024",
            "keyuser",
            DEV,
            DESIGN,
            approved_by="pm",
        ),
        Entry(
            "Sales",
            "Pricelists",
            "One price per product",
            "Advanced price rules (formulas)",
            "Wholesale and loyalty prices are computed from the public price.",
            "REQ-030",
            "sales",
            DEV,
            DESIGN,
        ),
        Entry(
            "Sales",
            "Pricelist: Wholesale (Khách sỉ)",
            "",
            "8% off the public price from 10 units per line",
            "Restaurants and small shops buy by the carton.",
            "REQ-031",
            "sales",
            DEV,
            DESIGN,
            approved_by="executive",
        ),
        Entry(
            "Point of Sale",
            "Shops",
            "",
            "12 POS shops, one per store, each linked to its own cash journal",
            "Each store closes its own session and counts its own cash.",
            "REQ-035",
            "sales",
            DEV,
            DESIGN,
        ),
        Entry(
            "Point of Sale",
            "Payment methods",
            "Cash",
            "Cash, VNPAY-QR, bank card (Napas)",
            "Two thirds of store payments are QR or card.",
            "REQ-036",
            "sales",
            DEV,
            DESIGN,
        ),
        Entry(
            "Purchasing",
            "Purchase order approval (two-step validation)",
            "Off",
            "On, for orders from 200,000,000 ₫",
            "The approval matrix: large orders need the director's approval.",
            "REQ-040",
            "pm",
            DEV,
            DESIGN,
            approved_by="executive",
        ),
        Entry(
            "Finance - Accounts Receivable",
            "Payment terms for wholesale customers",
            "Immediate payment",
            "30 days end of month",
            "Agreed terms with wholesale customers.",
            "REQ-042",
            "keyuser",
            DEV,
            DESIGN,
        ),
        Entry(
            "Users and security",
            "Access group: Store manager",
            "",
            "Point of Sale / Administrator + Sales / User; no Accounting access",
            "Store managers run their store without seeing the books.",
            "REQ-045",
            "hr",
            DEV,
            DESIGN,
            recorded_by="it",
            approved_by="pm",
        ),
        # --- Development ----------------------------------------------------------------------
        Entry(
            "Integrations",
            "E-invoice connector",
            "",
            "VNPT Invoice API, sandbox account, one invoice per POS order on request",
            "Invoices must be issued electronically and sent to the tax authority.",
            "REQ-050",
            "keyuser",
            DEV,
            DEVELOPMENT,
            recorded_by="it",
        ),
        Entry(
            "Integrations",
            "E-invoice symbol (ký hiệu)",
            "",
            f"1C{last_year}TAA",
            "Symbol registered with the tax department for invoices from cash registers.",
            "REQ-051",
            "keyuser",
            DEV,
            DEVELOPMENT,
            recorded_by="it",
        ),
        Entry(
            "Finance - Tax",
            "Tax calculation rounding method",
            "Round per line",
            "Round globally",
            "VNPT computes VAT on the invoice total; per-line rounding was 1 ₫ off.",
            "TCK-112",
            "keyuser",
            DEV,
            DEVELOPMENT,
            approved_by="pm",
        ),
        Entry(
            "Inventory",
            "Reordering rules",
            "",
            "Min/max per store for the 300 best-selling products",
            "Stores ran out of fast movers while the warehouses had stock.",
            "REQ-025",
            "warehouse",
            DEV,
            DEVELOPMENT,
        ),
        Entry(
            "Inventory",
            "Lots and serial numbers",
            "Off",
            "Lots with expiry dates for dairy and cosmetics",
            "Expired goods must be traceable and removed first (FEFO).",
            "REQ-026",
            "warehouse",
            DEV,
            DEVELOPMENT,
            approved_by="pm",
        ),
        Entry(
            "Sales",
            "Discount limit without approval",
            "No limit",
            "10%; higher discounts need a store manager",
            "Margin leaks from generous manual discounts at the till.",
            "REQ-033",
            "sales",
            DEV,
            DEVELOPMENT,
            approved_by="executive",
        ),
        Entry(
            "HR - Payroll",
            "Working schedule of store staff",
            "Standard 40 hours/week",
            "48 hours/week, Monday to Saturday, two shifts",
            "Stores open six days a week from 7:00 to 22:00.",
            "REQ-060",
            "hr",
            DEV,
            DEVELOPMENT,
        ),
        Entry(
            "Point of Sale",
            "Receipt header and footer",
            "",
            "Company name, tax code, hotline 1900 6868; footer: Cảm ơn quý khách!",
            "Receipts must show the seller's tax code.",
            "REQ-037",
            "sales",
            DEV,
            DEVELOPMENT,
        ),
        Entry(
            "Finance - General Ledger",
            "Journals",
            "Cash, Bank",
            "12 store cash journals, bank journals Vietcombank and BIDV",
            "Follows the cash and bank sub-accounts of the chart.",
            "REQ-017",
            "keyuser",
            DEV,
            DEVELOPMENT,
        ),
        Entry(
            "Purchasing",
            "Bill control policy",
            "On ordered quantities",
            "On received quantities",
            "Suppliers often deliver short; pay only for what arrived.",
            "REQ-041",
            "keyuser",
            TEST,
            DEVELOPMENT,
            approved_by="pm",
        ),
        Entry(
            "Sales",
            "Pricelist: Loyalty card",
            "",
            "5% off for members with a loyalty card",
            "Replaces the paper stamp card used in the stores.",
            "REQ-032",
            "sales",
            TEST,
            DEVELOPMENT,
        ),
        Entry(
            "Integrations",
            "Bank statement import",
            "",
            "Vietcombank CSV format, daily import",
            "Matching incoming transfers by hand takes the accountant two hours a day.",
            "REQ-052",
            "keyuser",
            TEST,
            DEVELOPMENT,
            recorded_by="it",
        ),
        # --- Testing --------------------------------------------------------------------------
        Entry(
            "Purchasing",
            "Purchase order approval (two-step validation)",
            "On, for orders from 200,000,000 ₫",
            "On, for orders from 20,000,000 ₫",
            "{corrected} recorded the limit with an extra zero; the approval matrix signed by "
            "the director says 20,000,000 ₫, and that is what is configured.",
            "REQ-040",
            "pm",
            TEST,
            TESTING,
            recorded_by="pm",
            approved_by="executive",
            corrects=17,
        ),
        Entry(
            "Integrations",
            "E-invoice symbol (ký hiệu)",
            f"1C{last_year}TAA",
            f"1C{this_year}TAA",
            f"The symbol carries the year: {this_year} for invoices issued this year. "
            "{corrected} recorded last year's symbol.",
            "TCK-131",
            "keyuser",
            TEST,
            TESTING,
            recorded_by="it",
            corrects=21,
        ),
        Entry(
            "Point of Sale",
            "Session closing control",
            "Cash count optional",
            "Cash count required; a difference over 50,000 ₫ needs the store manager",
            "UAT found sessions closed without counting the cash.",
            "TCK-140",
            "sales",
            TEST,
            TESTING,
            approved_by="pm",
        ),
        Entry(
            "Finance - Tax",
            "Taxes on eligible product categories",
            "VAT 10%",
            "VAT 8% on 1,240 products in food and household categories",
            "UAT invoices for instant noodles showed 10%; the reduced rate applies.",
            "TCK-144",
            "keyuser",
            TEST,
            TESTING,
            approved_by="pm",
        ),
        Entry(
            "Inventory",
            "Incoming shipments at WH-HD",
            "Receive goods directly (1 step)",
            "Receive then store (2 steps), with a quality check of fresh goods",
            "Fresh goods are checked before they are put away.",
            "TCK-150",
            "warehouse",
            TEST,
            TESTING,
        ),
        Entry(
            "Finance - General Ledger",
            "Company currency",
            "USD",
            "VND (₫), no decimals",
            "Production database prepared ahead of go-live, same as test.",
            "REQ-002",
            "keyuser",
            PROD,
            TESTING,
            recorded_by="it",
            approved_by="pm",
        ),
        Entry(
            "Finance - General Ledger",
            "Fiscal localisation package",
            "Generic chart template",
            "Vietnam - Accounting (l10n_vn), Circular 200, with the store and bank sub-accounts",
            "Production must match the chart signed off in test.",
            "REQ-003",
            "keyuser",
            PROD,
            TESTING,
            recorded_by="it",
            approved_by="pm",
        ),
        Entry(
            "Users and security",
            "Production users",
            "",
            "86 users from the HR list, password change at first login, 2FA for head office",
            "Accounts ready for the go-live training sessions.",
            "REQ-046",
            "hr",
            PROD,
            TESTING,
            recorded_by="it",
            approved_by="pm",
        ),
        Entry(
            "Integrations",
            "E-invoice connector",
            "",
            f"VNPT Invoice API, production account, symbol 1C{this_year}TAA",
            "Production credentials received from VNPT after registration.",
            "REQ-050",
            "keyuser",
            PROD,
            TESTING,
            recorded_by="it",
            approved_by="executive",
        ),
    ]


def _moments(
    count: int, *, start: datetime.date, end: datetime.date, zone: datetime.tzinfo
) -> list[datetime.datetime]:
    """`count` moments in order, spread evenly from start to end, on working days."""
    span = max((end - start).days, 0)
    moments: list[datetime.datetime] = []
    for index in range(count):
        day = start + datetime.timedelta(days=round(span * index / max(count - 1, 1)))
        while day.weekday() >= 5 and day > start:  # weekend: the Friday before
            day -= datetime.timedelta(days=1)
        moment = datetime.datetime.combine(
            day, datetime.time(9 + (index * 5) % 8, (index * 17) % 60), tzinfo=zone
        )
        if moments and moment <= moments[-1]:
            moment = moments[-1] + datetime.timedelta(minutes=40)
        moments.append(moment)
    return moments


@transaction.atomic
def seed_configuration_log(
    *, project: Project, users: dict[str, User], today: datetime.date
) -> None:
    """Record the demo log on a fresh project; a project that already has a log is left alone."""
    if ConfigurationChange.objects.filter(project=project).exists():
        return
    entries = _entries(today.year)
    phases = {phase.kind: phase for phase in project.phases.all()}
    zone = zoneinfo.ZoneInfo(project.time_zone)
    start = max(today - datetime.timedelta(days=WINDOW_DAYS), project.start_date)
    moments = _moments(len(entries), start=start, end=today - datetime.timedelta(days=1), zone=zone)
    recorded: list[ConfigurationChange] = []
    for entry, applied_at in zip(entries, moments, strict=True):
        corrected = recorded[entry.corrects - 1] if entry.corrects else None
        reason = entry.reason
        if corrected is not None:
            reason = reason.replace("{corrected}", corrected.display_number)
        recorded.append(
            configuration_change_record(
                actor=users[entry.recorded_by],
                project=project,
                area=entry.area,
                setting=entry.setting,
                old_value=entry.old_value,
                new_value=entry.new_value,
                reason=reason,
                reference=entry.reference,
                requested_by=users[entry.requested_by],
                approved_by=users[entry.approved_by] if entry.approved_by else None,
                environment=entry.environment,
                applied_at=applied_at,
                phase=phases.get(entry.phase),
                supersedes=corrected,
            )
        )
    _backdate_recording(recorded)


def _backdate_recording(recorded: list[ConfigurationChange]) -> None:
    """Demo only: say each entry was recorded an hour after it was applied, as it would have
    been, so "changes since the last review" means something. The log refuses updates
    through the ORM, so this one-off goes straight to SQL."""
    table = connection.ops.quote_name(ConfigurationChange._meta.db_table)
    with connection.cursor() as cursor:
        for change in recorded:
            cursor.execute(
                f"UPDATE {table} SET recorded_at = %s WHERE id = %s",  # noqa: S608
                [change.applied_at + datetime.timedelta(hours=1), change.pk],
            )
