"""UAT's sections of the weekly review agenda: open critical and high defects, and
sign-offs waiting for signatures."""

from django.db.models import Prefetch
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from implementation.agenda import AgendaContext, AgendaItem, AgendaSection, first_rows, section
from uat.choices import OPEN_STATUSES, SEVERITY_RANK, Severity, SigningOrder, SignoffStatus
from uat.models import Defect, Signatory, SignOff


def _defects_url(code: str) -> str:
    try:
        return reverse("uat:defect-list", args=[code])
    except NoReverseMatch:  # the defect pages are optional for the agenda
        return ""


@section
def blocking_defects(context: AgendaContext) -> AgendaSection:
    """Open critical and high defects, critical first, oldest first."""
    defects = (
        Defect.objects.filter(
            project=context.project,
            status__in=OPEN_STATUSES,
            severity__in=[Severity.CRITICAL, Severity.HIGH],
        )
        .select_related("assignee")
        .order_by("created_at", "pk")
    )
    shown, total = first_rows(defects)
    shown.sort(key=lambda defect: SEVERITY_RANK[defect.severity])
    return AgendaSection(
        key="blocking_defects",
        title=_("Open critical and high defects"),
        items=tuple(
            AgendaItem(
                text=f"{defect.display_number} · {defect.title}",
                detail=f"{defect.get_severity_display()} · {defect.get_status_display()}",
                owner=defect.assignee,
            )
            for defect in shown
        ),
        total=total,
        more_url=_defects_url(context.project.code),
        empty_text=_("No critical or high defect is open."),
    )


def _awaited(signoff) -> list:
    """Who must sign next, from prefetched rows (everyone unsigned, or the next in order)."""
    signed = {signature.signatory_id for signature in signoff.signatures.all()}
    unsigned = [s for s in signoff.signatories.all() if s.pk not in signed]
    return unsigned[:1] if signoff.signing_order == SigningOrder.SEQUENTIAL else unsigned


@section
def pending_signoffs(context: AgendaContext) -> AgendaSection:
    """Sign-offs requested and not yet concluded, with who is awaited (three queries)."""
    pending = (
        SignOff.objects.filter(project=context.project, status=SignoffStatus.REQUESTED)
        .prefetch_related(
            Prefetch("signatories", queryset=Signatory.objects.select_related("user")),
            "signatures",
        )
        .order_by("requested_at", "pk")
    )
    shown, total = first_rows(pending)
    items = []
    for signoff in shown:
        names = ", ".join(s.user.display_name for s in _awaited(signoff))
        flags = ("stale",) if signoff.stale_at else ()
        detail = (
            _("Scope changed since the request: request it again.")
            if signoff.stale_at
            else _("Awaiting %(names)s") % {"names": names}
        )
        items.append(
            AgendaItem(
                text=f"{signoff.display_number} · {signoff.title}",
                detail=detail,
                url=_signoff_url(context.project.code, signoff.number),
                flags=flags,
            )
        )
    return AgendaSection(
        key="pending_signoffs",
        title=_("Sign-offs awaiting signatures"),
        items=tuple(items),
        total=total,
        empty_text=_("No sign-off is waiting for a signature."),
    )


def _signoff_url(code: str, number: int) -> str:
    try:
        return reverse("signoffs:detail", args=[code, number])
    except NoReverseMatch:
        return ""
