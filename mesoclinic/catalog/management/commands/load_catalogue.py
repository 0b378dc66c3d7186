from django.core.management.base import BaseCommand

from mesoclinic.catalog.services import catalogue_load


class Command(BaseCommand):
    help = "Load the mesotherapy catalogue (idempotent)."

    def handle(self, *args: object, **options: object) -> None:
        release = catalogue_load()
        self.stdout.write(f"Catalogue {release.version}: {release.entries} entries loaded.")
