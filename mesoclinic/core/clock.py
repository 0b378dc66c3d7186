"""The current time, in one place, so that tests can move it (24-hour reads, washouts)."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
