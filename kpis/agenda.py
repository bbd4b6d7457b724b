"""The KPI section of the weekly review agenda: measurements due by the meeting, or overdue."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from implementation.agenda import (
    OVERDUE,
    SECTION_LIMIT,
    AgendaContext,
    AgendaItem,
    AgendaSection,
    section,
)
from kpis import selectors


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # the KPI pages are optional for the agenda
        return ""


def _detail(row: selectors.KpiRow) -> str:
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


@section
def kpi_measurements_due(context: AgendaContext) -> AgendaSection:
    """KPIs whose next measurement is due by the meeting day or overdue, most overdue
    first (one query, whatever the number of KPIs and measurements)."""
    project = context.project
    meeting_day = context.next_meeting_at.date()
    kpis = selectors.project_kpis(project)
    # Overdue is counted from today; "due" reaches to the meeting, so the team can plan it.
    rows = [
        row
        for row in selectors.kpi_rows(kpis, project=project, today=context.today)
        if row.figures.next_due is not None and row.figures.next_due <= meeting_day
    ]
    rows.sort(key=lambda row: (row.figures.next_due, row.kpi.name.casefold()))
    shown = rows[:SECTION_LIMIT]
    overview = _url("kpis:overview", project.code)
    return AgendaSection(
        key="kpi_measurements_due",
        title=_("KPI measurements due"),
        items=tuple(
            AgendaItem(
                text=row.kpi.name,
                detail=_detail(row),
                url=_url("kpis:detail", project.code, row.kpi.pk),
                owner=row.kpi.owner,
                due_date=row.figures.next_due,
                flags=(OVERDUE,) if row.figures.overdue_periods else (),
            )
            for row in shown
        ),
        total=len(rows) if len(rows) > SECTION_LIMIT else None,
        more_url=overview,
        empty_text=_("No KPI measurement is due before the meeting."),
    )
