from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from mesoclinic.demo.seed import DEMO_OWNER_EMAIL, DEMO_OWNER_TOTP_HEX


class Command(BaseCommand):
    help = "Print the demo owner's current one-time code (demo key only)."

    def handle(self, *args: object, **options: object) -> None:
        device = TOTPDevice.objects.filter(
            user__email=DEMO_OWNER_EMAIL, key=DEMO_OWNER_TOTP_HEX, confirmed=True
        ).first()
        if device is None:
            raise CommandError("No demo owner with the demo key here.")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits,
                    drift=device.drift)
        self.stdout.write(f"{code:0{device.digits}d}")
