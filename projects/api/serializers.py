"""API shapes for projects and memberships. Output and input serializers are separate:
inputs only check shape; the services apply the rules."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from projects.choices import Department, Role
from projects.models import Membership, Project, User
from projects.services import PROJECT_EDITABLE_FIELDS


class ProjectSerializer(serializers.ModelSerializer):
    my_role = serializers.SerializerMethodField(help_text=_("Your role on this project."))
    url = serializers.HyperlinkedIdentityField(view_name="api:project-detail", lookup_field="code")

    class Meta:
        model = Project
        fields = [
            "url",
            "code",
            "name",
            "client_organisation",
            "system_kind",
            *PROJECT_EDITABLE_FIELDS[2:],
            "my_role",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_my_role(self, project) -> str | None:
        return getattr(project, "viewer_role", None)


class UpperCaseCodeField(serializers.CharField):
    """Project codes are stored in capitals; accept them in any case, like the page does."""

    def to_internal_value(self, data):
        return super().to_internal_value(data).upper()


class ProjectCreateSerializer(serializers.ModelSerializer):
    actor_department = serializers.ChoiceField(
        choices=Department.choices,
        default=Department.OTHER,
        help_text=_("Your own department; you join as project manager."),
    )

    class Meta:
        model = Project
        fields = [
            "code",
            "name",
            "client_organisation",
            "system_kind",
            *(name for name in PROJECT_EDITABLE_FIELDS[2:] if name != "status"),
            "actor_department",
        ]
        extra_kwargs = {"target_go_live": {"required": False}}

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        if field_name == "code":
            field_class = UpperCaseCodeField
        return field_class, field_kwargs


class ProjectUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = list(PROJECT_EDITABLE_FIELDS)


class UserSummarySerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["pk", "username", "display_name", "email"]
        read_only_fields = fields


class MembershipSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="code", read_only=True)
    user = UserSummarySerializer(read_only=True)

    class Meta:
        model = Membership
        fields = [
            "pk",
            "project",
            "user",
            "role",
            "department",
            "is_champion",
            "on_hypercare_team",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MembershipCreateSerializer(serializers.Serializer):
    project = serializers.CharField(help_text=_("The project's code."))
    user = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        help_text=_("The username of the person to add."),
    )
    role = serializers.ChoiceField(choices=Role.choices)
    department = serializers.ChoiceField(choices=Department.choices)


class MembershipUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    department = serializers.ChoiceField(choices=Department.choices, required=False)
    is_champion = serializers.BooleanField(
        required=False,
        help_text=_("The department's digital champion; one per department."),
    )
    on_hypercare_team = serializers.BooleanField(
        required=False, help_text=_("On the team that supports users after go-live.")
    )
