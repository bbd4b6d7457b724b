from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UatConfig(AppConfig):
    name = "uat"
    verbose_name = _("User acceptance testing")
