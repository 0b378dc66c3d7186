"""Two views: book (a row under a unique constraint) and read one row, behind a token."""

from __future__ import annotations

import hmac
import json
import os
from datetime import datetime

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from reference.models import Booking

TOKEN = os.environ.get("REFERENCE_TOKEN", "reference-token")


def _authorised(request: HttpRequest) -> bool:
    given = request.headers.get("Authorization", "").removeprefix("Bearer ")
    return hmac.compare_digest(given.encode(), TOKEN.encode())


def _out(booking: Booking) -> dict:
    return {"id": booking.pk, "practitioner": booking.practitioner,
            "patient": booking.patient, "starts_at": booking.starts_at.isoformat()}


@csrf_exempt
def book(request: HttpRequest) -> HttpResponse:
    if not _authorised(request):
        return JsonResponse({"detail": "unauthenticated"}, status=401)
    if request.method != "POST":
        return JsonResponse({"detail": "method"}, status=405)
    try:
        data = json.loads(request.body)
        fields = {"practitioner": int(data["practitioner"]), "patient": int(data["patient"]),
                  "starts_at": datetime.fromisoformat(data["starts_at"])}
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"detail": "invalid"}, status=400)
    try:
        with transaction.atomic():
            booking = Booking.objects.create(**fields)
    except IntegrityError:
        return JsonResponse({"detail": "taken"}, status=409)
    return JsonResponse(_out(booking), status=201)


def read(request: HttpRequest, booking_id: int) -> HttpResponse:
    if not _authorised(request):
        return JsonResponse({"detail": "unauthenticated"}, status=401)
    booking = Booking.objects.filter(pk=booking_id).first()
    if booking is None:
        return JsonResponse({"detail": "not found"}, status=404)
    return JsonResponse(_out(booking))


def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [
    path("bookings", book),
    path("bookings/<int:booking_id>", read),
    path("healthz", health),
]
