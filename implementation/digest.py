"""The weekly digest: one member's personal slice of one project, ahead of the weekly review.

`build_digest(project=, user=, now=)` reads; `render_digest_email(digest)` renders the e-mail
(subject, plain text, HTML). Neither sends anything: the reminder machinery decides who gets
a digest, when, and only once.

The slice, with "due soon" meaning due at the latest 7 days after the meeting day and
"overdue" meaning due before today (both in the project's time zone):

- checklist items the user owns, not done, overdue or due soon, in phases not completed
  (a completed phase's open items were waived at its gate);
- action items the user owns, still open, overdue or due soon;
- defects assigned to the user and open (uat.choices.OPEN_STATUSES);
- defects awaiting the user's re-test: fixed defects of the project, when the user may
  re-test (Capability.RETEST) and did not fix the defect, and, to keep the list personal,
  the user reported it or is assigned a scenario of its cycle; a defect already listed as
  assigned to the user is not listed again;
- sign-offs whose signature is awaited from the user now: requested, not yet signed by them,
  and, when signing is in order, their turn (the rule of uat.services.signoffs.awaiting,
  applied to prefetched rows);
- KPIs the user owns whose next measurement is due by the meeting day or overdue (the rule of
  the agenda's KPI section and kpis.selectors.kpis_due, reaching to the meeting day);
- open support tickets assigned to the user, and, for the support team, every open ticket
  past its SLA (implementation.hypercare).

Then the meeting's agenda (implementation.agenda). An executive's copy also carries the
weekly status: phase progress, health with its reasons, the current UAT cycle, sign-offs and
KPI statuses. Each section shows at most DIGEST_LIMIT items and says how many more there are.
The whole digest costs the same number of queries whatever the number of rows.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, Count, F, IntegerField, Q, Value, When, Window
from django.db.models.functions import RowNumber
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from implementation import hypercare
from implementation.agenda import MANDATORY, OVERDUE, Agenda, build_agenda
from implementation.choices import (
    OPEN_ACTION_STATUSES,
    OPEN_TICKET_STATUSES,
    PhaseKind,
    PhaseStatus,
)
from implementation.models import ActionItem, ChecklistItem, Ticket
from kpis import selectors as kpi_selectors
from kpis.choices import KpiStatus
from projects import health, policy
from projects.choices import Role
from projects.models import Membership, Project, User
from projects.policy import Capability
from projects.shared_parts import shared, sharing
from uat.choices import (
    OPEN_STATUSES,
    SEVERITY_RANK,
    DefectStatus,
    SigningOrder,
    SignoffStatus,
)
from uat.models import CycleScenario, Defect, SignOff
from uat.selectors.cycles import cycle_statuses, project_current_cycle

DIGEST_LIMIT = 20  # items per section; the rest is one click away
SOON_DAYS = 7  # "due soon": due at the latest this many days after the meeting day

# A flag of a sign-off whose subject changed since the request (see uat.services.signoffs).
STALE = "stale"


@dataclass(frozen=True)
class DigestItem:
    """One thing for the member: a short text, a detail line, an absolute link, a due date."""

    text: str
    detail: str = ""
    url: str = ""
    due_date: datetime.date | None = None
    flags: tuple[str, ...] = ()

    @property
    def is_overdue(self) -> bool:
        return OVERDUE in self.flags


@dataclass(frozen=True)
class DigestSection:
    key: str
    title: str
    items: tuple[DigestItem, ...] = ()
    empty_text: str = ""
    total: int | None = None  # how many there are when `items` shows only the first ones
    more_url: str = ""

    @property
    def count(self) -> int:
        return len(self.items) if self.total is None else self.total

    @property
    def hidden(self) -> int:
        return self.count - len(self.items)


@dataclass(frozen=True)
class PhaseLine:
    name: str
    status: str
    done: int
    total: int
    is_current: bool = False


@dataclass(frozen=True)
class UatProgress:
    """The current cycle's latest runs and open defects (uat.selectors.cycles.cycle_status)."""

    cycle: str
    planned: int
    executed: int
    passed: int
    open_defects: int
    url: str = ""


@dataclass(frozen=True)
class WeeklyStatus:
    """The executive's summary of where the project stands this week."""

    phases: tuple[PhaseLine, ...]
    health: str  # the colour's label: Green, Amber, Red
    health_css: str  # green, amber, red
    health_reasons: tuple[str, ...]
    uat: UatProgress | None
    signoffs_pending: int
    signoffs_signed: int
    kpi_counts: tuple[tuple[str, int], ...]  # (status label, count), every status in order
    # The go/no-go criteria as (label, met, reasons), in the two months before go-live.
    readiness: tuple[tuple[str, bool, tuple[str, ...]], ...] = ()
    # After go-live: the hypercare exit criteria, and open tickets (total, critical, past SLA).
    hypercare: tuple[tuple[str, bool, tuple[str, ...]], ...] = ()
    tickets: tuple[int, int, int] | None = None

    @property
    def kpi_total(self) -> int:
        return sum(count for _label, count in self.kpi_counts)


@dataclass(frozen=True)
class Digest:
    project: Project
    user: User
    meeting_at: datetime.datetime  # aware, in the project's time zone
    sections: tuple[DigestSection, ...]
    agenda: Agenda
    status: WeeklyStatus | None = None

    @property
    def count(self) -> int:
        """How many personal items there are, hidden ones included."""
        return sum(section.count for section in self.sections)

    @property
    def is_empty(self) -> bool:
        return self.count == 0

    def section(self, key: str) -> DigestSection:
        return next(section for section in self.sections if section.key == key)


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str


# --- Building -----------------------------------------------------------------------------


def _path(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # a digest never fails for a missing page
        return ""


def _link(name: str, *args, anchor: str = "") -> str:
    """An absolute link to a page, or "" when the page does not exist."""
    path = _path(name, *args)
    if not path:
        return ""
    return settings.SITE_URL + path + (f"#{anchor}" if anchor else "")


def _first_rows(queryset) -> tuple[list, int | None]:
    """The first DIGEST_LIMIT rows and, when there are more, how many in all (one query).

    The total rides along as a window count, so a long list costs no second query.
    """
    rows = list(queryset.annotate(digest_total=Window(Count("pk")))[:DIGEST_LIMIT])
    total = rows[0].digest_total if rows else 0
    return rows, (total if total > len(rows) else None)


def _first_rows_per_user(
    queryset, user_field: str, ordering: list, users: list[User]
) -> dict[int, tuple[list, int | None]]:
    """Each user's first DIGEST_LIMIT rows in `ordering` and, when there are more, how many
    in all, by user pk; one query for all the users, however long their lists.

    A rank and a total per user ride along as window functions, and only the ranks up to
    DIGEST_LIMIT come back.
    """
    per_user = F(f"{user_field}_id")
    rows = (
        queryset.filter(**{f"{user_field}__in": [user.pk for user in users]})
        .annotate(
            digest_rank=Window(RowNumber(), partition_by=per_user, order_by=ordering),
            digest_total=Window(Count("pk"), partition_by=per_user),
        )
        .filter(digest_rank__lte=DIGEST_LIMIT)
        .order_by(*ordering)
    )
    grouped: dict[int, list] = {user.pk: [] for user in users}
    for row in rows:
        grouped[getattr(row, f"{user_field}_id")].append(row)
    return {
        pk: (
            rows,
            rows[0].digest_total if rows and rows[0].digest_total > len(rows) else None,
        )
        for pk, rows in grouped.items()
    }


@dataclass(frozen=True)
class _Window:
    """The days the slice looks at: today, the meeting day, and the end of "due soon"."""

    today: datetime.date
    meeting_day: datetime.date

    @property
    def soon_until(self) -> datetime.date:
        return self.meeting_day + datetime.timedelta(days=SOON_DAYS)

    def flags(self, due_date: datetime.date | None, *extra: str) -> tuple[str, ...]:
        overdue = due_date is not None and due_date < self.today
        return ((OVERDUE,) if overdue else ()) + extra


# Each section below is built for several members of one project at once (a dispatch builds
# every member's digest), as {user pk: section}, with the same queries as for one member.
Sections = dict[int, DigestSection]


def _checklist_items(project: Project, users: list[User], window: _Window) -> Sections:
    """My checklist items not done, overdue or due soon, in phases not completed."""
    items = (
        ChecklistItem.objects.filter(
            phase__project=project,
            done_at__isnull=True,
            due_date__lte=window.soon_until,
        )
        .exclude(phase__status=PhaseStatus.COMPLETED)
        .select_related("phase")
    )
    ordering = ["due_date", "-is_mandatory", "phase__position", "position", "pk"]
    code = project.code
    title = _("Your checklist items")
    empty_text = _("No checklist item of yours is overdue or due soon.")
    more_url = _link("projects:detail", code)
    mandatory = " · " + _("mandatory")
    return {
        pk: DigestSection(
            key="checklist_items",
            title=title,
            items=tuple(
                DigestItem(
                    text=item.title,
                    detail=item.phase.get_kind_display() + (mandatory if item.is_mandatory else ""),
                    url=_link(
                        "implementation:phase", code, item.phase.kind, anchor=f"item-{item.pk}"
                    ),
                    due_date=item.due_date,
                    flags=window.flags(item.due_date, *((MANDATORY,) if item.is_mandatory else ())),
                )
                for item in rows
            ),
            total=total,
            more_url=more_url,
            empty_text=empty_text,
        )
        for pk, (rows, total) in _first_rows_per_user(items, "owner", ordering, users).items()
    }


def _action_items(project: Project, users: list[User], window: _Window) -> Sections:
    """My open action items, overdue or due soon."""
    items = ActionItem.objects.filter(
        project=project,
        status__in=OPEN_ACTION_STATUSES,
        due_date__lte=window.soon_until,
    )
    code = project.code
    title = _("Your action items")
    empty_text = _("No action item of yours is overdue or due soon.")
    more_url = _link("implementation:action-list", code)
    return {
        pk: DigestSection(
            key="action_items",
            title=title,
            items=tuple(
                DigestItem(
                    text=item.title,
                    detail=item.get_status_display(),
                    url=_link("implementation:action-list", code, anchor=f"action-{item.pk}"),
                    due_date=item.due_date,
                    flags=window.flags(item.due_date),
                )
                for item in rows
            ),
            total=total,
            more_url=more_url,
            empty_text=empty_text,
        )
        for pk, (rows, total) in _first_rows_per_user(
            items, "owner", ["due_date", "pk"], users
        ).items()
    }


def _severity_order() -> Case:
    return Case(
        *(When(severity=severity, then=Value(rank)) for severity, rank in SEVERITY_RANK.items()),
        output_field=IntegerField(),
    )


def _defect_item(defect: Defect, code: str) -> DigestItem:
    return DigestItem(
        text=f"{defect.display_number} · {defect.title}",
        detail=f"{defect.get_severity_display()} · {defect.get_status_display()}",
        url=_link("uat:defect-detail", code, defect.number),
    )


def _assigned_defects(project: Project, users: list[User]) -> Sections:
    """Open defects assigned to me, most severe first, then oldest first."""
    defects = Defect.objects.filter(project=project, status__in=OPEN_STATUSES)
    ordering = [_severity_order(), "created_at", "pk"]
    title = _("Defects assigned to you")
    empty_text = _("No open defect is assigned to you.")
    more_url = _link("uat:my-defects", project.code)
    return {
        pk: DigestSection(
            key="assigned_defects",
            title=title,
            items=tuple(_defect_item(defect, project.code) for defect in rows),
            total=total,
            more_url=more_url,
            empty_text=empty_text,
        )
        for pk, (rows, total) in _first_rows_per_user(defects, "assignee", ordering, users).items()
    }


def _ticket_item(ticket: Ticket, code: str, now: datetime.datetime) -> DigestItem:
    due = ticket.response_due_at if ticket.acknowledged_at is None else ticket.resolution_due_at
    late = due < now
    detail = f"{ticket.get_severity_display()} · {ticket.get_status_display()}"
    if late:
        detail += " · " + _("past its SLA")
    return DigestItem(
        text=f"{ticket.display_number} · {ticket.title}",
        detail=detail,
        url=_link("hypercare:ticket", code, ticket.number),
        flags=(OVERDUE,) if late else (),
    )


def _assigned_tickets(project: Project, users: list[User], now: datetime.datetime) -> Sections:
    """Open support tickets assigned to me, the next due first."""
    tickets = Ticket.objects.filter(project=project, status__in=OPEN_TICKET_STATUSES)
    title = _("Support tickets assigned to you")
    empty_text = _("No open support ticket is assigned to you.")
    more_url = _link("hypercare:tickets", project.code)
    return {
        pk: DigestSection(
            key="assigned_tickets",
            title=title,
            items=tuple(_ticket_item(ticket, project.code, now) for ticket in rows),
            total=total,
            more_url=more_url,
            empty_text=empty_text,
        )
        for pk, (rows, total) in _first_rows_per_user(
            tickets, "assignee", ["resolution_due_at", "pk"], users
        ).items()
    }


def _breached_tickets(project: Project, users: list[User], now: datetime.datetime) -> Sections:
    """For the support team: every open ticket past its SLA, most overdue first."""
    section = {
        "key": "breached_tickets",
        "title": _("Support tickets past their SLA"),
        "more_url": _link("hypercare:board", project.code),
        "empty_text": _("No open support ticket is past its SLA."),
    }
    tickets = Ticket.objects.filter(
        hypercare.breached(now), project=project, status__in=OPEN_TICKET_STATUSES
    ).order_by("resolution_due_at", "pk")
    rows, total = _first_rows(tickets)
    if not rows:  # nothing to show anyone: no need to ask who handles tickets
        return {user.pk: DigestSection(**section) for user in users}
    items = tuple(_ticket_item(ticket, project.code, now) for ticket in rows)
    return {
        user.pk: DigestSection(**section, items=items, total=total)
        if policy.can_handle_tickets(user, project)
        else DigestSection(**section)
        for user in users
    }


def _retest_defects(project: Project, users: list[User]) -> Sections:
    """Fixed defects I may re-test, did not fix, and reported or test in their cycle.

    The project's fixed defects and who tests which cycle come in two queries; each
    member's list is picked from them.
    """
    section = {
        "key": "retest_defects",
        "title": _("Fixes awaiting your re-test"),
        "more_url": _link("uat:my-defects", project.code),
        "empty_text": _("No fix is awaiting your re-test."),
    }
    testers = [user for user in users if policy.can(user, project, Capability.RETEST)]
    sections = {user.pk: DigestSection(**section) for user in users}
    if not testers:
        return sections
    fixed = list(
        Defect.objects.filter(project=project, status=DefectStatus.FIXED).order_by(
            _severity_order(), "updated_at", "pk"
        )
    )
    cycle_testers = set(
        CycleScenario.assignees.through.objects.filter(
            cyclescenario__cycle__project=project, user__in=testers
        ).values_list("cyclescenario__cycle_id", "user_id")
    )
    for user in testers:
        mine = [
            defect
            for defect in fixed
            if defect.fixed_by_id != user.pk
            and defect.assignee_id != user.pk  # listed with the defects assigned to the user
            and (defect.reporter_id == user.pk or (defect.cycle_id, user.pk) in cycle_testers)
        ]
        sections[user.pk] = DigestSection(
            **section,
            items=tuple(_defect_item(d, project.code) for d in mine[:DIGEST_LIMIT]),
            total=len(mine) if len(mine) > DIGEST_LIMIT else None,
        )
    return sections


def _awaited_signatory_pks(signoff: SignOff) -> set[int]:
    """The rule of uat.services.signoffs.awaiting, on prefetched signatories and signatures."""
    if signoff.status != SignoffStatus.REQUESTED:
        return set()
    signed = {signature.signatory_id for signature in signoff.signatures.all()}
    unsigned = sorted(
        (s for s in signoff.signatories.all() if s.pk not in signed), key=lambda s: s.position
    )
    if signoff.signing_order == SigningOrder.SEQUENTIAL:
        unsigned = unsigned[:1]
    return {s.pk for s in unsigned}


def _signatures(project: Project, users: list[User]) -> Sections:
    """Requested sign-offs that await my signature now (three queries)."""
    candidates = (
        SignOff.objects.filter(
            project=project,
            status=SignoffStatus.REQUESTED,
            signatories__user__in=[user.pk for user in users],
        )
        .prefetch_related("signatories", "signatures")
        .order_by("requested_at", "pk")
        .distinct()
    )
    awaited: dict[int, list] = {user.pk: [] for user in users}
    for signoff in candidates:
        awaited_pks = _awaited_signatory_pks(signoff)
        for signatory in signoff.signatories.all():  # a member is named once per sign-off
            if signatory.user_id in awaited and signatory.pk in awaited_pks:
                awaited[signatory.user_id].append((signoff, signatory))
    section = {
        "key": "signatures",
        "title": _("Signatures awaited from you"),
        "more_url": _link("signoffs:list", project.code),
        "empty_text": _("No sign-off is waiting for your signature."),
    }
    return {
        pk: DigestSection(
            **section,
            items=tuple(_signature_item(project, *pair) for pair in pairs[:DIGEST_LIMIT]),
            total=len(pairs) if len(pairs) > DIGEST_LIMIT else None,
        )
        for pk, pairs in awaited.items()
    }


def _signature_item(project: Project, signoff: SignOff, signatory) -> DigestItem:
    detail = _("Sign as %(role)s") % {"role": signatory.role_title}
    if signoff.stale_at:
        detail += " · " + _("Scope changed since the request: it will be requested again.")
    return DigestItem(
        text=f"{signoff.display_number} · {signoff.title}",
        detail=detail,
        url=_link("signoffs:detail", project.code, signoff.number),
        flags=(STALE,) if signoff.stale_at else (),
    )


def _kpi_detail(row: kpi_selectors.KpiRow) -> str:
    kpi, figures = row.kpi, row.figures
    parts = [kpi.get_cadence_display()]
    if figures.latest_on is None:
        parts.append(_("not measured yet"))
    else:
        parts.append(
            _("last measured %(day)s: %(value)s %(unit)s")
            % {
                "day": figures.latest_on.isoformat(),
                "value": f"{figures.latest_value.normalize():f}",
                "unit": kpi.unit,
            }
        )
    if figures.overdue_periods:
        parts.append(
            ngettext(
                "%(count)d measurement overdue",
                "%(count)d measurements overdue",
                figures.overdue_periods,
            )
            % {"count": figures.overdue_periods}
        )
    return " · ".join(parts)


def _kpi_measurements(project: Project, users: list[User], window: _Window) -> Sections:
    """My KPIs whose next measurement is due by the meeting day or overdue (one query, the
    project's KPIs, shared with the agenda and the weekly status in a dispatch)."""
    owed: dict[int, list] = {user.pk: [] for user in users}
    kpis = [kpi for kpi in kpi_selectors.project_kpis(project) if kpi.owner_id in owed]
    for row in kpi_selectors.kpi_rows(kpis, project=project, today=window.today):
        if row.figures.next_due is not None and row.figures.next_due <= window.meeting_day:
            owed[row.kpi.owner_id].append(row)
    section = {
        "key": "kpi_measurements",
        "title": _("KPI measurements you owe"),
        "more_url": _link("kpis:overview", project.code),
        "empty_text": _("No KPI measurement of yours is due before the meeting."),
    }
    sections = {}
    for pk, rows in owed.items():
        rows.sort(key=lambda row: (row.figures.next_due, row.kpi.name.casefold()))
        sections[pk] = DigestSection(
            **section,
            items=tuple(
                DigestItem(
                    text=row.kpi.name,
                    detail=_kpi_detail(row),
                    url=_link("kpis:detail", project.code, row.kpi.pk),
                    due_date=row.figures.next_due,
                    flags=(OVERDUE,) if row.figures.overdue_periods else (),
                )
                for row in rows[:DIGEST_LIMIT]
            ),
            total=len(rows) if len(rows) > DIGEST_LIMIT else None,
        )
    return sections


def weekly_status(project: Project) -> WeeklyStatus:
    """Where the project stands: phases, health, the current cycle, sign-offs, KPIs.

    The caller has checked that the project is visible (a member's digest, a report).
    """
    facts = health.load_facts([project])[project.pk]
    verdict = health.evaluate(facts)
    progress = health.phase_progress(facts.phases)
    current = health.current_phase(facts.phases)
    phases = tuple(
        PhaseLine(
            name=phase.get_kind_display(),
            status=phase.get_status_display(),
            done=progress.get(phase.pk, (0, 0))[0],
            total=progress.get(phase.pk, (0, 0))[1],
            is_current=current is not None and phase.pk == current.pk,
        )
        for phase in facts.phases
    )
    uat = None
    cycle = project_current_cycle(project)
    if cycle is not None:
        state = cycle_statuses([cycle])[cycle.pk]
        uat = UatProgress(
            cycle=cycle.name,
            planned=state.planned,
            executed=state.executed,
            passed=state.passed,
            open_defects=sum(state.open_defects.values()),
            url=_link("uat:cycle-dashboard", project.code, cycle.pk),
        )
    signoffs = SignOff.objects.filter(project=project).aggregate(
        pending=Count("pk", filter=Q(status=SignoffStatus.REQUESTED)),
        signed=Count("pk", filter=Q(status=SignoffStatus.SIGNED)),
    )
    kpis = kpi_selectors.project_kpis(project)
    counts = kpi_selectors.status_counts(
        kpi_selectors.kpi_rows(kpis, project=project, today=facts.today)
    )
    return WeeklyStatus(
        readiness=_readiness_lines(project, facts),
        **_hypercare_status(project, facts),
        phases=phases,
        health=verdict.level.label,
        health_css=verdict.level.css,
        health_reasons=tuple(finding.message for finding in verdict.findings),
        uat=uat,
        signoffs_pending=signoffs["pending"],
        signoffs_signed=signoffs["signed"],
        kpi_counts=tuple((str(status.label), counts[status.value]) for status in KpiStatus),
    )


def _readiness_lines(project: Project, facts) -> tuple:
    from implementation import readiness
    from implementation.golive_agenda import AGENDA_DAYS

    days_left = (project.target_go_live - facts.today).days
    go_live = next((p for p in facts.phases if p.kind == PhaseKind.GO_LIVE), None)
    if not 0 <= days_left <= AGENDA_DAYS or (go_live and go_live.status == PhaseStatus.COMPLETED):
        return ()
    ready = readiness.load_facts([project])[project.pk]
    return tuple(
        (c.label, c.met, tuple(readiness.reasons(c.key, ready))) for c in readiness.evaluate(ready)
    )


def _hypercare_status(project: Project, facts) -> dict:
    """Support after go-live, until the hypercare phase is completed."""
    phase = next((p for p in facts.phases if p.kind == PhaseKind.HYPERCARE), None)
    if facts.hypercare is None or (phase and phase.status == PhaseStatus.COMPLETED):
        return {}
    exit_facts = hypercare.exit_facts(project)
    status = facts.hypercare
    return {
        "hypercare": tuple(
            (c.label, c.met, tuple(hypercare.exit_reasons(c.key, exit_facts)))
            for c in hypercare.evaluate_exit(exit_facts)
        ),
        "tickets": (status.open_tickets, status.open_critical, status.open_breached),
    }


def _personal_sections(
    project: Project, users: list[User], window: _Window, now: datetime.datetime
) -> dict[int, tuple[DigestSection, ...]]:
    """Every personal section of these members, by user pk: the same queries for one member
    as for the whole team."""
    built = (
        _checklist_items(project, users, window),
        _action_items(project, users, window),
        _assigned_defects(project, users),
        _retest_defects(project, users),
        _signatures(project, users),
        _kpi_measurements(project, users, window),
        _assigned_tickets(project, users, now),
        _breached_tickets(project, users, now),
    )
    return {user.pk: tuple(sections[user.pk] for sections in built) for user in users}


def _team(project: Project) -> dict[int, tuple[User, str]]:
    """The project's members and their roles, by user pk (one query)."""
    memberships = Membership.objects.filter(project=project).select_related("user")
    return {membership.user_id: (membership.user, membership.role) for membership in memberships}


def _team_sections(
    project: Project, team: dict[int, tuple[User, str]], window: _Window, now
) -> dict[int, tuple[DigestSection, ...]]:
    for member, role in team.values():
        policy.remember_role(project, member, role)  # the re-test and ticket rules ask
    return _personal_sections(project, [member for member, _role in team.values()], window, now)


def build_digest(*, project: Project, user: User, now: datetime.datetime | None = None) -> Digest:
    """The member's personal slice of the project before the next review, then its agenda.

    The caller has checked that the user is on the project; nothing here is scoped by role
    except the re-test rule and the executive's status section. Inside `shared_project_parts`
    the first member's digest builds the personal sections of the whole team, and the
    others take theirs (so their lists are as of that moment, seconds earlier).
    """
    now = now or timezone.now()
    agenda = shared(project, "agenda", lambda: build_agenda(project=project, now=now))
    window = _Window(today=agenda.today, meeting_day=agenda.next_meeting_at.date())
    in_dispatch = sharing()
    team = shared(project, "team", lambda: _team(project)) if in_dispatch else {}
    if user.pk in team:
        policy.remember_role(project, user, team[user.pk][1])
        everyone = shared(project, "sections", lambda: _team_sections(project, team, window, now))
        sections = everyone[user.pk]
    else:
        sections = _personal_sections(project, [user], window, now)[user.pk]
    is_executive = policy.role_in(user, project) == Role.EXECUTIVE
    return Digest(
        project=project,
        user=user,
        meeting_at=agenda.next_meeting_at,
        sections=sections,
        agenda=agenda,
        status=shared(project, "status", lambda: weekly_status(project)) if is_executive else None,
    )


# --- Rendering ----------------------------------------------------------------------------


def opt_out_url(project: Project) -> str:
    """Where a member turns the weekly e-mail off (absolute: e-mails and their headers)."""
    try:
        path = reverse("implementation:reminder-opt-out", args=[project.code])
    except NoReverseMatch:  # the opt-out page comes with the delivery machinery
        path = project.get_absolute_url()
    return settings.SITE_URL + path


def digest_subject(digest: Digest) -> str:
    """E.g. "[HNR-ERP] Weekly review Mon 30 Nov 09:00: 3 things for you" (translated)."""
    when = formats.date_format(digest.meeting_at, "D j M H:i")
    values = {"project": digest.project.code, "when": when, "count": digest.count}
    if digest.is_empty:
        return _("[%(project)s] Weekly review %(when)s: nothing for you") % values
    return (
        ngettext(
            "[%(project)s] Weekly review %(when)s: %(count)d thing for you",
            "[%(project)s] Weekly review %(when)s: %(count)d things for you",
            digest.count,
        )
        % values
    )


TEXT_TEMPLATE = "implementation/email/digest.txt"
HTML_TEMPLATE = "implementation/email/digest.html"


def render_digest_email(digest: Digest) -> EmailContent:
    """The digest as an e-mail, in the project's default language, with absolute links."""
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "digest": digest,
            "language": translation.get_language(),
            "project": digest.project,
            "user": digest.user,
            "meeting_when": formats.date_format(digest.meeting_at, "l j F Y, H:i"),
            "sections": [section for section in digest.sections if section.items],
            "status": digest.status,
            "agenda": digest.agenda,
            "site_url": settings.SITE_URL,
            "project_url": settings.SITE_URL + digest.project.get_absolute_url(),
            "agenda_url": _link("implementation:agenda", digest.project.code),
            "opt_out_url": opt_out_url(digest.project),
        }
        context["agenda_text"] = _rendered_agenda(digest.agenda, TEXT_TEMPLATE, context)
        context["agenda_html"] = _rendered_agenda(digest.agenda, HTML_TEMPLATE, context)
        return EmailContent(
            subject=digest_subject(digest),
            text=render_to_string(TEXT_TEMPLATE, context),
            html=render_to_string(HTML_TEMPLATE, context),
        )


def _rendered_agenda(agenda: Agenda, template: str, context: dict) -> str:
    """The agenda part of the e-mail (the template's "agenda" partial). It is the same for
    every member, so inside `shared_project_parts` it is rendered once per project."""

    def render() -> str:
        return render_to_string(f"{template}#agenda", context)

    if not sharing():
        return render()
    key = f"rendered {template} {context['language']}"
    shared_agenda, rendered = shared(agenda.project, key, lambda: (agenda, render()))
    return rendered if shared_agenda is agenda else render()
