"""The floor of each measured page: the same rows by one hand-written SQL, as JSON.

Used only by `make bench` through override_settings(ROOT_URLCONF="projects.bench.floor"):
the real URLs plus /bench-floor/<name>/. What each floor runs is registered by the
measuring code before the requests, so the views stay free of bench knowledge.

A floor pays the fixed costs its page pays, so that the ratio page / floor measures the
page's own work (its queries beyond the main list, its Python and its template):

- the same request path: it is requested by the same logged-in django.test.Client through
  the same middleware stack (sessions, locale, CSRF, authentication, messages, htmx);
- the same authentication: login_required reads the session and loads the user, as pages
  (project_view, login_required) and the API (session authentication) do;
- the same membership lookup: a floor of a project page loads the project through
  projects.selectors.project_get with the user, as project_view does (visibility and the
  user's role in one query), before its one SQL.

What it leaves out is exactly the page's work: it returns the rows as JSON, unrendered.
"""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, JsonResponse
from django.urls import include, path

from projects.selectors import project_get

# name -> (sql, params, project code or None)
FLOORS: dict[str, tuple[str, list, str | None]] = {}


@login_required
def floor(request, name: str):
    try:
        sql, params, code = FLOORS[name]
    except KeyError:
        raise Http404(name) from None
    if code is not None:
        project_get(user=request.user, code=code)  # what project_view does first
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column[0] for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return JsonResponse({"rows": rows})


urlpatterns = [
    path("bench-floor/<str:name>/", floor),
    path("", include("config.urls")),
]
