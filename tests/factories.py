"""factory_boy factories for every model the tests build."""

import datetime

import factory
from django.contrib.auth.models import Permission

from implementation.choices import ChecklistItemKind, PhaseKind, PhaseStatus
from implementation.models import ChecklistItem, Phase
from projects.choices import Department, ProjectStatus, Role, SystemKind
from projects.models import Membership, Project, User

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def can_create_projects(self, create, extracted, **kwargs):
        if create and extracted:
            self.user_permissions.add(
                Permission.objects.get(codename="add_project", content_type__app_label="projects")
            )


class ProjectFactory(factory.django.DjangoModelFactory):
    """A bare project row; use services.project_create for one with phases."""

    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Roll-out {n}")
    code = factory.Sequence(lambda n: f"PRJ-{n}")
    client_organisation = "Hanoi Retail JSC"
    system_kind = SystemKind.ERP
    start_date = datetime.date(2026, 1, 5)
    target_go_live = datetime.date(2026, 10, 5)
    status = ProjectStatus.ACTIVE


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.PILOT_USER
    department = Department.SALES


class PhaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Phase

    project = factory.SubFactory(ProjectFactory)
    kind = PhaseKind.DISCOVERY
    position = 1
    status = PhaseStatus.NOT_STARTED
    planned_start = datetime.date(2026, 1, 5)
    planned_end = datetime.date(2026, 2, 20)


class ChecklistItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChecklistItem

    phase = factory.SubFactory(PhaseFactory)
    kind = ChecklistItemKind.CRITERION
    title = factory.Sequence(lambda n: f"Checklist item {n}")
    is_mandatory = True
