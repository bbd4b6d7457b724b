"""Writes for phases and checklists.

Phases move not started -> in progress -> completed (the next issue adds reopening and
gates). Here: laying out a new project's phases from its template.
"""

from implementation.blueprints import BLUEPRINTS, plan_phases
from implementation.choices import PHASE_ORDER
from implementation.models import ChecklistItem, Phase


def phases_create_from_blueprint(*, project) -> list[Phase]:
    """Create the six phases and their default checklist items for a new project.

    Called inside project_create's transaction, which has checked the actor already.
    """
    blueprint = BLUEPRINTS[project.system_kind]
    phases = Phase.objects.bulk_create(
        Phase(
            project=project,
            kind=kind,
            position=PHASE_ORDER[kind],
            planned_start=start,
            planned_end=end,
        )
        for kind, start, end in plan_phases(blueprint, project.start_date, project.target_go_live)
    )
    ChecklistItem.objects.bulk_create(
        ChecklistItem(
            phase=phase,
            kind=item.kind,
            title=str(item.title),
            is_mandatory=item.is_mandatory,
            position=position,
            due_date=phase.planned_end,
        )
        for phase in phases
        for position, item in enumerate(blueprint.items[phase.kind], start=1)
    )
    return phases
