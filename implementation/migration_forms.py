"""Input shapes of the data migration pages; the rules live in the services.

The forms check only shape (numbers are numbers, counts are not negative). Whether loaded
and rejected records add up, whether both control totals are given and who may own an
object are the services' rules, so their messages are the same on the page and the API.
"""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from implementation.configuration_forms import DateTimeInput, MemberChoiceField
from implementation.models import MigrationLoad, MigrationObject
from implementation.selectors.golive_migration import members_of


class MigrationObjectForm(forms.ModelForm):
    class Meta:
        model = MigrationObject
        fields = [
            "name",
            "source_system",
            "owner",
            "cleansing_status",
            "control_total_label",
            "tolerance_percent",
            "mapping_notes",
        ]
        field_classes = {"owner": MemberChoiceField}
        widgets = {"mapping_notes": forms.Textarea(attrs={"rows": 6})}
        help_texts = {"mapping_notes": _("Field mapping rules, de-duplication, open questions.")}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        owner.queryset = members_of(project)
        owner.error_messages["invalid_choice"] = _("Choose a member of the project team.")

    def _post_clean(self):
        # The service validates the whole object (team, unique name).
        pass


class LoadForm(forms.ModelForm):
    class Meta:
        model = MigrationLoad
        fields = [
            "kind",
            "loaded_at",
            "source_count",
            "loaded_count",
            "rejected_count",
            "source_total",
            "target_total",
            "notes",
        ]
        widgets = {
            "loaded_at": DateTimeInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "rejected_count": _("Records the target system refused; leave empty for none."),
            "source_total": _("Give both control totals, or neither."),
        }

    def __init__(self, *args, project, obj: MigrationObject, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rejected_count"].required = False
        self.fields["loaded_at"].help_text = _("Time in %(zone)s, the project's time zone.") % {
            "zone": project.time_zone.replace("_", " ")
        }
        if obj.control_total_label:
            for name in ("source_total", "target_total"):
                self.fields[name].help_text = obj.control_total_label
        if not self.is_bound and self.instance.pk is None:
            self.initial.setdefault(
                "loaded_at", timezone.localtime().replace(second=0, microsecond=0)
            )

    def clean_rejected_count(self):
        return self.cleaned_data.get("rejected_count") or 0

    def _post_clean(self):
        # The service checks that the numbers add up and works the status out.
        pass


class SignOffForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional: what you checked, or a known difference you accept."),
    )
