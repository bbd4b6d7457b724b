"""Small helpers the pages of every app share: partial or page, errors onto forms."""

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest

from projects.errors import ApplicationError

PAGE_SIZE = 25
UNPROCESSABLE = 422  # htmx swaps 422 responses (see base.html), so forms show their errors


def is_partial(request: HttpRequest) -> bool:
    """An htmx request that wants a fragment, not a boosted full-page navigation."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def apply_error(form, error: ValidationError | ApplicationError) -> None:
    """Show a service's refusal on the form: field errors by field, the rest on top."""
    if isinstance(error, ApplicationError):
        form.add_error(None, error.message)
    elif hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def paginate(request: HttpRequest, queryset, per_page: int = PAGE_SIZE):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    """The current filters as a query string, to carry them through pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
