"""`make bench`: speed figures on a large generated dataset (not part of the test run).

Builds the dataset once (projects.bench.dataset), then measures the main pages and API
lists against their floors, the PDF builds and the reminder dispatch
(projects.bench.measure), prints a table and writes bench/results.json under the database
vendor's key, so the SQLite and the PostgreSQL pass end up side by side in one file.
"""

import datetime
import json
import os
import platform
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connection

from projects.bench import dataset, measure
from projects.models import Project

RESULTS = Path(settings.BASE_DIR) / "bench" / "results.json"


def _create_postgres_database() -> bool:
    """Create the configured PostgreSQL database when the server runs but it is missing.
    False when the server cannot be reached at all."""
    import psycopg2
    from psycopg2 import sql

    params = connection.get_connection_params()
    name = params.pop("dbname", None) or params.pop("database")
    try:
        admin = psycopg2.connect(**{**params, "dbname": "postgres"})
    except psycopg2.OperationalError:
        return False
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()
    return True


class Command(BaseCommand):
    help = "Measure pages, PDFs and the reminder dispatch on a large generated dataset."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=30, help="Requests a page.")
        parser.add_argument("--pdf-runs", type=int, default=3)
        parser.add_argument("--dispatch-projects", type=int, default=1000)
        parser.add_argument("--dispatch-members", type=int, default=10)
        parser.add_argument(
            "--dispatch-broker",
            default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
            help="Redis for the dispatch with workers (skipped when it does not answer).",
        )
        parser.add_argument("--skip", nargs="*", default=[], choices=["pages", "pdfs", "dispatch"])
        parser.add_argument("--output", default=str(RESULTS))

    def handle(self, *args, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("bench refuses to run with DEBUG off.")
        if not self._database_ready():
            return
        vendor = connection.vendor
        log = self.stdout.write
        call_command("migrate", verbosity=0, interactive=False)

        started = time.perf_counter()
        log(f"== {vendor}: building (or finding) the dataset")
        counts = dataset.build(log=log)
        build_seconds = time.perf_counter() - started
        log(f"   {counts} ({build_seconds:.0f} s)")

        pm = dataset.manager()
        big = Project.objects.get(code=dataset.BIG)
        small = Project.objects.get(code=f"{dataset.PREFIX}-{dataset.VOLUMES['projects']:02d}")
        result = {
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "database": vendor,
            "database_version": self._version(),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "dataset": counts,
            "dataset_build_seconds": round(build_seconds, 1),
            "big_project": big.code,
            "small_project": small.code,
            "repeat": options["repeat"],
            # Other work on the machine inflates every time: read the figures against it.
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "targets": {
                "median_ms": measure.TARGET_MEDIAN_MS,
                "p95_ms": measure.TARGET_P95_MS,
                "ratio_to_floor": measure.TARGET_RATIO,
                "signoff_pdf_ms": measure.TARGET_SIGNOFF_PDF_MS,
                "other_pdf_ms": measure.TARGET_OTHER_PDF_MS,
                "dispatch_s": measure.TARGET_DISPATCH_S,
            },
        }
        if "pages" not in options["skip"]:
            log(
                f"\n{vendor}: pages on {big.code} ({options['repeat']} requests each), "
                f"queries also on {small.code}\n"
            )
            log(measure.TABLE_HEAD)
            pages = measure.measure_pages(
                user=pm, big=big, small=small, repeat=options["repeat"], log=log
            )
            result["pages"] = measure.as_dict(pages)
            self._write(Path(options["output"]), vendor, result)  # kept if a later part fails
        if "pdfs" not in options["skip"]:
            log("\n| PDF | median ms | max ms | queries | target |\n|---|---:|---:|---:|---|")
            result["pdfs"] = measure.measure_pdfs(pm=pm, big=big, runs=options["pdf_runs"], log=log)
        if "dispatch" not in options["skip"]:
            log("")
            result["dispatch"] = measure.measure_dispatch(
                pm=pm,
                projects=options["dispatch_projects"],
                members=options["dispatch_members"],
                log=log,
                broker=options["dispatch_broker"],
            )
        self._write(Path(options["output"]), vendor, result)

    def _database_ready(self) -> bool:
        try:
            connection.ensure_connection()
        except OperationalError as error:
            if connection.vendor == "postgresql" and _create_postgres_database():
                connection.close()
                return True
            self.stderr.write(
                f"Skipping the {connection.vendor} pass: the database cannot be reached "
                f"({str(error).strip().splitlines()[0]})."
            )
            return False
        return True

    def _version(self) -> str:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SHOW server_version")
            else:
                cursor.execute("SELECT sqlite_version()")
            return cursor.fetchone()[0]

    def _write(self, path: Path, vendor: str, result: dict) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        results = json.loads(path.read_text()) if path.exists() else {}
        results[vendor] = result
        path.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")
        self.stdout.write(f"\nWrote {path} ({vendor}).")
