from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "mesoclinic.billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from mesoclinic.booking.signals import appointment_missed, booked_online
        from mesoclinic.courses.signals import session_completed

        # Booking and courses come before billing: they announce, billing charges, in the
        # same transaction as their write.
        booked_online.connect(_booked_online, dispatch_uid="billing.deposit")
        appointment_missed.connect(_missed, dispatch_uid="billing.fee")
        session_completed.connect(_session_completed, dispatch_uid="billing.credit")


def _booked_online(sender: type, appointment: object, **kwargs: object) -> None:
    from mesoclinic.billing.services import deposit_ask

    deposit_ask(appointment=appointment)  # type: ignore[arg-type]


def _missed(sender: type, appointment: object, kind: str, actor: object = None,
            **kwargs: object) -> None:
    from mesoclinic.billing.services import fee_charge

    fee_charge(appointment=appointment, kind=kind, actor=actor)  # type: ignore[arg-type]


def _session_completed(sender: type, session: object, actor: object = None,
                       **kwargs: object) -> None:
    from mesoclinic.billing.services import package_credit_use

    package_credit_use(session=session, actor=actor)  # type: ignore[arg-type]
