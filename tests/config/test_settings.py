"""Production mode tightens and refuses to start without its secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "k3y-" + "x7Q9" * 16


def run_manage(*args, **env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"}
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "env",
    [
        {"DEBUG": "false", "ALLOWED_HOSTS": "rollout.example.com"},
        {"DEBUG": "false", "SECRET_KEY": SECRET},
    ],
)
def test_production_refuses_to_start_without_secret_key_or_allowed_hosts(env):
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "must be set when DEBUG is off" in result.stderr


def test_production_settings_pass_the_deploy_check():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="rollout.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_settings_print_tightened_values():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0,"
        " s.CSRF_TRUSTED_ORIGINS, s.TIME_ZONE, s.USE_TZ)"
    )
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        DEBUG="false",
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="rollout.example.com",
    )
    assert result.stdout.strip() == (
        "True True True ['https://rollout.example.com'] Asia/Ho_Chi_Minh True"
    )


def test_database_url_switches_engine_without_code_change():
    code = "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'])"
    embedded = run_manage("shell", "--no-imports", "-c", code)
    postgres = run_manage(
        "shell", "--no-imports", "-c", code, DATABASE_URL="postgres://u@127.0.0.1:5432/x"
    )
    assert embedded.stdout.strip() == "django.db.backends.sqlite3"
    assert postgres.stdout.strip() == "django.db.backends.postgresql"


def test_without_redis_tasks_run_in_process_and_with_it_go_to_the_broker():
    code = (
        "from django.conf import settings as s;"
        "print(s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL, s.CACHES['default']['BACKEND'])"
    )
    embedded = run_manage("shell", "--no-imports", "-c", code)
    redis = run_manage("shell", "--no-imports", "-c", code, REDIS_URL="redis://127.0.0.1:6379/3")
    assert embedded.stdout.split() == [
        "True",
        "memory://",
        "django.core.cache.backends.locmem.LocMemCache",
    ]
    assert redis.stdout.split() == [
        "False",
        "redis://127.0.0.1:6379/3",
        "django.core.cache.backends.redis.RedisCache",
    ]


def test_bucket_name_switches_uploads_to_s3_compatible_storage():
    code = "from django.core.files.storage import storages; s = storages['default']; print(%s)"
    local = run_manage("shell", "--no-imports", "-c", code % "type(s).__name__")
    bucket = run_manage(
        "shell",
        "--no-imports",
        "-c",
        code % "type(s).__name__, s.bucket_name, s.endpoint_url",
        AWS_STORAGE_BUCKET_NAME="rollout-files",
        AWS_S3_ENDPOINT_URL="http://127.0.0.1:9000",
    )
    assert local.stdout.split() == ["FileSystemStorage"]
    assert bucket.stdout.split() == ["S3Storage", "rollout-files", "http://127.0.0.1:9000"]
