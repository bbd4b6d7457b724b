"""Input shapes of the cutover pages; the rules live in the services.

A task's dependencies are offered among the plan's other tasks, but the field accepts any
task of the plan, the task itself included: the service then answers "a task cannot depend
on itself" on the field, as it does for a cycle, instead of a bare "invalid choice".
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from implementation.choices import CutoverStatus
from implementation.configuration_forms import DateTimeInput, MemberChoiceField
from implementation.models import CutoverRehearsal, CutoverTask
from implementation.selectors.golive_cutover import other_tasks
from implementation.selectors.golive_migration import members_of
from projects.forms import DateInput


class TaskChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_number} {obj.title}"


class CutoverTaskForm(forms.ModelForm):
    class Meta:
        model = CutoverTask
        fields = [
            "title",
            "owner",
            "planned_start",
            "duration_minutes",
            "depends_on",
            "position",
            "instructions",
        ]
        field_classes = {"owner": MemberChoiceField, "depends_on": TaskChoiceField}
        widgets = {
            "planned_start": DateTimeInput(),
            "depends_on": forms.CheckboxSelectMultiple,
            "instructions": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "position": _("Tasks are listed by this number; leave empty to add at the end."),
            "depends_on": _("The task starts only when these are done."),
        }

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        task = self.instance if self.instance.pk else None
        owner = self.fields["owner"]
        owner.queryset = members_of(project)
        owner.required = False
        owner.error_messages["invalid_choice"] = _("Choose a member of the project team.")
        self.fields["planned_start"].help_text = _("Time in %(zone)s, the project's time zone.") % {
            "zone": project.time_zone.replace("_", " ")
        }
        depends_on = self.fields["depends_on"]
        depends_on.queryset = other_tasks(project)
        depends_on.choices = [
            (dep.pk, depends_on.label_from_instance(dep)) for dep in other_tasks(project, task)
        ]
        depends_on.error_messages["invalid_choice"] = _(
            "Choose tasks of this project's cutover plan."
        )
        self.fields["position"].required = task is not None
        if task is None:
            # A new task goes at the end unless placed: the model's 0 would put it first.
            self.initial["position"] = None

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None and cleaned.get("position") is None:
            cleaned.pop("position", None)
        return cleaned

    def _post_clean(self):
        # The service validates the task: team, time zone and dependency cycles.
        pass


class RehearsalForm(forms.ModelForm):
    class Meta:
        model = CutoverRehearsal
        fields = ["held_on", "outcome", "duration_hours", "notes"]
        widgets = {"held_on": DateInput(), "notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("held_on", project.local_today())

    def _post_clean(self):
        pass


class MoveForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=CutoverStatus.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)
