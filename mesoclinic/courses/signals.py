"""What courses tell the apps after them (billing) about a session, inside the
transaction of the write."""

from django.dispatch import Signal

# A session was completed: sent with ``session``.
session_completed = Signal()
