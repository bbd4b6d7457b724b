from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = _("KPIs and benefits")

    def ready(self) -> None:
        # Registers the KPI section of the weekly review agenda.
        from kpis import agenda  # noqa: F401
