"""One place that turns domain errors into HTTP answers for the API."""

from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from projects.errors import ApplicationError


def exception_handler(exc, context):
    """ApplicationError -> 400 {"detail": ...}; Django ValidationError -> 400 with field errors;
    a body over Django's upload limits -> 400 {"detail": ...} (not Django's HTML error page)."""
    if isinstance(exc, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)):
        exc = exceptions.ParseError(_("The request is too large: send a smaller body."))
    elif isinstance(exc, ApplicationError):
        exc = exceptions.ValidationError({"detail": exc.message})
    elif isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(
                {
                    ("non_field_errors" if field == "__all__" else field): messages
                    for field, messages in exc.message_dict.items()
                }
            )
        else:
            exc = exceptions.ValidationError({"non_field_errors": exc.messages})
    return drf_exception_handler(exc, context)


def page_not_found(request, exception):
    """handler404: an API address that matches no route (a malformed id such as "1a")
    answers JSON like every other API error; pages keep the HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


# --- Schema: the error answers every operation can give -----------------------------------

_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# {"field": ["message", ...]} (nested for nested input), "non_field_errors", or "detail" for a
# broken business rule.
_FIELD_ERRORS = {"type": "object", "additionalProperties": {}}
# A wall-clock time such as 09:00 or 09:00:00 in the project's time zone. JSON Schema's "time"
# format means RFC 3339 with an offset, which these values never carry.
_WALL_CLOCK = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$"


def _error_answers() -> dict[str, tuple[str, str]]:
    return {
        "400": ("FieldErrors", _("Invalid input: messages by field.")),
        "401": ("ErrorDetail", _("No valid token.")),
        "403": ("ErrorDetail", _("Your role on the project does not allow this.")),
        "404": ("ErrorDetail", _("Not found, or not visible to you.")),
        "415": ("ErrorDetail", _("A body in a media type this operation does not read.")),
    }


def _wall_clock_times(node) -> None:
    if isinstance(node, dict):
        if node.get("format") == "time":
            del node["format"]
            node["pattern"] = _WALL_CLOCK
        for value in node.values():
            _wall_clock_times(value)
    elif isinstance(node, list):
        for value in node:
            _wall_clock_times(value)


def document_error_answers(result, generator, request, public):
    """Postprocessing hook: document the errors DRF gives on every API operation (no token,
    a role without the capability, not found, invalid input), so each view declares only its
    own answers; an operation that documents an error its own way keeps it."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorDetail"] = _DETAIL
    schemas["FieldErrors"] = _FIELD_ERRORS
    answers = _error_answers()
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code, (component, description) in answers.items():
                if code == "415" and "requestBody" not in operation:
                    continue
                operation["responses"].setdefault(
                    code,
                    {
                        "content": {
                            "application/json": {
                                "schema": {"$ref": f"#/components/schemas/{component}"}
                            }
                        },
                        "description": description,
                    },
                )
    _wall_clock_times(result)
    return result
