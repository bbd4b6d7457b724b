"""/healthz for load balancers and compose healthchecks."""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from projects.policy import PUBLIC, declare


def _broker_state() -> str:
    if not settings.REDIS_URL:
        return "in-process"
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5
        )
        client.ping()
    except (redis.RedisError, OSError):
        return "unreachable"
    return "ok"


@declare(PUBLIC)
@never_cache
@require_GET
def healthz(request):
    """200 while the database answers; the broker's state is reported, not fatal."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        database = "unreachable"
    body = {"database": database, "broker": _broker_state()}
    body["status"] = "ok" if database == "ok" else "failing"
    return JsonResponse(body, status=200 if database == "ok" else 503)
