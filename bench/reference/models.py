from django.db import models


class Booking(models.Model):
    practitioner = models.PositiveIntegerField()
    patient = models.PositiveIntegerField()
    starts_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["practitioner", "starts_at"],
                                               name="one_booking_per_time")]
