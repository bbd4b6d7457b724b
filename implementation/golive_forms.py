"""Input shape of the go-live plan page; the rules (who, which order of times) live in
implementation.services.golive."""

from django import forms
from django.utils.translation import gettext_lazy as _

from implementation.configuration_forms import DateTimeInput
from implementation.models import GoLivePlan
from implementation.services.golive import PLAN_FIELDS


class GoLivePlanForm(forms.ModelForm):
    """The go-live plan's settings. Times are typed in the project's time zone: the view
    activates it, so the form reads them as such."""

    class Meta:
        model = GoLivePlan
        fields = list(PLAN_FIELDS)
        widgets = {
            "training_threshold": forms.NumberInput(attrs={"step": "0.01", "min": 0, "max": 100}),
            "legacy_freeze_at": DateTimeInput(),
            "rollback_decision_at": DateTimeInput(),
            "rollback_criteria": forms.Textarea(attrs={"rows": 3}),
            "support_plan": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        zone = _("Time in %(zone)s, the project's time zone.") % {
            "zone": project.time_zone.replace("_", " ")
        }
        for name in ("legacy_freeze_at", "rollback_decision_at"):
            field = self.fields[name]
            field.help_text = f"{field.help_text} {zone}"

    def _post_clean(self):
        # The service validates the whole plan (ranges, the order of the two times).
        pass
