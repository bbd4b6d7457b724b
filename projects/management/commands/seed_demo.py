import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from projects.demo import DEMO_USERS, demo_seed

DEFAULT_DEMO_PASSWORD = "rollout-demo"


class Command(BaseCommand):
    help = "Create the demo project (an ERP roll-out at a Hanoi retailer) and its users, once."

    def handle(self, *args, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("seed_demo refuses to run with DEBUG off (production settings).")
        password = os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD)
        project = demo_seed(password=password)
        self.stdout.write(self.style.SUCCESS(f"Demo project ready: {project}"))
        self.stdout.write(f"Demo logins (password for all: {password}):")
        for spec in DEMO_USERS:
            self.stdout.write(f"  {spec.username:<11} {spec.role.label} ({spec.department.label})")
        self.stdout.write("  admin       superuser, for /admin/")
