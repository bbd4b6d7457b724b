"""The go-live readiness section of the weekly review agenda: the red go/no-go criteria
and why, from two months before go-live until the go-live day (or the phase completes)."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from implementation import readiness
from implementation.agenda import AgendaContext, AgendaItem, AgendaSection, section
from implementation.choices import PhaseKind, PhaseStatus
from implementation.models import Phase

AGENDA_DAYS = 60  # readiness is discussed every week from this many days before go-live


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@section
def go_live_readiness(context: AgendaContext) -> AgendaSection | None:
    """Each red criterion with its reasons (a fixed number of queries)."""
    project = context.project
    days_left = (project.target_go_live - context.today).days
    if not 0 <= days_left <= AGENDA_DAYS:
        return None
    if Phase.objects.filter(
        project=project, kind=PhaseKind.GO_LIVE, status=PhaseStatus.COMPLETED
    ).exists():
        return None
    facts = readiness.load_facts([project])[project.pk]
    url = _url("golive:readiness", project.code)
    return AgendaSection(
        key="go_live_readiness",
        title=_("Go-live readiness (%(days)d days to go-live)") % {"days": days_left},
        items=tuple(
            AgendaItem(
                text=criterion.label,
                detail=" ".join(readiness.reasons(criterion.key, facts)),
                url=url,
            )
            for criterion in readiness.evaluate(facts)
            if not criterion.met
        ),
        more_url=url,
        empty_text=_("Every go/no-go criterion is green."),
    )
