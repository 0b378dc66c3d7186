"""Booking pages: the public search and clinic pages, booking and its manage link, the
staff calendar, availability settings and the practitioner's iCalendar feed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mesoclinic.billing.selectors import booking_terms, deposits_due
from mesoclinic.booking import gazetteer, grid
from mesoclinic.booking.ics import feed_ics
from mesoclinic.booking.models import (
    NEXT_STATUSES,
    AppointmentKind,
    AppointmentStatus,
    AppointmentType,
    CancelledBy,
)
from mesoclinic.booking.selectors import (
    access_appointment,
    access_waitlist_entry,
    appointment_from_token,
    appointment_type_of,
    appointment_types,
    bookable_members,
    calendar,
    clinic_offers,
    clinic_waitlist,
    feed_appointments,
    feed_membership,
    free_times,
    manage_token,
    public_clinic,
    search_clinics,
    upcoming_time_off,
    waitlist_offer_from_key,
    working_hours_of,
)
from mesoclinic.booking.services import (
    BookingRefused,
    HoursIn,
    OnlineBookingIn,
    TypeChange,
    appointment_book,
    appointment_cancel,
    appointment_move,
    appointment_status_set,
    appointment_types_update,
    calendar_feed_issue,
    clinic_profile_update,
    online_booking,
    time_off_add,
    waitlist_accept,
    waitlist_leave,
    working_hours_set,
)
from mesoclinic.catalog import selectors as catalogue
from mesoclinic.core import clock, moments
from mesoclinic.core.context import Actor, client_ip
from mesoclinic.core.errors import MesoclinicError, NotFound
from mesoclinic.core.models import Clinic, Role
from mesoclinic.core.roles import CLINICAL_ROLES
from mesoclinic.core.selectors import clinic_member, clinicians
from mesoclinic.core.web import (
    parse_form,
    parse_local_datetime,
    public_link_page,
    query_date,
    render_error,
    staff_view,
)
from mesoclinic.patients.selectors import access_patient, open_data_requests

RADII = (5, 10, 25, 50, 100)
SEARCH_DAYS = 60


# Public -----------------------------------------------------------------------------


def find(request: HttpRequest) -> HttpResponse:
    """"Mesotherapy near me": a place (or the browser's position), a radius, a treatment
    and dates."""
    params = request.GET
    today = timezone.localdate(clock.now())
    place_text = params.get("place", "").strip()[:100]
    radius = int(params["radius"]) if params.get("radius", "").isdigit() else 25
    radius = radius if radius in RADII else 25
    indication = params.get("indication") or None
    try:
        asked_first, asked_last = query_date(params, "from"), query_date(params, "to")
    except MesoclinicError as error:
        return render_error(request, error)
    first = max(asked_first or today, today)
    horizon = first + timedelta(days=SEARCH_DAYS - 1)
    last = min(asked_last or horizon, horizon)
    place = None
    error = None
    if asked_first and asked_last and asked_last < asked_first:
        # Said plainly, rather than answering that nothing is free.
        error = _("The “To” date is before the “From” date: choose a “To” date on or after "
                  "%(first)s.") % {"first": moments.day_text(asked_first, "longdate")}
        last = horizon
    try:
        lat, lon = float(params["lat"]), float(params["lon"])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError
        place = gazetteer.Place(_("your position"), "", lat, lon, 0)
    except (KeyError, ValueError):
        if place_text:
            place = gazetteer.resolve(place_text)
            if place is None:
                error = _("We do not know “%(place)s”. Try the nearest city.") % {
                    "place": place_text}
    results = []
    if place is not None:
        results = search_clinics(latitude=place.latitude, longitude=place.longitude,
                                 radius_km=radius, indication=indication, first=first,
                                 last=last)
    return render(request, "booking/find.html", {
        "place": place, "place_text": place_text, "radius": radius, "radii": RADII,
        "indication": indication, "indications": catalogue.indications(),
        "first": first, "last": last, "results": results, "error": error,
        "searched": place is not None})


def place_suggestions(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"places": [p.label for p in gazetteer.suggestions(
        request.GET.get("q", "")[:50])]})


def listed_clinic_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A public page of a listed clinic: the view receives the clinic, and reads in its time
    zone; an unknown or unlisted clinic answers the page that says so, 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, slug: str) -> HttpResponse:
        try:
            clinic = public_clinic(slug=slug)
        except NotFound as error:
            return render(request, "errors/404.html", {"message": error.message}, status=404)
        timezone.activate(clinic.zoneinfo)
        return view(request, clinic)

    return wrapper


# The public clinic page shows a few days at a time, each practitioner's times together.
DAYS_SHOWN = 3
TIMES_SHOWN = 12


def initials(name: str) -> str:
    return "".join(part[0] for part in name.split()[:2]).upper()


@listed_clinic_page
def clinic_page(request: HttpRequest, clinic: Clinic) -> HttpResponse:
    """The clinic's treatments, prices and practitioners, and its free times: a few days at
    a time, grouped by day and by practitioner (or one practitioner, if the patient
    chooses), with the choices kept from page to page."""
    types = [t for t in appointment_types(clinic=clinic) if t.bookable_online]
    kind = request.GET.get("kind", AppointmentKind.CONSULTATION)
    chosen = next((t for t in types if t.kind == kind), types[0] if types else None)
    members = list(bookable_members(clinic_ids=[clinic.pk]))
    wanted = clinic_member(clinic_id=clinic.pk, user_id=request.GET.get("practitioner"))
    shown = [m for m in members if wanted is None or m.user_id == wanted.user_id]
    today = moments.today(clinic)
    try:
        first = max(query_date(request.GET, "from") or today, today)
    except MesoclinicError as error:
        return render_error(request, error)
    dates = [first + timedelta(days=i) for i in range(DAYS_SHOWN)]
    days = []
    if chosen is not None and shown:
        free = free_times(members=shown, appointment_type=chosen, first=dates[0],
                          last=dates[-1]).get(clinic.pk, [])
        by_day: dict[tuple[date, int], list[Any]] = defaultdict(list)
        for f in free:
            by_day[(f.starts_at.astimezone(clinic.zoneinfo).date(), f.membership.user_id)] \
                .append(f)
        days = [(day, [(m, initials(m.user.full_name), by_day[(day, m.user_id)][:TIMES_SHOWN],
                        max(0, len(by_day[(day, m.user_id)]) - TIMES_SHOWN))
                       for m in shown])
                for day in dates]
    hours = defaultdict(list)
    for h in working_hours_of(members=members):
        hours[h.weekday].append(h)
    opening = [(day_name, sorted({(h.start, h.end) for h in hours[i]}))
               for i, day_name in enumerate([_("Monday"), _("Tuesday"), _("Wednesday"),
                                             _("Thursday"), _("Friday"), _("Saturday"),
                                             _("Sunday")])]
    filters = {"kind": chosen.kind if chosen else "", "practitioner": wanted.user_id
               if wanted else ""}
    return render(request, "booking/clinic.html", {
        "clinic": clinic, "types": types, "chosen": chosen, "members": members,
        "wanted": wanted, "offers": clinic_offers(clinic=clinic), "days": days,
        "first": first, "filters": filters,
        "previous": max(first - timedelta(days=DAYS_SHOWN), today) if first > today else None,
        "next": first + timedelta(days=DAYS_SHOWN), "opening": opening})


@require_http_methods(["GET", "POST"])
@listed_clinic_page
def book(request: HttpRequest, clinic: Clinic) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    starts_at = parse_local_datetime(source.get("start", ""))
    kind = source.get("kind", AppointmentKind.CONSULTATION)
    practitioner = source.get("practitioner", "")
    member = clinic_member(clinic_id=clinic.pk, user_id=practitioner)
    try:
        appointment_type = appointment_type_of(clinic=clinic, kind=kind)
    except NotFound:
        appointment_type = None
    if starts_at is None or member is None or appointment_type is None:
        return redirect("clinic_page", slug=clinic.slug)
    errors: dict[str, list[str]] = {}
    refused = None
    if request.method == "POST":
        person = {k: request.POST.get(k, "") for k in ("first_name", "last_name", "email",
                                                        "phone", "sex")}
        person["date_of_birth"] = request.POST.get("date_of_birth") or None
        person["sex"] = person["sex"] or "unknown"
        spec, errors = parse_form(OnlineBookingIn, {
            "kind": kind, "practitioner": member.user_id, "starts_at": starts_at,
            "person": person})
        if spec is not None:
            try:
                appointment = online_booking(clinic=clinic, data=spec, ip=client_ip(request))
                return redirect("manage_booking", token=manage_token(appointment))
            except BookingRefused as error:
                refused = error
            except MesoclinicError as error:
                errors = {error.field or "form": [error.message]}
    return render(request, "booking/book.html", {
        "clinic": clinic, "member": member, "type": appointment_type, "starts_at": starts_at,
        "terms": booking_terms(clinic=clinic, price=appointment_type.price),
        "values": request.POST, "errors": errors, "refused": refused,
        "ends_at": starts_at + timedelta(minutes=appointment_type.duration_minutes),
        # Back to the times the patient was looking at: this clinic's page only.
        "back": back if (back := source.get("back", "")).startswith(
            f"/clinics/{clinic.slug}/") else ""},
        status=400 if (errors or refused) else 200)


@require_http_methods(["GET", "POST"])
@public_link_page(appointment_from_token)
def manage_booking(request: HttpRequest, appointment: Any, token: str) -> HttpResponse:
    clinic = appointment.clinic
    timezone.activate(clinic.zoneinfo)
    error = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "cancel":
                appointment_cancel(appointment=appointment, reason=_("cancelled online"),
                                   ip=client_ip(request))
            else:
                new_start = parse_local_datetime(request.POST.get("start", ""))
                if new_start is None:
                    raise MesoclinicError(_("Choose a new time."), field="start")
                appointment = appointment_move(appointment=appointment, starts_at=new_start,
                                               ip=client_ip(request), channel="online")
                return redirect("manage_booking", token=manage_token(appointment))
            appointment.refresh_from_db()
        except MesoclinicError as problem:
            error = problem.message
    member = clinic_member(clinic_id=clinic.pk, user_id=appointment.practitioner_id)
    alternatives = []
    if appointment.status == "booked" and member is not None:
        today = moments.today(clinic)
        alternatives = free_times(members=[member], appointment_type=appointment.type,
                                  first=today, last=today + timedelta(days=13),
                                  limit_per_clinic=12).get(clinic.pk, [])
    return render(request, "booking/manage.html", {
        "appointment": appointment, "clinic": clinic, "error": error,
        "alternatives": alternatives}, status=400 if error else 200)


# Staff ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GridColumn:
    title: str
    day: date
    practitioner_id: int | None
    open_spans: list[grid.Span]
    off: bool
    blocks: list[tuple[Any, grid.Span, int, int]]  # appointment, place, lane, lanes


@staff_view()
def staff_calendar(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The calendar as a time grid: a day with its practitioners as columns, or a week with
    its days as columns (appointments of the same time side by side); working hours are
    open, the rest and time off shaded, appointments placed by their time and length."""
    clinic = actor.clinic
    today = moments.today(clinic)
    first = query_date(request.GET, "date") or today
    view = "week" if request.GET.get("view") == "week" else "day"
    days = 7 if view == "week" else 1  # a week is the seven days from the chosen one
    appointments = calendar(actor=actor, first=first, days=days)
    members = list(bookable_members(clinic_ids=[actor.clinic_id]))
    hours = working_hours_of(members=members)
    away = upcoming_time_off(clinic=clinic, since=first)
    dates = [first + timedelta(days=i) for i in range(days)]

    def local(moment: datetime) -> time:
        return moment.astimezone(clinic.zoneinfo).time()

    def periods(day: date, member_ids: set[int]) -> list[tuple[time, time]]:
        return [(h.start, h.end) for h in hours
                if h.weekday == day.weekday() and h.membership_id in member_ids]

    def is_off(day: date, member_id: int | None) -> bool:
        return any(t.first_day <= day <= t.last_day
                   and (t.membership_id is None or t.membership_id == member_id)
                   for t in away)

    cells = [(member, day) for day in dates for member in members] if view == "day" \
        else [(None, day) for day in dates]
    first_hour, last_hour = grid.grid_hours(
        [p for _m, day in cells for p in periods(day, {m.pk for m in members})],
        [(local(a.starts_at), local(a.ends_at)) for a in appointments])
    columns = []
    for member, day in cells:
        mine = [a for a in appointments if moments.local_day(a.starts_at, clinic) == day
                and (member is None or a.practitioner_id == member.user_id)]
        placed = grid.lanes([(grid.minutes(local(a.starts_at)), grid.minutes(local(a.ends_at)))
                             for a in mine])
        open_periods = periods(day, {member.pk} if member else {m.pk for m in members})
        columns.append(GridColumn(
            title=member.user.full_name if member else "",
            day=day, practitioner_id=member.user_id if member else None,
            open_spans=[grid.span(s, e, first_hour=first_hour, last_hour=last_hour)
                        for s, e in open_periods],
            off=is_off(day, member.pk if member else None) if member or not members
            else all(is_off(day, m.pk) for m in members),
            blocks=[(a, grid.span(local(a.starts_at), local(a.ends_at), first_hour=first_hour,
                                  last_hour=last_hour), lane, count)
                    for a, (lane, count) in zip(mine, placed, strict=True)]))
    return render(request, "booking/calendar.html", {
        "first": first, "view": view, "columns": columns, "dates": dates, "members": members,
        "hour_marks": [(h, round(100 * (h - first_hour) / (last_hour - first_hour), 3))
                       for h in range(first_hour, last_hour)],
        "grid_height": (last_hour - first_hour) * 56,
        "previous": first - timedelta(days=days), "next": first + timedelta(days=days),
        "today": today, "sees_medical_detail": actor.role != Role.RECEPTION})


@staff_view()
@require_http_methods(["GET", "POST"])
def staff_appointment(request: HttpRequest, actor: Actor, appointment_id: int) -> HttpResponse:
    appointment = access_appointment(actor=actor, appointment_id=appointment_id,
                                     audit=request.method == "GET")
    # A move dragged on the calendar goes back to it (a calendar address only).
    back_to_calendar = next_page if (next_page := request.POST.get("next", "")).startswith(
        "/calendar/") else ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "cancel":
                appointment_cancel(appointment=appointment,
                                   reason=request.POST.get("reason", ""), actor=actor,
                                   ip=actor.ip, by=CancelledBy.CLINIC
                                   if request.POST.get("by") == "clinic"
                                   else CancelledBy.PATIENT)
                messages.success(request, _("Cancelled."))
                return redirect("staff_calendar")
            new_start = parse_local_datetime(request.POST.get("start", ""))
            if new_start is None:
                raise MesoclinicError(_("Choose a new time."), field="start")
            member_id = request.POST.get("practitioner", "")
            member = clinic_member(clinic_id=actor.clinic_id, user_id=member_id) \
                if member_id else None
            moved = appointment_move(appointment=appointment, starts_at=new_start,
                                     membership=member, actor=actor, ip=actor.ip)
            messages.success(request, _("Moved."))
            if back_to_calendar:
                return redirect(back_to_calendar)
            return redirect("staff_appointment", appointment_id=moved.pk)
        except MesoclinicError as error:
            messages.error(request, error.message)
            if back_to_calendar:  # dropped on the grid: the reason, where it was dropped
                return redirect(back_to_calendar)
    return render(request, "booking/appointment.html", {
        "appointment": appointment, "members": bookable_members(clinic_ids=[actor.clinic_id]),
        "cancelled_by": CancelledBy.choices,
        "local_start": moments.moment_text(appointment.starts_at, actor.clinic, "input")})


@staff_view()
@require_http_methods(["GET", "POST"])
def staff_book(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id,
                             audit_action="patient.view" if request.method == "GET" else None)
    types = appointment_types(clinic=actor.clinic)
    members = list(bookable_members(clinic_ids=[actor.clinic_id]))
    kind = request.POST.get("kind") or request.GET.get("kind") or AppointmentKind.CONSULTATION
    chosen = next((t for t in types if t.kind == kind), types[0])
    refused = None
    if request.method == "POST":
        start = parse_local_datetime(request.POST.get("start", ""))
        member = next((m for m in members if str(m.user_id) == request.POST.get(
            "practitioner")), None)
        try:
            if start is None or member is None:
                raise MesoclinicError(_("Choose a time."), field="start")
            booked = appointment_book(clinic=actor.clinic, membership=member,
                                      appointment_type=chosen, starts_at=start,
                                      patient=patient, channel="staff", actor=actor,
                                      ip=actor.ip)
            messages.success(request, _("Booked."))
            for warning in booked.safety_warnings:
                messages.warning(request, f"{warning.code}: {warning.message}")
            return redirect("patient_detail", patient_id=patient.pk)
        except BookingRefused as error:
            refused = error
        except MesoclinicError as error:
            messages.error(request, error.message)
    today = moments.today(actor.clinic)
    free = free_times(members=members, appointment_type=chosen, first=today,
                      last=today + timedelta(days=13), not_before=clock.now(),
                      limit_per_clinic=40).get(actor.clinic_id, [])
    return render(request, "booking/staff_book.html", {
        "patient": patient, "types": types, "chosen": chosen, "free": free,
        "refused": refused}, status=409 if refused else 200)


def _time(value: str) -> time | None:
    try:
        return time.fromisoformat(value)
    except ValueError:
        return None


@staff_view(roles=[Role.OWNER])
@require_http_methods(["GET", "POST"])
def availability(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Working hours, time off, appointment types and prices, the public profile."""
    members = clinicians(clinic_id=actor.clinic_id)
    if request.method == "POST":
        form = request.POST.get("form")
        try:
            if form == "hours":
                member = next(m for m in members if str(m.pk) == request.POST.get("member"))
                hours = []
                for weekday in range(7):
                    for part in ("am", "pm"):
                        start = _time(request.POST.get(f"h{weekday}{part}_start", ""))
                        end = _time(request.POST.get(f"h{weekday}{part}_end", ""))
                        if start and end:
                            hours.append(HoursIn(weekday, start, end))
                working_hours_set(actor=actor, membership=member, hours=hours)
            elif form == "off":
                member_id = request.POST.get("member", "")
                member = next((m for m in members if str(m.pk) == member_id), None)
                time_off_add(actor=actor, membership=member,
                             first_day=date.fromisoformat(request.POST.get("first_day", "")),
                             last_day=date.fromisoformat(request.POST.get("last_day", "")),
                             reason=request.POST.get("reason", ""))
            elif form == "types":
                changes, offers = _types_form(request.POST, appointment_types(
                    clinic=actor.clinic))
                appointment_types_update(actor=actor, changes=changes, offers=offers)
            elif form == "profile":
                post = request.POST
                position = None
                if post.get("latitude") and post.get("longitude"):
                    position = (float(post["latitude"]), float(post["longitude"]))
                clinic_profile_update(
                    actor=actor, address=post.get("address", ""), phone=post.get("phone", ""),
                    description=post.get("description", ""), listed=post.get("listed") == "on",
                    city=post.get("city", ""), position=position)
            messages.success(request, _("Saved."))
        except (StopIteration, ValueError, InvalidOperation):
            messages.error(request, _("Check the values: dates as YYYY-MM-DD, times as HH:MM, "
                                      "prices as numbers."))
        except MesoclinicError as error:
            messages.error(request, error.message)
        return redirect("availability")
    hours = defaultdict(dict)
    for h in working_hours_of(members=members):
        slot = "am" if "am" not in hours[(h.membership_id, h.weekday)] else "pm"
        hours[(h.membership_id, h.weekday)][slot] = h
    grid = [(m, [(i, hours[(m.pk, i)].get("am"), hours[(m.pk, i)].get("pm"))
                 for i in range(7)]) for m in members]
    offered = {o.indication_id: o for o in clinic_offers(clinic=actor.clinic)}
    return render(request, "booking/availability.html", {
        "grid": grid, "members": members, "types": appointment_types(clinic=actor.clinic),
        "time_off": upcoming_time_off(clinic=actor.clinic),
        "indications": [(i, offered.get(i.pk)) for i in catalogue.indications()],
        "weekdays": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]})


def _types_form(post: Any, types: list[AppointmentType]
                ) -> tuple[list[TypeChange], dict[int, Decimal | None]]:
    """The appointment-types form, as values the service takes."""
    changes = []
    for appointment_type in types:
        prefix = f"t{appointment_type.pk}_"
        price = post.get(prefix + "price", "").strip()
        changes.append(TypeChange(
            type_id=appointment_type.pk,
            duration=int(post.get(prefix + "duration", appointment_type.duration_minutes)),
            buffer=int(post.get(prefix + "buffer", appointment_type.buffer_minutes)),
            price=Decimal(price) if price else None,
            bookable_online=post.get(prefix + "online") == "on"))
    offers = {}
    for indication_id in post.getlist("offers"):
        if indication_id.isdigit():
            price = post.get(f"offer{indication_id}_price", "").strip()
            offers[int(indication_id)] = Decimal(price) if price else None
    return changes, offers


@staff_view(roles=CLINICAL_ROLES)
@require_http_methods(["GET", "POST"])
def calendar_feed(request: HttpRequest, actor: Actor) -> HttpResponse:
    url = None
    if request.method == "POST":
        key = calendar_feed_issue(actor=actor)
        url = request.build_absolute_uri(f"/feeds/{key}.ics")
    return render(request, "booking/feed.html", {"url": url})


def feed(request: HttpRequest, key: str) -> HttpResponse:
    membership = feed_membership(key=key)
    if membership is None:
        return HttpResponse(status=404)
    body = feed_ics(f"{membership.clinic.name} — {membership.user.full_name}",
                    feed_appointments(membership=membership))
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


# The desk ---------------------------------------------------------------------------


@staff_view()
def desk(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Today at the desk: every appointment of the clinic's day in time order, with the
    next steps of each (arrived, in treatment, completed, no-show)."""
    today = moments.today(actor.clinic)
    appointments = calendar(actor=actor, first=today, days=1)
    deposits = deposits_due(appointment_ids=[a.pk for a in appointments])
    for appointment in appointments:
        appointment.deposit_due = deposits.get(appointment.pk)  # type: ignore[attr-defined]
    counts = {status: sum(1 for a in appointments if a.status == status)
              for status in AppointmentStatus.values}
    return render(request, "booking/desk.html", {
        "today": today, "appointments": [(a, [(s, AppointmentStatus(s).label)
                                              for s in NEXT_STATUSES.get(a.status, ())])
                                         for a in appointments],
        "counts": counts, "now": clock.now(),
        "data_requests": open_data_requests(actor=actor)})


@staff_view()
@require_POST
def appointment_status(request: HttpRequest, actor: Actor, appointment_id: int
                       ) -> HttpResponse:
    appointment = access_appointment(actor=actor, appointment_id=appointment_id, audit=False)
    try:
        appointment_status_set(actor=actor, appointment=appointment,
                               status=request.POST.get("status", ""))
    except MesoclinicError as error:
        messages.error(request, error.message)
    return redirect(request.POST.get("next") or "desk")


# The waiting list ----------------------------------------------------------------------


@staff_view()
def waitlist(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The desk's view of the waiting list: who asked for an earlier time, in order, and
    what was offered to them."""
    return render(request, "booking/waitlist.html", {
        "entries": clinic_waitlist(actor=actor), "now": clock.now()})


@staff_view()
@require_POST
def waitlist_remove(request: HttpRequest, actor: Actor, entry_id: int) -> HttpResponse:
    entry = access_waitlist_entry(actor=actor, entry_id=entry_id)
    waitlist_leave(entry=entry, ip=client_ip(request), actor=actor)
    messages.success(request, _("%(name)s is off the waiting list.")
                     % {"name": entry.patient.full_name})
    return redirect("waitlist")


@require_http_methods(["GET", "POST"])
def waitlist_offer(request: HttpRequest, key: str) -> HttpResponse:
    """The emailed offer of an earlier time: the patient takes it, or leaves it."""
    try:
        offer = waitlist_offer_from_key(key, opened_from=client_ip(request)
                                        if request.method == "GET" else None)
    except NotFound as missing:
        return render(request, "consultation/public_error.html",
                      {"message": missing.message}, status=404)
    clinic = offer.entry.appointment.clinic
    timezone.activate(clinic.zoneinfo)
    context: dict[str, Any] = {"offer": offer, "clinic": clinic,
                               "current": offer.entry.appointment}
    if request.method == "POST":
        try:
            moved = waitlist_accept(offer=offer, ip=client_ip(request))
        except MesoclinicError as error:
            context["error"] = error.message
            return render(request, "booking/waitlist_offer.html", context, status=409)
        if moved is None:
            context["error"] = _("Someone else took this time a moment ago. Your "
                                 "appointment stays as it was, and you stay on the waiting "
                                 "list.")
            return render(request, "booking/waitlist_offer.html", context, status=409)
        return redirect("manage_booking", token=manage_token(moved))
    return render(request, "booking/waitlist_offer.html", context)
