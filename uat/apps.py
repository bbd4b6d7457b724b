from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UatConfig(AppConfig):
    name = "uat"
    verbose_name = _("User acceptance testing")

    def ready(self) -> None:
        # Registers UAT's section of the weekly review agenda.
        from uat import agenda  # noqa: F401
