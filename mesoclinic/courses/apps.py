from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "mesoclinic.courses"
    default_auto_field = "django.db.models.BigAutoField"
