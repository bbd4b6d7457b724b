"""Shortcuts the phase tests share: move phases, tick gates, find items, snapshot state."""

from django.utils import timezone

from implementation.choices import PhaseKind
from implementation.models import ChecklistItem, Phase, PhaseTransition
from implementation.services import phases as services


def phase_of(project, kind=PhaseKind.DISCOVERY) -> Phase:
    return Phase.objects.get(project=project, kind=kind)


def item_titled(project, title) -> ChecklistItem:
    return ChecklistItem.objects.get(phase__project=project, title=title)


def state(project) -> tuple:
    return (
        list(Phase.objects.filter(project=project).order_by("pk").values()),
        list(ChecklistItem.objects.filter(phase__project=project).order_by("pk").values()),
        list(PhaseTransition.objects.filter(phase__project=project).order_by("pk").values()),
    )


def start(project, actor, kind=PhaseKind.DISCOVERY) -> Phase:
    return services.phase_start(actor=actor, phase=phase_of(project, kind))


def tick_mandatory(phase, user) -> None:
    ChecklistItem.objects.filter(phase=phase, is_mandatory=True).update(
        done_at=timezone.now(), done_by=user
    )


def complete(project, actor, kind=PhaseKind.DISCOVERY) -> Phase:
    phase = start(project, actor, kind)
    tick_mandatory(phase, actor)
    return services.phase_complete(actor=actor, phase=phase)
