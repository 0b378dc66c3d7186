from django.conf import settings
from django.core.management.base import BaseCommand

from mesoclinic.core.audit import audit_checkpoint_write


class Command(BaseCommand):
    help = ("Append a signed checkpoint of every audit chain's head to the checkpoint file "
            "(AUDIT_CHECKPOINT_FILE), outside the database.")

    def handle(self, *args: object, **options: object) -> None:
        count = audit_checkpoint_write()
        self.stdout.write(self.style.SUCCESS(
            f"{count} chain head(s) signed into {settings.AUDIT_CHECKPOINT_FILE}."))
