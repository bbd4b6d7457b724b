"""API of the configuration log: list, read and record. No update and no delete: the log
is append-only, corrected by new entries.

Doors onto the same selectors and service as the pages. Input references people by
username, the phase by its kind and a corrected entry by its number in the project.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from implementation.choices import Environment
from implementation.configuration_filters import ConfigurationChangeFilter
from implementation.models import ConfigurationChange, Phase
from implementation.selectors import configuration as selectors
from implementation.services import configuration as services
from projects import policy
from projects.api.fields import ProjectMemberField, SafeDateTimeField
from projects.policy import Capability, declare
from projects.selectors import project_get
from uat.models import Defect

POLICY = "project members read the configuration log; recording needs edit_configuration_log"


class ConfigurationChangeSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="code", read_only=True)
    display_number = serializers.CharField(read_only=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    phase = serializers.SlugRelatedField(slug_field="kind", read_only=True, allow_null=True)
    supersedes = serializers.SlugRelatedField(
        slug_field="number",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("Number of the entry this one corrects."),
    )
    superseded_by = serializers.SerializerMethodField(
        help_text=gettext_lazy("Number of the entry that corrects this one.")
    )
    defect = serializers.SlugRelatedField(
        slug_field="number",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("Number of the defect this change fixes."),
    )

    class Meta:
        model = ConfigurationChange
        fields = [
            "pk",
            "project",
            "number",
            "display_number",
            "area",
            "setting",
            "old_value",
            "new_value",
            "reason",
            "reference",
            "requested_by",
            "approved_by",
            "environment",
            "applied_at",
            "phase",
            "defect",
            "supersedes",
            "superseded_by",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_superseded_by(self, change) -> int | None:
        try:
            return change.superseded_by.number
        except ConfigurationChange.superseded_by.RelatedObjectDoesNotExist:
            return None


class ProjectPhaseField(serializers.SlugRelatedField):
    default_error_messages = {
        "does_not_exist": gettext_lazy("This project has no phase {value}."),
        "invalid": gettext_lazy("Give a phase kind, for example design."),
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="kind", queryset=Phase.objects.none(), **kwargs)

    def get_queryset(self):
        project = self.context.get("project")
        return Phase.objects.filter(project=project) if project else Phase.objects.none()


class ProjectEntryField(serializers.SlugRelatedField):
    default_error_messages = {
        "does_not_exist": gettext_lazy("This project's log has no entry number {value}."),
        "invalid": gettext_lazy("Give an entry number."),
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="number", queryset=ConfigurationChange.objects.none(), **kwargs)

    def get_queryset(self):
        project = self.context.get("project")
        if project is None:
            return ConfigurationChange.objects.none()
        return ConfigurationChange.objects.filter(project=project)


class ProjectDefectField(serializers.SlugRelatedField):
    default_error_messages = {
        "does_not_exist": gettext_lazy("This project has no defect number {value}."),
        "invalid": gettext_lazy("Give a defect number."),
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="number", queryset=Defect.objects.none(), **kwargs)

    def get_queryset(self):
        project = self.context.get("project")
        return Defect.objects.filter(project=project) if project else Defect.objects.none()


class ConfigurationChangeCreateSerializer(serializers.Serializer):
    """A new entry: people by username, the phase by kind, a corrected entry by number."""

    # The project (in the context) scopes the people, phases and entries it may name.

    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    area = serializers.CharField(
        max_length=120, help_text=gettext_lazy("Module or area, for example Finance - Tax.")
    )
    setting = serializers.CharField(max_length=250)
    old_value = serializers.CharField(required=False, allow_blank=True, default="")
    new_value = serializers.CharField()
    reason = serializers.CharField()
    reference = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    requested_by = ProjectMemberField(help_text=gettext_lazy("Username of a project member."))
    approved_by = ProjectMemberField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("Username of a project member; omit when no approval was needed."),
    )
    environment = serializers.ChoiceField(choices=Environment.choices)
    applied_at = SafeDateTimeField()
    phase = ProjectPhaseField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("The phase kind, for example design."),
    )
    supersedes = ProjectEntryField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("Number of the entry this one corrects."),
    )
    defect = ProjectDefectField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("Number of the defect this change fixes."),
    )


@declare(POLICY)
class ConfigurationChangeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The configuration log of the projects you belong to. Filter with ?project=CODE.

    Entries are never changed or deleted; record a correction with `supersedes` instead.
    """

    lookup_value_regex = r"\d+"  # anything else is a 404, never a 500

    serializer_class = ConfigurationChangeSerializer
    filterset_class = ConfigurationChangeFilter
    ordering_fields = ["number", "applied_at", "recorded_at"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.configuration_changes_visible_to(self.request.user)

    def get_object(self):
        return selectors.configuration_change_get_by_pk(
            user=self.request.user, pk=self.kwargs["pk"]
        )

    def _project_to_write(self, data):
        """The project named in the body, checked before the rest of the input is read."""
        code = data.get("project") if hasattr(data, "get") else None
        if not isinstance(code, str) or not code:
            raise serializers.ValidationError({"project": [_("This field is required.")]})
        try:
            project = project_get(user=self.request.user, code=code.strip().upper())
        except Http404 as error:
            # Same answer whether the project is missing or hidden: existence must not leak.
            raise serializers.ValidationError({"project": [_("No such project.")]}) from error
        policy.ensure(self.request.user, project, Capability.EDIT_CONFIGURATION_LOG)
        return project

    @extend_schema(
        request=ConfigurationChangeCreateSerializer,
        responses={201: ConfigurationChangeSerializer},
    )
    def create(self, request):
        project = self._project_to_write(request.data)
        serializer = ConfigurationChangeCreateSerializer(
            data=request.data, context={"project": project}
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("project")
        change = services.configuration_change_record(actor=request.user, project=project, **data)
        change = selectors.configuration_change_get_by_pk(user=request.user, pk=change.pk)
        return Response(ConfigurationChangeSerializer(change).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    """Add this area's viewsets to the API router."""
    router.register(
        "configuration-changes", ConfigurationChangeViewSet, basename="configuration-change"
    )
