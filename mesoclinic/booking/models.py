"""Booking: what a clinic offers, when its practitioners work, and appointments.

No practitioner ever holds two overlapping appointments: each appointment claims the
5-minute slots it occupies (its duration and buffer), and a unique constraint on
(practitioner, slot) lets the database itself refuse the second claim, on SQLite and on
PostgreSQL alike, whatever the number of concurrent writers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mesoclinic.catalog.models import Indication
from mesoclinic.core.fields import DefaultTextField
from mesoclinic.core.models import Clinic, Membership
from mesoclinic.courses.models import Session
from mesoclinic.patients.models import Patient

SLOT_MINUTES = 5


class AppointmentKind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    ALLERGY_READ = "allergy_read", _("Allergy-test reading")
    TREATMENT = "treatment", _("Treatment session")
    FOLLOW_UP = "follow_up", _("Follow-up")


class AppointmentType(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="appointment_types")
    kind = models.CharField(max_length=15, choices=AppointmentKind.choices)
    name = DefaultTextField(max_length=100)
    duration_minutes = models.PositiveSmallIntegerField()
    buffer_minutes = models.PositiveSmallIntegerField(default=0)
    price = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    bookable_online = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "kind"],
                                               name="appointment_type_kind")]

    def __str__(self) -> str:
        return self.name


class TreatmentOffer(models.Model):
    """An indication the clinic treats, with its price per session (shown publicly)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="offers")
    indication = models.ForeignKey(Indication, on_delete=models.PROTECT, related_name="offers")
    price_from = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "indication"],
                                               name="offer_once")]


class WorkingHours(models.Model):
    """A practitioner's weekly hours at a clinic, in the clinic's local time."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE,
                                   related_name="working_hours")
    weekday = models.PositiveSmallIntegerField()  # Monday = 0
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]


class TimeOff(models.Model):
    """Days a practitioner (or, with none, the whole clinic) does not see patients."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, null=True,
                                   related_name="time_off")
    first_day = models.DateField()
    last_day = models.DateField()
    reason = models.CharField(max_length=100, blank=True)


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    ARRIVED = "arrived", _("Arrived")
    IN_TREATMENT = "in_treatment", _("In treatment")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")


# An appointment in one of these still holds its time (its slot claims).
HOLDING_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED,
                    AppointmentStatus.IN_TREATMENT)
# The desk moves an appointment along its day: what may follow what.
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    AppointmentStatus.BOOKED: (AppointmentStatus.ARRIVED, AppointmentStatus.NO_SHOW),
    AppointmentStatus.ARRIVED: (AppointmentStatus.IN_TREATMENT, AppointmentStatus.COMPLETED,
                                AppointmentStatus.NO_SHOW),
    AppointmentStatus.IN_TREATMENT: (AppointmentStatus.COMPLETED,),
}


class CancelledBy(models.TextChoices):
    PATIENT = "patient", _("the patient")
    CLINIC = "clinic", _("the clinic")


class Appointment(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="appointments")
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="appointments")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=15, choices=AppointmentKind.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=15, choices=AppointmentStatus.choices,
                              default=AppointmentStatus.BOOKED)
    channel = models.CharField(max_length=10)  # online | staff | api
    session = models.ForeignKey(Session, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="appointments")
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    cancelled_by = models.CharField(max_length=10, choices=CancelledBy.choices, blank=True)
    # Cancelled inside the clinic's notice period (Clinic.cancellation_notice_hours).
    cancelled_late = models.BooleanField(default=False)
    arrived_at = models.DateTimeField(null=True, blank=True)
    # The event in the patient's calendar: a move keeps its UID and raises its SEQUENCE, so
    # that the calendar updates the one event instead of adding a second (RFC 5545).
    calendar_uid = models.CharField(max_length=100, blank=True)
    calendar_sequence = models.PositiveIntegerField(default=0)
    moved_from = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["practitioner", "starts_at"], name="appt_practitioner_start"),
            models.Index(fields=["clinic", "starts_at"], name="appt_clinic_start"),
            models.Index(fields=["patient", "starts_at"], name="appt_patient_start"),
        ]


class SlotClaim(models.Model):
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    slot = models.DateTimeField()
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE,
                                    related_name="claims")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["practitioner", "slot"],
                                               name="one_appointment_per_slot")]


class CalendarFeed(models.Model):
    """A practitioner's iCalendar feed, behind a secret URL (only its hash is kept)."""

    membership = models.OneToOneField(Membership, on_delete=models.CASCADE,
                                      related_name="calendar_feed")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    BOOKED = "booked", _("Moved earlier")
    LEFT = "left", _("Left the list")


class WaitlistEntry(models.Model):
    """A patient's wish for an earlier time than the appointment they hold."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT,
                                    related_name="waitlist_entries")
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=WaitlistStatus.choices,
                              default=WaitlistStatus.WAITING)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(
            fields=["appointment"], condition=models.Q(status="waiting"),
            name="one_waiting_entry_per_appointment")]


class WaitlistOffer(models.Model):
    """A freed time offered to a waiting patient by email, held for them until
    ``expires_at``; the first of those offered to take it gets it."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.PROTECT, related_name="offers")
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    starts_at = models.DateTimeField()
    nonce = models.CharField(max_length=32)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, blank=True)  # booked | taken | refused
