from django.apps import AppConfig


class AftercareConfig(AppConfig):
    name = "mesoclinic.aftercare"
    default_auto_field = "django.db.models.BigAutoField"
