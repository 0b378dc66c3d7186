from django.apps import AppConfig


class ConsultationConfig(AppConfig):
    name = "mesoclinic.consultation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from mesoclinic.core.models import Clinic

        # A clinic opens with its consent texts (core does not know consultation).
        post_save.connect(_clinic_created, sender=Clinic,
                          dispatch_uid="consultation.consent_texts_open")


def _clinic_created(sender: type, instance: object, created: bool, raw: bool = False,
                    **kwargs: object) -> None:
    if created and not raw:
        from mesoclinic.consultation.services import consent_texts_open

        consent_texts_open(clinic=instance)  # type: ignore[arg-type]
