import os
import threading

from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "mesoclinic.booking"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A served worker reads the city table in the background at start, so the first
        # "near me" search does not wait for it (scripts/serve.sh sets the variable).
        if os.environ.get("MESOCLINIC_WARM_GAZETTEER") == "1":
            from mesoclinic.booking.gazetteer import _index

            threading.Thread(target=_index, name="gazetteer", daemon=True).start()
