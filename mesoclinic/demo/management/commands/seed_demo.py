from django.core.management.base import BaseCommand

from mesoclinic.demo.seed import DEMO_OWNER_EMAIL, DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Create the demo clinics, staff and patients (does nothing if they exist)."

    def handle(self, *args: object, **options: object) -> None:
        if demo_seed():
            self.stdout.write(self.style.SUCCESS("Demo created."))
        else:
            self.stdout.write("Demo already present; left as it is.")
        self.stdout.write(f"Log in as {DEMO_OWNER_EMAIL} / {DEMO_PASSWORD} (see README).")
