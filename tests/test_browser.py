"""In Debian's Chromium, as a person would: log in, register, search, open, audit."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD, make_patient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
# Chromium's own background traffic is switched off: tests never reach the network.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get).")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between page actions are synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    context = browser.new_context(base_url=live_server.url,
                                  viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page, email: str) -> None:
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_an_owner_registers_searches_opens_a_patient_and_sees_the_audit_event(
        page, personas, catalogue):
    owner = personas.owner.user
    log_in(page, owner.email)
    page.wait_for_url("**/login/verify/**")
    shot(page, "01-second-factor")
    device = TOTPDevice.objects.get(user=owner, confirmed=True)
    page.get_by_label("Code").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Verify").click()

    page.wait_for_url("**/dashboard/")
    shot(page, "00-dashboard")
    page.get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="Register a patient").first.click()
    page.get_by_label("First name").fill("Élodie")
    page.get_by_label("Last name").fill("Mercier")
    page.get_by_label("Date of birth").fill("1988-04-09")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Phone").fill("+33 6 41 52 63 74")
    page.get_by_label("Email").fill("elodie.mercier@example.com")
    page.get_by_label("Fitzpatrick skin type").select_option("2")
    page.get_by_label("Clinical notes").fill("Wants a mesolift; rosacea on the cheeks.")
    shot(page, "02-register-patient")
    page.get_by_role("button", name="Register").click()
    page.get_by_role("heading", name="Élodie MERCIER").wait_for()
    shot(page, "03-patient-record")

    make_patient(clinic=personas.clinic, first_name="Marc", last_name="Merlin")
    page.get_by_role("link", name="Patients").click()
    page.get_by_label("Search by name, date of birth, phone or email").fill("merc")
    results = page.locator("#results")
    results.get_by_text("1 patient found").wait_for()
    assert "MERLIN" not in results.inner_text()
    shot(page, "04-patient-search")
    results.get_by_role("link", name="MERCIER, Élodie").click()
    page.get_by_text("rosacea on the cheeks").wait_for()

    page.get_by_role("link", name="Clinic", exact=True).click()
    page.get_by_role("link", name="Audit trail").click()
    page.get_by_label("Action").select_option("patient.view")
    page.get_by_role("button", name="Filter").click()
    row = page.locator("table.audit tbody tr").first
    assert "patient.view" in row.inner_text()
    assert "Élodie Mercier" in row.inner_text()
    assert owner.full_name in row.inner_text()
    shot(page, "05-audit-trail")

    page.get_by_role("link", name="Clinic", exact=True).click()
    page.get_by_role("link", name="Team").click()
    page.get_by_role("heading", name="Team of Clinique Bellecour").wait_for()
    shot(page, "06-team")
    page.get_by_role("link", name="Catalogue").click()
    page.get_by_role("link", name="Indications").click()
    page.get_by_role("row", name="Cellulite").wait_for()
    shot(page, "07-catalogue-indications")


def test_reception_sees_contact_details_but_no_medical_section(page, personas):
    patient = make_patient(clinic=personas.clinic, first_name="Hugo", last_name="Lambert",
                           notes="Anticoagulated: warfarin.")
    log_in(page, personas.reception.user.email)
    page.wait_for_url("**/desk/**")
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("heading", name="Contact").wait_for()
    assert page.get_by_role("heading", name="Medical").count() == 0
    assert "warfarin" not in page.content()
    assert page.get_by_role("link", name="Clinic", exact=True).count() == 0
    shot(page, "08-reception-patient-record")


def test_a_tablet_sized_screen_keeps_the_search_usable(page, personas):
    make_patient(clinic=personas.clinic, first_name="Lucy", last_name="Walker")
    page.set_viewport_size({"width": 820, "height": 1180})
    log_in(page, personas.nurse.user.email)
    page.wait_for_url("**/dashboard/")
    page.get_by_role("link", name="Patients").click()
    page.get_by_label("Search by name, date of birth, phone or email").fill("walk")
    page.locator("#results").get_by_role("link", name="WALKER, Lucy").wait_for()
    shot(page, "09-tablet-search")


def test_the_keyboard_reaches_the_content_through_the_skip_link(page, personas):
    log_in(page, personas.nurse.user.email)
    page.wait_for_url("**/dashboard/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Skip to content"


def test_intake_by_link_consent_allergy_test_and_the_checklist_after_24_hours(
        page, personas, clock):
    from tests.factories import make_product_with_lot

    patient = make_patient(clinic=personas.clinic, first_name="Sarah", last_name="Blanc")
    product, _lot = make_product_with_lot(clinic=personas.clinic, name="Mesolift HA")

    # Reception makes the link; the patient opens it without logging in.
    log_in(page, personas.reception.user.email)
    page.wait_for_url("**/desk/**")
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("button", name="Link for the patient").first.click()
    link = page.get_by_label("Link", exact=True).input_value()
    page.get_by_role("button", name="Log out").click()

    page.goto(link)
    page.get_by_label("Diabetes").check()
    page.get_by_label("Medicine 1").fill("Vitamin D")
    page.get_by_label("Kind 1").select_option("other")
    page.get_by_label("Allergies (medicines, anaesthetics, latex, food…)").fill("Latex")
    shot(page, "10-patient-intake-link")
    page.get_by_role("button", name="Continue to the consent").click()

    page.get_by_label("Draw my signature").check()
    pad = page.locator("#signature-pad")
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 60)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 30 + step * 25, box["y"] + 60 + (step % 3) * 15)
    page.mouse.up()
    shot(page, "11-patient-consent-signature")
    page.get_by_role("button", name="Sign the consent").click()
    page.get_by_role("heading", name="Thank you").wait_for()

    # The practitioner records the allergy test; the checklist is blocked until it is read.
    log_in(page, personas.practitioner.user.email)
    page.wait_for_url("**/dashboard/")
    page.goto(f"/patients/{patient.pk}/allergy-tests/new/")
    for i in ("1", "2"):
        page.locator(f"#product_{i}").select_option(str(product.pk))
        page.locator(f"#lot_{i}").select_option(index=1)
        page.locator(f"#site_{i}").fill("left forearm" if i == "1" else "right forearm")
    page.get_by_role("button", name="Record the test").click()
    page.goto(f"/patients/{patient.pk}/checklist/?products={product.pk}")
    page.get_by_text("Treatment is blocked.").wait_for()
    assert "allergy-test-unread" in page.locator(".findings").inner_text()
    shot(page, "12-checklist-blocked")

    clock.advance(hours=25)
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("link", name="Read the result").click()
    page.get_by_label("Result").select_option("negative")
    page.get_by_role("button", name="Save the reading").click()
    page.goto(f"/patients/{patient.pk}/checklist/?products={product.pk}")
    page.get_by_text("The checklist passes.").wait_for()
    findings = page.locator(".findings").inner_text()
    assert "contraindication:diabetes" in findings  # a relative one: a warning, not a block
    shot(page, "13-checklist-passes")
    page.goto(f"/patients/{patient.pk}/")
    shot(page, "14-patient-record-consultation")


def test_a_practitioner_charts_three_points_on_the_face_and_the_stock_goes_down(
        page, personas, clock, catalogue):
    from mesoclinic.courses.services import plan_book_proposed
    from tests.factories import actor_for, ready_patient

    _patient, _product, lot, plan = ready_patient(clinic=personas.clinic, clock=clock,
                                                  practitioner=personas.practitioner)
    session = plan_book_proposed(actor=actor_for(personas.practitioner), plan=plan)[0]
    stock_before = lot.quantity

    log_in(page, personas.practitioner.user.email)
    page.wait_for_url("**/dashboard/")
    page.goto(f"/plans/{plan.pk}/")
    shot(page, "15-plan-schedule")
    page.goto(f"/sessions/{session.pk}/")
    page.get_by_text("The checklist passes.").wait_for()
    page.get_by_role("button", name="Start the session").click()
    face = page.locator('svg.chartmap[data-map="face"]')
    face.wait_for()
    for zone in ("forehead", "cheek-right", "chin"):
        face.locator(f'[data-zone="{zone}"]').click()
        page.get_by_label("Lot").select_option(str(lot.pk))
        page.get_by_label("Volume (ml)").fill("0.2")
        page.get_by_label("Depth (mm)").fill("2")
        page.get_by_role("button", name="Chart this injection").click()
        page.wait_for_url(f"**/sessions/{session.pk}/#chart")
    assert face.locator("g.point").count() == 3
    assert not page.locator('svg.chartmap[data-map="scalp"]').is_visible()
    page.get_by_role("tab", name="Scalp (from above)").click()
    assert page.locator('svg.chartmap[data-map="scalp"]').is_visible()
    assert not face.is_visible()
    page.get_by_role("tab", name="Face, front").click()
    assert "0.6 ml" in page.locator("ul.totals").inner_text()
    shot(page, "16-session-charted")

    lot.refresh_from_db()
    assert lot.quantity == stock_before - 3 * Decimal("0.2")
    page.goto("/clinic/products/")
    row = page.locator("table.list tbody tr", has_text=lot.number)
    assert f"{lot.quantity.normalize()}" in row.inner_text()  # 19.4, as people write it
    shot(page, "17-stock-after-session")


def test_a_patient_answers_a_check_in_through_its_link_and_the_clinic_sees_it(
        page, personas, clock, catalogue, settings):
    from mesoclinic.aftercare.models import AdverseEvent, CheckIn
    from mesoclinic.aftercare.selectors import checkin_token
    from mesoclinic.aftercare.services import session_finish
    from mesoclinic.courses.schemas import SessionCompleteIn
    from mesoclinic.courses.services import plan_book_proposed, session_start
    from tests.factories import actor_for, ready_patient

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    patient, _product, _lot, plan = ready_patient(clinic=personas.clinic, clock=clock,
                                                  practitioner=personas.practitioner)
    actor = actor_for(personas.practitioner)
    session = session_start(actor=actor, session=plan_book_proposed(actor=actor, plan=plan)[0])
    session_finish(actor=actor, session=session, data=SessionCompleteIn())
    checkin = CheckIn.objects.filter(session=session).order_by("due_at").first()

    page.goto(f"/c/{checkin_token(checkin)}/")
    page.get_by_label("I have symptoms").check()
    page.get_by_label("Swelling", exact=True).check()
    page.get_by_label("Infection").check()
    page.get_by_label("How bad is it?").select_option("moderate")
    page.get_by_label("Anything else (since when, where)").fill("Warm and red on the left cheek")
    shot(page, "18-patient-check-in")
    page.get_by_role("button", name="Send").click()
    # An infection is serious: the patient is told to call now, and the clinic is alerted.
    page.get_by_role("heading", name="Call the clinic now").wait_for()
    shot(page, "18b-patient-check-in-urgent")
    assert AdverseEvent.objects.filter(patient=patient).count() == 2

    log_in(page, personas.nurse.user.email)
    page.wait_for_url("**/dashboard/")
    flags = page.locator("p.flag")
    assert flags.count() >= 1
    assert patient.full_name in flags.first.inner_text()
    assert "serious" in page.locator("section", has_text="Patients flagged").inner_text()
    shot(page, "19-dashboard-flagged")


def test_photo_comparison_slider_and_analytics_plots(page, personas, catalogue, settings,
                                                     tmp_path):
    import cv2

    from mesoclinic.consultation.services import photo_add
    from mesoclinic.outcomes.services import RegionIn, comparison_request, comparison_run
    from tests.factories import actor_for
    from tests.pictures import synthetic_skin, warp_like_a_second_visit
    from tests.test_outcomes import _plan_with

    settings.PHOTO_ROOT = tmp_path / "photos"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    patient = make_patient(clinic=personas.clinic, first_name="Nathalie", last_name="Roux")
    from tests.factories import sign_photo_consent

    sign_photo_consent(patient=patient)
    image = synthetic_skin(900, 600)
    photos = [photo_add(actor=actor_for(personas.practitioner), patient=patient,
                        body_area_code="face", view="front",
                        raw=cv2.imencode(".jpg", picture)[1].tobytes())
              for picture in (image, warp_like_a_second_visit(image, redden=25))]
    comparison = comparison_request(actor=actor_for(personas.nurse), patient=patient,
                                    before=photos[0], after=photos[1],
                                    region=RegionIn(x=300, y=200, w=200, h=150))
    comparison_run(comparison_id=comparison.pk)
    from tests.factories import make_product_with_lot

    product, _lot = make_product_with_lot(clinic=personas.clinic, name="Piroxicam mix")
    for label, (baseline, last) in zip("ABC", [(7, 4), (6, 4), (8, 3)], strict=True):
        _plan_with(personas, product, baseline=baseline, last=last, sessions=4, label=label)

    log_in(page, personas.practitioner.user.email)
    page.wait_for_url("**/dashboard/")
    page.goto(f"/comparisons/{comparison.pk}/")
    page.get_by_text("Aligned on").wait_for()
    slider = page.get_by_label("Before ↔ after")
    slider.fill("20")
    clip = page.locator("#slider-top").evaluate("e => e.style.clipPath")
    assert clip == "inset(0px 80% 0px 0px)" or "80%" in clip
    shot(page, "20-photo-comparison")

    page.goto("/clinic/analytics/?scale=vas-pain")
    assert page.locator("svg.plot").count() == 3
    assert "Piroxicam mix" in page.locator("table.analytics").inner_text()
    shot(page, "21-analytics")


def test_a_patient_searches_by_city_books_a_consultation_gets_the_ics_and_cancels(
        page, personas, catalogue, settings, run_worker):
    from django.core import mail
    from icalendar import Calendar

    from mesoclinic.booking.models import Appointment
    from tests.factories import open_clinic_for_booking

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    open_clinic_for_booking(personas.clinic, personas.practitioner)

    page.goto("/find/")
    page.get_by_label("Town or city").fill("Lyon")
    page.get_by_label("Treatment").select_option("cellulite")
    shot(page, "22-find")
    page.get_by_role("button", name="Search").click()
    result = page.locator("li.result").first
    assert "Clinique Bellecour" in result.inner_text()
    shot(page, "23-find-results")
    result.locator("a.button").first.click()

    page.get_by_label("First name").fill("Amélie")
    page.get_by_label("Last name").fill("Poulain")
    page.get_by_label("Date of birth").fill("1985-09-12")
    page.get_by_label("Email").fill("amelie@example.com")
    shot(page, "24-book-consultation")
    page.get_by_role("button", name="Confirm the booking").click()
    page.get_by_role("heading", name="Your appointment is booked").wait_for()
    manage_url = page.url
    shot(page, "25-booked")

    run_worker()
    message = next(m for m in mail.outbox if m.to == ["amelie@example.com"])
    ics = next(a for a in message.attachments if a[0] == "appointment.ics")
    event = next(c for c in Calendar.from_ical(ics[1]).walk() if c.name == "VEVENT")
    appointment = Appointment.objects.get(patient__email="amelie@example.com")
    assert event.decoded("dtstart") == appointment.starts_at
    link = next(word for word in message.body.split() if "/booking/" in word)
    assert "/booking/" in manage_url

    page.goto("/booking/" + link.split("/booking/", 1)[1])  # the link from the email
    page.get_by_role("button", name="Cancel this appointment").click()
    page.get_by_role("heading", name="Your appointment is cancelled").wait_for()
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"


def test_a_treatment_booked_too_early_is_refused_with_the_date_it_becomes_possible(
        page, personas, catalogue, clock, settings):
    from datetime import timedelta
    from urllib.parse import urlencode

    from mesoclinic.booking.selectors import appointment_types, free_times
    from mesoclinic.consultation.schemas import IntakeIn
    from mesoclinic.consultation.services import intake_submit
    from tests.factories import actor_for, open_clinic_for_booking, ready_patient

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    patient, _product, _lot, _plan = ready_patient(clinic=personas.clinic, clock=clock,
                                                   practitioner=personas.practitioner)
    from mesoclinic.patients.schemas import PatientChanges
    from mesoclinic.patients.services import patient_update

    patient = patient_update(actor=actor_for(personas.practitioner), patient=patient,
                             changes=PatientChanges(email="olivia@example.com"))
    dose = (clock.now() - timedelta(days=1)).astimezone(personas.clinic.zoneinfo).date()
    intake_submit(patient=patient, channel="staff", actor=actor_for(personas.practitioner),
                  ip=None, data=IntakeIn(medications=[{"name": "Ibuprofen",
                                                       "drug_class": "nsaid",
                                                       "last_dose": dose}]))
    treatment = next(t for t in appointment_types(clinic=personas.clinic)
                     if t.kind == "treatment")
    day = clock.now().astimezone(personas.clinic.zoneinfo).date() + timedelta(days=1)
    start = free_times(members=[personas.practitioner], appointment_type=treatment,
                       first=day, last=day,
                       not_before=clock.now())[personas.clinic.pk][0].starts_at
    query = urlencode({"kind": "treatment", "practitioner": personas.practitioner.user_id,
                       "start": start.isoformat()})
    page.goto(f"/clinics/{personas.clinic.slug}/book/?{query}")
    page.get_by_label("First name").fill(patient.first_name)
    page.get_by_label("Last name").fill(patient.last_name)
    page.get_by_label("Date of birth").fill(patient.date_of_birth.isoformat())
    page.get_by_label("Email").fill("olivia@example.com")
    page.get_by_role("button", name="Confirm the booking").click()
    refusal = page.locator("#refused")
    refusal.wait_for()
    earliest = dose + timedelta(days=8)  # a day's dose counts from its end: 7 full days
    assert f"A treatment session is possible from {earliest:%A} {earliest.day} " \
        f"{earliest:%B %Y}" in refusal.inner_text()
    shot(page, "26-treatment-too-early")


def test_reception_sees_the_week_calendar(page, personas, catalogue):
    from mesoclinic.booking.selectors import appointment_types, free_times
    from mesoclinic.booking.services import appointment_book
    from tests.factories import open_clinic_for_booking

    open_clinic_for_booking(personas.clinic, personas.practitioner, personas.nurse)
    consultation = next(t for t in appointment_types(clinic=personas.clinic)
                        if t.kind == "consultation")
    from django.utils import timezone

    today = timezone.localdate()
    free = free_times(members=[personas.practitioner, personas.nurse],
                      appointment_type=consultation, first=today,
                      last=today + timedelta(days=6))[personas.clinic.pk]
    for index, slot in enumerate(free[::9][:5]):
        appointment_book(clinic=personas.clinic, membership=slot.membership,
                         appointment_type=consultation, starts_at=slot.starts_at,
                         patient=make_patient(clinic=personas.clinic,
                                              last_name=f"Weekly{index}"),
                         channel="staff")
    log_in(page, personas.reception.user.email)
    page.wait_for_url("**/desk/**")
    page.get_by_role("link", name="Calendar").click()
    page.get_by_role("link", name="Week", exact=True).click()
    table = page.locator("div.timegrid")
    assert table.locator("a.tg-appt").count() == 5
    assert personas.nurse.user.full_name in table.inner_text()
    shot(page, "27-week-calendar")


def test_a_plans_proposal_is_booked_and_every_session_is_in_the_week_calendar_and_the_ics(
        page, personas, catalogue, clock, run_worker, settings):
    from django.core import mail
    from icalendar import Calendar

    from mesoclinic.booking.models import Appointment, AppointmentStatus
    from mesoclinic.core import moments
    from tests.factories import open_clinic_for_booking, ready_patient

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    patient, _product, _lot, plan = ready_patient(clinic=personas.clinic, clock=clock,
                                                  practitioner=personas.practitioner)
    patient.email = "camille@example.com"
    patient.save()
    log_in(page, personas.practitioner.user.email)
    page.wait_for_url("**/dashboard/")
    page.goto(f"/plans/{plan.pk}/")
    page.get_by_role("button", name="Book the proposed sessions").click()
    page.wait_for_url(f"**/plans/{plan.pk}/")
    assert "6 sessions booked" in page.inner_text("body")
    shot(page, "35-plan-booked")

    appointments = list(Appointment.objects.filter(session__plan=plan,
                                                   status=AppointmentStatus.BOOKED)
                        .order_by("starts_at"))
    assert len(appointments) == 6
    for appointment in appointments:
        day = moments.local_day(appointment.starts_at, personas.clinic)
        page.goto(f"/calendar/?view=week&date={day.isoformat()}")
        hour = moments.moment_text(appointment.starts_at, personas.clinic, "time")
        cell = page.locator(f"a.tg-appt[href='/appointments/{appointment.pk}/']")
        assert cell.count() == 1
        assert cell.inner_text().startswith(hour)
        assert patient.full_name in cell.inner_text()
    shot(page, "36-course-in-week-calendar")

    mail.outbox.clear()
    run_worker()
    [message] = [m for m in mail.outbox if "treatment sessions" in m.subject]
    starts = [next(iter(Calendar.from_ical(content).walk("VEVENT"))).decoded("dtstart")
              for name, content, _kind in message.attachments if name.startswith("session-")]
    assert starts == [a.starts_at for a in appointments]
    for appointment in appointments:
        assert moments.moment_text(appointment.starts_at, personas.clinic, "long",
                                   name_zone=True) in message.body


def test_an_appointment_is_dragged_to_another_time_and_a_refused_drop_says_why(
        page, personas, catalogue):
    from datetime import time as clock_time

    from mesoclinic.booking.models import Appointment
    from mesoclinic.booking.services import HoursIn, working_hours_set
    from mesoclinic.core import moments
    from tests.factories import actor_for, book_consultation, open_clinic_for_booking

    open_clinic_for_booking(personas.clinic, personas.practitioner, personas.nurse)
    # The nurse works mornings only: a drop at 18:00 in her column is refused.
    working_hours_set(actor=actor_for(personas.owner), membership=personas.nurse,
                      hours=[HoursIn(d, clock_time(8), clock_time(12)) for d in range(7)])
    booked = book_consultation(clinic=personas.clinic, member=personas.practitioner,
                               days_ahead=2)
    day = moments.local_day(booked.starts_at, personas.clinic)
    log_in(page, personas.reception.user.email)
    page.wait_for_url("**/desk/**")
    # The whole day's grid on the screen: a drop lands where the user sees it.
    page.set_viewport_size({"width": 1280, "height": 1400})
    page.goto(f"/calendar/?date={day.isoformat()}")
    block = page.locator(f".tg-appt[data-move='/appointments/{booked.pk}/']")
    columns = page.locator(".tg-col")
    own = columns.nth(0) if personas.practitioner.user.full_name in page.locator(
        ".tg-head").nth(1).inner_text() else columns.nth(1)
    other = columns.nth(1) if own == columns.nth(0) else columns.nth(0)
    box = own.bounding_box()
    # 8:00–20:00 on the grid: 15:00 is 7/12 of the way down.
    block.drag_to(own, target_position={"x": box["width"] / 2, "y": box["height"] * 7 / 12})
    page.get_by_text("Moved.").wait_for()
    moved = Appointment.objects.filter(patient=booked.patient, status="booked").get()
    assert moments.moment_text(moved.starts_at, personas.clinic, "time") == "15:00"
    shot(page, "38-calendar-dragged")
    block = page.locator(f".tg-appt[data-move='/appointments/{moved.pk}/']")
    box = other.bounding_box()
    block.drag_to(other, target_position={"x": box["width"] / 2, "y": box["height"] * 10 / 12})
    page.get_by_text("18:00 do not fit").wait_for()
    shot(page, "39-calendar-drop-refused")
    assert Appointment.objects.get(pk=moved.pk).status == "booked"
