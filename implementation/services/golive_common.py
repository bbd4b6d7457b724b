"""Checks shared by the go-live services (migration, cutover, training, go-live plan)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from projects.models import Membership, Project, User


def member_errors(project: Project, **people: User | None) -> dict[str, list[str]]:
    """Field errors for every given person who is not on the project's team (one query)."""
    given = {field: user for field, user in people.items() if user is not None}
    if not given:
        return {}
    members = set(
        Membership.objects.filter(project=project, user__in=given.values()).values_list(
            "user_id", flat=True
        )
    )
    # No names in the message: the caller may not know people outside the project.
    return {
        field: [_("Choose a member of this project's team.")]
        for field, user in given.items()
        if user.pk not in members
    }


def raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def add(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def clean_fields(instance, *, exclude: list[str], errors: dict[str, list[str]]) -> None:
    """Run the model's field validation and merge its messages into `errors`."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            for message in messages:
                add(errors, field, message)


def reject_unknown(changes: dict, allowed: tuple[str, ...], what: str) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise TypeError(f"Unexpected {what} fields: {sorted(unknown)}")
