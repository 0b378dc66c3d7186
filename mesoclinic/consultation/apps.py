from django.apps import AppConfig


class ConsultationConfig(AppConfig):
    name = "mesoclinic.consultation"
    default_auto_field = "django.db.models.BigAutoField"
