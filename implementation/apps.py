from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImplementationConfig(AppConfig):
    name = "implementation"
    verbose_name = _("Implementation")

    def ready(self):
        # Registers the go-live readiness section of the weekly review agenda.
        from implementation import golive_agenda  # noqa: F401
