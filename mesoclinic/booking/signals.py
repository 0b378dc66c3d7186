"""What booking tells the apps after it (billing) about an appointment, inside the
transaction of the write: a receiver's rows commit or roll back with the appointment."""

from django.dispatch import Signal

# An appointment booked by the patient on the public pages: sent with ``appointment``.
booked_online = Signal()
# A patient missed an appointment (``kind`` "no_show") or cancelled it inside the clinic's
# notice period ("late_cancel"): sent with ``appointment`` and ``kind``.
appointment_missed = Signal()
