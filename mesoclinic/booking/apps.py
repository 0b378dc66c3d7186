from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "mesoclinic.booking"
    default_auto_field = "django.db.models.BigAutoField"
