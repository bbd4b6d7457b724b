"""Writes for hypercare: support tickets with SLA clocks, the weekly feedback round, module
reviews, and the project's hypercare plan and SLA targets.

Any member but a viewer raises a ticket (RAISE_TICKETS), also through the API from the
ERP's help button. The support team (HANDLE_TICKETS: project manager, consultants, IT, and
whoever is on the hypercare team: policy.can_handle_tickets) acknowledges, works on and
resolves tickets; the reporter or the support team closes or reopens them (reopening needs
a comment). Every move and edit is a TicketEvent, never changed.

SLA clocks (implementation.sla) run in the project's working hours from the moment a
ticket is raised: the response is due after the severity's response time, the resolution
after its resolution time. A severity change works both due times out again from the
raising moment; a reopen starts a fresh resolution clock. Changing the SLA targets applies
to tickets raised afterwards: a ticket keeps the promise it was raised with.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from implementation import sla
from implementation.choices import (
    TICKET_TRANSITIONS,
    ReviewDecision,
    SlaUnit,
    TicketSource,
    TicketStatus,
)
from implementation.models import (
    ConfigurationChange,
    FeedbackResponse,
    HypercarePlan,
    ModuleReview,
    SlaTarget,
    Ticket,
    TicketAttachment,
    TicketComment,
    TicketEvent,
)
from implementation.services.golive_common import (
    add,
    clean_fields,
    member_errors,
    raise_if,
    reject_unknown,
)
from projects import policy
from projects.models import Membership, Project, User, validate_plausible_date
from projects.policy import Capability
from uat.attachments import checked_upload
from uat.choices import Severity

# The defaults of the issue and of most support contracts: (value, unit) per severity.
DEFAULT_TARGETS = {
    Severity.CRITICAL: ((1, SlaUnit.HOURS), (4, SlaUnit.HOURS)),
    Severity.HIGH: ((4, SlaUnit.HOURS), (1, SlaUnit.BUSINESS_DAYS)),
    Severity.MEDIUM: ((1, SlaUnit.BUSINESS_DAYS), (3, SlaUnit.BUSINESS_DAYS)),
    Severity.LOW: ((3, SlaUnit.BUSINESS_DAYS), (10, SlaUnit.BUSINESS_DAYS)),
}
MISSED_RESOLUTION = "missed_resolution_due"  # in a reopen event's changes
TICKET_FIELDS = ("module", "title", "description", "severity", "business_impact", "assignee")
PLAN_FIELDS = (
    "planned_end",
    "work_starts",
    "work_ends",
    "working_days",
    "holidays",
    "sla_weeks",
    "inflow_weeks",
    "satisfaction_threshold",
)


# --- Working time and targets ----------------------------------------------------------------


def hypercare_plan_of(project: Project) -> HypercarePlan:
    """The project's plan, or an unsaved one with the defaults (reading never writes)."""
    try:
        return project.hypercare_plan
    except HypercarePlan.DoesNotExist:
        return HypercarePlan(project=project)


def planned_end(project: Project) -> datetime.date:
    """The plan's end, or three months after go-live."""
    plan = hypercare_plan_of(project)
    return plan.planned_end or default_end(project.target_go_live)


def default_end(go_live: datetime.date) -> datetime.date:
    """Three months after go-live (the last day of the month when it is shorter)."""
    month = go_live.month + 3
    year, month = go_live.year + (month - 1) // 12, (month - 1) % 12 + 1
    for day in (go_live.day, 30, 29, 28):
        try:
            return datetime.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def working_time(project: Project) -> sla.WorkingTime:
    import zoneinfo

    plan = hypercare_plan_of(project)
    return sla.WorkingTime(
        zone=zoneinfo.ZoneInfo(project.time_zone),
        starts=plan.work_starts,
        ends=plan.work_ends,
        weekdays=sla.parse_weekdays(plan.working_days),
        holidays=frozenset(datetime.date.fromisoformat(day) for day in plan.holidays),
    )


def targets(project: Project) -> dict[str, tuple[tuple[int, str], tuple[int, str]]]:
    """(response, resolution) per severity: the project's own, or the defaults."""
    found = dict(DEFAULT_TARGETS)
    for row in SlaTarget.objects.filter(project=project):
        found[row.severity] = (
            (row.response_value, row.response_unit),
            (row.resolution_value, row.resolution_unit),
        )
    return found


def due_times(
    project: Project, severity: str, start: datetime.datetime
) -> tuple[datetime.datetime, datetime.datetime]:
    hours = working_time(project)
    (response, response_unit), (resolution, resolution_unit) = targets(project)[severity]
    return (
        sla.add_working(start, sla.duration(response, response_unit, hours), hours),
        sla.add_working(start, sla.duration(resolution, resolution_unit, hours), hours),
    )


def _resolution_due(project: Project, severity: str, start: datetime.datetime):
    hours = working_time(project)
    value, unit = targets(project)[severity][1]
    return sla.add_working(start, sla.duration(value, unit, hours), hours)


def hypercare_plan_update(*, actor: User, project: Project, **changes) -> HypercarePlan:
    reject_unknown(changes, PLAN_FIELDS, "hypercare plan")
    policy.ensure(actor, project, Capability.MANAGE_HYPERCARE)
    with transaction.atomic():
        Project.objects.select_for_update().get(pk=project.pk)
        plan = HypercarePlan.objects.filter(project=project).first() or HypercarePlan(
            project=project
        )
        for name, value in changes.items():
            if name == "working_days" and isinstance(value, str):
                value = value.replace(" ", "")  # "0, 1, 2" is as good as "0,1,2"
            if name == "holidays" and isinstance(value, list | tuple):
                # The JSON field keeps text: days given as dates are stored as ISO dates.
                value = [d.isoformat() if isinstance(d, datetime.date) else d for d in value]
            setattr(plan, name, value)
        errors: dict[str, list[str]] = {}
        clean_fields(plan, exclude=["project", "updated_by"], errors=errors)
        _check_plan(plan, project, errors)
        raise_if(errors)
        plan.updated_by = actor
        plan.save()
    project.hypercare_plan = plan
    return plan


def _check_plan(plan: HypercarePlan, project: Project, errors: dict) -> None:
    # Times that failed their own validation stay text: compare real times only.
    starts, ends = plan.work_starts, plan.work_ends
    if isinstance(starts, datetime.time) and isinstance(ends, datetime.time) and ends <= starts:
        add(errors, "work_ends", _("The working day ends after it starts."))
    days = [part.strip() for part in str(plan.working_days or "").split(",") if part.strip()]
    if not days or any(not d.isdigit() or int(d) > 6 for d in days):
        add(
            errors,
            "working_days",
            _("Give weekdays as numbers from 0 (Monday) to 6, e.g. 0,1,2,3,4."),
        )
    else:
        plan.working_days = ",".join(str(d) for d in sorted({int(d) for d in days}))
    holidays = plan.holidays if isinstance(plan.holidays, list) else None
    clean = []
    for value in holidays or []:
        try:
            day = value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)
            validate_plausible_date(day)
        except (TypeError, ValueError, ValidationError):
            holidays = None
            break
        clean.append(day.isoformat())
    if holidays is None:
        add(errors, "holidays", _("Give public holidays as dates (YYYY-MM-DD)."))
    else:
        plan.holidays = sorted(set(clean))
    if plan.planned_end and plan.planned_end <= project.target_go_live:
        add(errors, "planned_end", _("Hypercare ends after go-live."))


def sla_target_set(
    *,
    actor: User,
    project: Project,
    severity: str,
    response_value: int,
    response_unit: str,
    resolution_value: int,
    resolution_unit: str,
) -> SlaTarget:
    """Set one severity's targets; tickets raised from now on use them."""
    policy.ensure(actor, project, Capability.MANAGE_HYPERCARE)
    target = SlaTarget.objects.filter(project=project, severity=severity).first() or SlaTarget(
        project=project, severity=severity
    )
    target.response_value, target.response_unit = response_value, response_unit
    target.resolution_value, target.resolution_unit = resolution_value, resolution_unit
    errors: dict[str, list[str]] = {}
    clean_fields(target, exclude=["project"], errors=errors)
    if not errors:
        hours = working_time(project)
        if sla.duration(resolution_value, resolution_unit, hours) < sla.duration(
            response_value, response_unit, hours
        ):
            add(errors, "resolution_value", _("Resolving cannot take less time than responding."))
    raise_if(errors)
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:  # set twice at once: the other one won
        target = SlaTarget.objects.get(project=project, severity=severity)
    return target


# --- Tickets -------------------------------------------------------------------------------------


def _event(ticket: Ticket, actor: User, before: str, comment: str = "", changes=None) -> None:
    TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        from_status=before,
        to_status=ticket.status,
        comment=comment,
        changes=changes or {},
    )


def ticket_raise(
    *,
    actor: User,
    project: Project,
    module: str,
    title: str,
    description: str,
    severity: str,
    business_impact: str,
    assignee: User | None = None,
    source: str = TicketSource.WEB,
) -> Ticket:
    """Raise a ticket with the next number; its SLA clocks start now."""
    policy.ensure(actor, project, Capability.RAISE_TICKETS)
    now = timezone.now()
    errors = member_errors(project, assignee=assignee)
    if assignee is not None and not errors and not policy.can_handle_tickets(assignee, project):
        add(errors, "assignee", _("Choose someone of the support team."))
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        last = Ticket.objects.filter(project=locked).aggregate(last=Max("number"))["last"] or 0
        ticket = Ticket(
            project=project,
            number=last + 1,
            module=(module or "").strip(),
            title=(title or "").strip(),
            description=description or "",
            severity=severity,
            business_impact=business_impact or "",
            assignee=assignee,
            reporter=actor,
            source=source,
            created_at=now,
            response_due_at=now,
            resolution_due_at=now,
        )
        clean_fields(
            ticket,
            exclude=["project", "reporter", "assignee", "defect", "configuration_change"],
            errors=errors,
        )
        raise_if(errors)
        ticket.response_due_at, ticket.resolution_due_at = due_times(project, severity, now)
        ticket.save()
        _event(ticket, actor, TicketStatus.NEW, comment=_("Raised."))
    return ticket


def ticket_update(*, actor: User, ticket: Ticket, comment: str = "", **changes) -> Ticket:
    """Edit a ticket (support team); a severity change works the due times out again."""
    reject_unknown(changes, TICKET_FIELDS, "ticket")
    project = ticket.project
    policy.ensure(actor, project, Capability.VIEW_PROJECT)
    if not policy.can_handle_tickets(actor, project):
        raise PermissionDenied(_("Only the support team edits tickets."))
    errors = member_errors(project, assignee=changes.get("assignee"))
    assignee = changes.get("assignee")
    if assignee is not None and not errors and not policy.can_handle_tickets(assignee, project):
        add(errors, "assignee", _("Choose someone of the support team."))
    raise_if(errors)
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        before = {
            name: getattr(locked, f"{name}_id" if name == "assignee" else name) for name in changes
        }
        for name, value in changes.items():
            setattr(
                locked,
                name,
                value.strip() if isinstance(value, str) and name != "description" else value,
            )
        clean_fields(
            locked,
            exclude=["project", "reporter", "assignee", "defect", "configuration_change"],
            errors=errors,
        )
        raise_if(errors)
        diff = {}
        for name in changes:
            after = getattr(locked, f"{name}_id" if name == "assignee" else name)
            if after != before[name]:
                diff[name] = [before[name], after]
        if "severity" in diff:
            start = locked.created_at
            response, resolution = due_times(project, locked.severity, start)
            locked.response_due_at = response
            # After a reopen the resolution clock restarted; keep that start.
            reopened = (
                locked.events.filter(from_status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED])
                .exclude(to_status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED])
                .order_by("-at")
                .values_list("at", flat=True)
                .first()
            )
            locked.resolution_due_at = _resolution_due(project, locked.severity, reopened or start)
        locked.save()
        if diff or comment:
            _event(locked, actor, locked.status, comment=comment.strip(), changes=diff)
    locked.project = project
    return locked


def may_move(actor: User, ticket: Ticket, target: str) -> bool:
    if target not in TICKET_TRANSITIONS.get(ticket.status, set()):
        return False
    if policy.can_handle_tickets(actor, ticket.project):
        return True
    # The reporter confirms the fix (close) or says it is not fixed (reopen).
    return ticket.reporter_id == actor.pk and ticket.status in {
        TicketStatus.RESOLVED,
        TicketStatus.CLOSED,
    }


def ensure_may_move_ticket(actor: User, ticket: Ticket) -> None:
    """Refuse (403) before the move is read: the support team moves tickets, the reporter
    their own (which moves, may_move decides)."""
    policy.ensure(actor, ticket.project, Capability.VIEW_PROJECT)
    if not (policy.can_handle_tickets(actor, ticket.project) or ticket.reporter_id == actor.pk):
        raise PermissionDenied(_("Only the support team or the reporter moves this ticket."))


def ticket_transition(*, actor: User, ticket: Ticket, status: str, comment: str = "") -> Ticket:
    """Move a ticket along its workflow; a reopen needs a comment and restarts the
    resolution clock."""
    project = ticket.project
    policy.ensure(actor, project, Capability.VIEW_PROJECT)
    comment = (comment or "").strip()
    now = timezone.now()
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        locked.project = project
        if status not in TICKET_TRANSITIONS.get(locked.status, set()):
            raise ValidationError(
                {
                    "status": [
                        _("A ticket that is %(current)s cannot become %(new)s.")
                        % {
                            "current": locked.get_status_display().lower(),
                            "new": str(TicketStatus(status).label).lower()
                            if status in TicketStatus.values
                            else status,
                        }
                    ]
                }
            )
        if not may_move(actor, locked, status):
            raise PermissionDenied(_("Only the support team or the reporter moves this ticket."))
        reopening = locked.status in {TicketStatus.RESOLVED, TicketStatus.CLOSED} and (
            status == TicketStatus.IN_PROGRESS
        )
        if reopening and not comment:
            raise ValidationError({"comment": [_("Say why the ticket is reopened.")]})
        before = locked.status
        if locked.acknowledged_at is None:
            # Any move by the support team is the first response.
            locked.acknowledged_at = now
        if status == TicketStatus.RESOLVED:
            locked.resolved_at = now
        elif status == TicketStatus.CLOSED:
            locked.closed_at = now
        changes = {}
        if reopening:
            if locked.resolved_at and locked.resolved_at > locked.resolution_due_at:
                # The late resolution is history: the reopen event keeps the missed due time,
                # so the week it fell in still counts the breach (implementation.hypercare).
                changes[MISSED_RESOLUTION] = locked.resolution_due_at.isoformat()
            locked.reopen_count += 1
            locked.resolved_at = None
            locked.closed_at = None
            locked.resolution_due_at = _resolution_due(project, locked.severity, now)
        locked.status = status
        locked.save()
        _event(locked, actor, before, comment=comment, changes=changes)
    return locked


def ticket_comment_add(*, actor: User, ticket: Ticket, body: str) -> TicketComment:
    project = ticket.project
    if not (
        policy.can(actor, project, Capability.RAISE_TICKETS)
        or policy.can_handle_tickets(actor, project)
    ):
        raise PermissionDenied(_("Your role on this project does not allow you to comment."))
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Write something.")]})
    return TicketComment.objects.create(ticket=ticket, author=actor, body=body)


def ticket_attach(*, actor: User, ticket: Ticket, upload) -> TicketAttachment:
    """Store a file on a ticket when its bytes are an allowed type (uat.attachments)."""
    project = ticket.project
    if not (
        policy.can(actor, project, Capability.RAISE_TICKETS)
        or policy.can_handle_tickets(actor, project)
    ):
        raise PermissionDenied(_("Your role on this project does not allow you to attach files."))
    label, kind, data = checked_upload(upload)
    attachment = TicketAttachment(
        ticket=ticket,
        original_name=label,
        content_type=kind.content_type,
        size=len(data),
        uploaded_by=actor,
    )
    with transaction.atomic():
        attachment.file.save(f"upload{kind.extensions[0]}", ContentFile(data), save=False)
        attachment.save()
    return attachment


def ticket_convert_to_defect(*, actor: User, ticket: Ticket, cycle=None):
    """Log the ticket as a defect of the project (the fix then follows the defect workflow);
    the ticket keeps a link to it."""
    from uat.services.defects import defect_report

    project = ticket.project
    if not policy.can_handle_tickets(actor, project):
        raise PermissionDenied(_("Only the support team converts tickets."))
    # The defect is logged in the actor's name: they must be allowed to log defects.
    policy.ensure(actor, project, Capability.LOG_DEFECTS)
    if cycle is not None and cycle.project_id != project.pk:
        raise ValidationError({"cycle": [_("Choose a test cycle of this project.")]})
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.defect_id:
            raise ValidationError({"defect": [_("This ticket is already logged as a defect.")]})
        details = {
            "description": _("%(description)s\n\nBusiness impact: %(impact)s")
            % {"description": locked.description, "impact": locked.business_impact},
            "module": locked.module,
        }
        if cycle is not None:
            details["cycle"] = cycle
        defect = defect_report(
            actor=actor,
            project=project,
            title=f"{locked.display_number}: {locked.title}"[:200],
            severity=locked.severity,
            **details,
        )
        locked.defect = defect
        locked.save(update_fields=["defect", "updated_at"])
        _event(
            locked,
            actor,
            locked.status,
            changes={"defect": [None, defect.number]},
            comment=_("Logged as defect %(defect)s.") % {"defect": defect.display_number},
        )
    locked.project = project
    return locked


def ticket_link_change(*, actor: User, ticket: Ticket, change: ConfigurationChange) -> Ticket:
    project = ticket.project
    if not policy.can_handle_tickets(actor, project):
        raise PermissionDenied(_("Only the support team links configuration changes."))
    if change.project_id != project.pk:
        raise ValidationError(
            {"configuration_change": [_("Choose a change of this project's log.")]}
        )
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        before = locked.configuration_change_id
        locked.configuration_change = change
        locked.save(update_fields=["configuration_change", "updated_at"])
        _event(
            locked,
            actor,
            locked.status,
            changes={"configuration_change": [before, change.pk]},
        )
    locked.project = project
    return locked


# --- Weekly feedback and module reviews ----------------------------------------------------------


def week_of(day: datetime.date) -> datetime.date:
    """The Monday of the day's week: a feedback round's key."""
    return day - datetime.timedelta(days=day.weekday())


def feedback_answer(
    *,
    actor: User,
    project: Project,
    satisfaction: int,
    blockers: str = "",
    helps: str = "",
) -> FeedbackResponse:
    """This week's answer of a pilot user, key user or champion; answering again the same
    week replaces the answer."""
    policy.ensure(actor, project, Capability.VIEW_PROJECT)
    if not policy.can_answer_feedback(actor, project):
        raise PermissionDenied(
            _("The weekly feedback round asks pilot and key users and digital champions.")
        )
    week = week_of(project.local_today())
    department = (
        Membership.objects.filter(project=project, user=actor)
        .values_list("department", flat=True)
        .first()
    )
    response = FeedbackResponse.objects.filter(
        project=project, week=week, respondent=actor
    ).first() or FeedbackResponse(project=project, week=week, respondent=actor)
    response.department = department
    response.satisfaction = satisfaction
    response.blockers = (blockers or "").strip()
    response.helps = (helps or "").strip()
    errors: dict[str, list[str]] = {}
    clean_fields(response, exclude=["project", "respondent"], errors=errors)
    raise_if(errors)
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError:  # two tabs answered at once: keep the later answer
        existing = FeedbackResponse.objects.get(project=project, week=week, respondent=actor)
        existing.satisfaction, existing.blockers, existing.helps = (
            response.satisfaction,
            response.blockers,
            response.helps,
        )
        existing.save()
        response = existing
    return response


def module_review_record(
    *,
    actor: User,
    project: Project,
    module: str,
    decision: str,
    note: str,
    reviewed_on: datetime.date | None = None,
) -> ModuleReview:
    """Record a review of one module's adoption with its decision; earlier reviews stay."""
    policy.ensure(actor, project, Capability.MANAGE_HYPERCARE)
    review = ModuleReview(
        project=project,
        module=(module or "").strip(),
        decision=decision,
        note=(note or "").strip(),
        reviewed_on=reviewed_on or project.local_today(),
        reviewer=actor,
    )
    errors: dict[str, list[str]] = {}
    clean_fields(review, exclude=["project", "reviewer"], errors=errors)
    if (
        review.reviewed_on
        and "reviewed_on" not in errors
        and review.reviewed_on > project.local_today()
    ):
        add(errors, "reviewed_on", _("A review is recorded once it is held."))
    if decision not in ReviewDecision.values and "decision" not in errors:
        add(errors, "decision", _("Choose a decision."))
    raise_if(errors)
    review.save()
    return review
