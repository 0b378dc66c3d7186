from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "mesoclinic.demo"
    label = "demo"
    verbose_name = "Demo clinics"
