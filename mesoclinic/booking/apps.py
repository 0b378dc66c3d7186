import os
import threading

from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "mesoclinic.booking"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from mesoclinic.core.models import Clinic

        # A clinic opens with the usual appointment types (core does not know booking).
        post_save.connect(_clinic_created, sender=Clinic,
                          dispatch_uid="booking.appointment_types_open")
        # A served worker reads the city table in the background at start, so the first
        # "near me" search does not wait for it (scripts/serve.sh sets the variable).
        if os.environ.get("MESOCLINIC_WARM_GAZETTEER") == "1":
            from mesoclinic.booking.gazetteer import _index

            threading.Thread(target=_index, name="gazetteer", daemon=True).start()


def _clinic_created(sender: type, instance: object, created: bool, raw: bool = False,
                    **kwargs: object) -> None:
    if created and not raw:
        from mesoclinic.booking.services import appointment_types_open

        appointment_types_open(clinic=instance)  # type: ignore[arg-type]
