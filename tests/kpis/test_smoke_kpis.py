import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kpis import selectors, services
from kpis.choices import Direction, KpiCategory


def test_kpi_lifecycle(project, pm):
    project.target_go_live = project.local_today() + datetime.timedelta(days=60)
    project.save()
    kpi = services.kpi_create(
        actor=pm,
        project=project,
        name="Month-end close",
        category=KpiCategory.FINANCE,
        unit="days",
        direction=Direction.LOWER,
        target_value=Decimal("5"),
        target_date=project.target_go_live + datetime.timedelta(days=180),
        owner=pm,
        baseline_value=Decimal("10"),
        baseline_date=datetime.date(2026, 1, 31),
    )
    assert kpi.baseline_changes.count() == 1
    with pytest.raises(ValidationError):
        services.kpi_update(actor=pm, kpi=kpi, target_value=Decimal("12"))
    row = selectors.kpi_rows(selectors.kpi_list(user=pm, project=project), project=project)[0]
    assert row.figures.status == "no_data"
