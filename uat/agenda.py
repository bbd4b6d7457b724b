"""UAT's section of the weekly review agenda: open critical and high defects."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from implementation.agenda import AgendaContext, AgendaItem, AgendaSection, first_rows, section
from uat.choices import OPEN_STATUSES, SEVERITY_RANK, Severity
from uat.models import Defect


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
