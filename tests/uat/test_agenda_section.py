import pytest

from implementation.agenda import build_agenda
from uat.models import Defect


@pytest.mark.django_db
def test_agenda_lists_open_critical_and_high_defects_critical_first(project, pilot_user):
    for number, (severity, status) in enumerate(
        [("high", "new"), ("critical", "triaged"), ("low", "new"), ("critical", "closed")],
        start=1,
    ):
        Defect.objects.create(
            project=project,
            number=number,
            title=f"Defect {number}",
            severity=severity,
            status=status,
            reporter=pilot_user,
        )

    section = next(s for s in build_agenda(project=project).sections if s.key == "blocking_defects")

    assert [item.text for item in section.items] == ["DEF-2 · Defect 2", "DEF-1 · Defect 1"]
    assert section.count == 2
