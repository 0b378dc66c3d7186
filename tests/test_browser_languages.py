"""The daily screens in French and in English, at desktop, tablet and phone widths, in
Debian's Chromium: what a French clinic's staff, a patient booking from a French browser and
a patient opening their link read. Screenshots: test-artifacts/screenshots/lang-*.png."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.factories import PASSWORD, actor_for, make_patient, open_clinic_for_booking
from tests.test_browser import browser, shot  # noqa: F401  (the module's Chromium)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": {"width": 1280, "height": 860}, "tablet": {"width": 820, "height": 1180},
          "phone": {"width": 390, "height": 844}}
LOCALES = {"fr": "fr-FR", "en": "en-GB"}


@pytest.fixture(params=[(language, width) for language in LOCALES for width in WIDTHS],
                ids=lambda p: f"{p[0]}-{p[1]}")
def screen(request, browser, live_server) -> Iterator[tuple[object, str, str]]:  # noqa: F811
    language, width = request.param
    context = browser.new_context(base_url=live_server.url, viewport=WIDTHS[width],
                                  locale=LOCALES[language])
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page, language, width
    context.close()


def _fits(page) -> bool:
    """Nothing wider than the screen: no sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


WORDS = {
    "fr": {"email": "E-mail", "password": "Mot de passe", "log in": "Se connecter",
           "register": "Enregistrer un patient", "consultation": "Questionnaire d’admission",
           "find": "Mésothérapie près de chez vous", "city": "Ville",
           "intake": "Avant votre consultation", "switch": "English",
           "desk": "Aujourd’hui à l’accueil", "use location": "Utiliser ma position",
           "refused": "Votre navigateur n’a pas partagé votre position",
           "policy": "sans frais jusqu’à 24 heures avant",
           "switched": "Before your consultation"},
    "en": {"email": "Email", "password": "Password", "log in": "Log in",
           "register": "Register a patient", "consultation": "Intake questionnaire",
           "find": "Mesotherapy near you", "city": "Town or city",
           "intake": "Before your consultation", "switch": "Français",
           "desk": "Today at the desk", "use location": "Use my location",
           "refused": "Your browser did not share your position",
           "policy": "free of charge up to 24 hours before",
           "switched": "Avant votre consultation"},
}


def test_staff_patients_and_the_public_read_their_language_at_every_width(
        screen, personas, catalogue):
    from mesoclinic.consultation.services import intake_link_make

    page, language, width = screen
    words = WORDS[language]
    # The clinic and its people speak the language of this run.
    personas.clinic.language = language
    personas.clinic.save()
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    patient = make_patient(clinic=personas.clinic, first_name="Amélie", language=language)

    # Staff: the log-in page follows the browser, the pages after it the clinic.
    page.goto("/login/")
    page.get_by_label(words["email"]).fill(personas.practitioner.user.email)
    page.get_by_label(words["password"], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=words["log in"]).click()
    page.wait_for_url("**/dashboard/")
    assert _fits(page), "the dashboard is wider than the screen"
    shot(page, f"lang-{language}-{width}-dashboard")
    page.goto("/patients/")
    page.get_by_role("link", name=words["register"]).first.wait_for()
    assert page.locator("html").get_attribute("lang") == language
    assert _fits(page), "the patient list is wider than the screen"
    shot(page, f"lang-{language}-{width}-patients")
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("link", name=words["consultation"]).wait_for()
    assert _fits(page), "the patient record is wider than the screen"
    shot(page, f"lang-{language}-{width}-record")
    # The calendar as a time grid, a day and a week, and the desk.
    from tests.factories import book_consultation

    booked = book_consultation(clinic=personas.clinic, member=personas.practitioner,
                               days_ahead=1)
    day = booked.starts_at.astimezone(personas.clinic.zoneinfo).date().isoformat()
    page.goto(f"/calendar/?date={day}")
    page.locator(".tg-appt").first.wait_for()
    shot(page, f"lang-{language}-{width}-calendar-day")
    page.goto(f"/calendar/?view=week&date={day}")
    page.locator(".tg-appt").first.wait_for()
    shot(page, f"lang-{language}-{width}-calendar-week")
    page.goto("/desk/")
    page.get_by_role("heading", name=words["desk"]).wait_for()
    assert _fits(page), "the desk is wider than the screen"
    shot(page, f"lang-{language}-{width}-desk")
    page.goto("/catalogue/indications/")
    assert ("Cuir chevelu" if language == "fr" else "Scalp") in page.content()
    shot(page, f"lang-{language}-{width}-catalogue")

    # The public search follows the browser.
    page.context.clear_cookies()
    page.goto("/find/")
    page.get_by_role("heading", name=words["find"]).wait_for()
    page.get_by_label(words["city"]).fill("Lyon")
    assert _fits(page), "the search is wider than the screen"
    shot(page, f"lang-{language}-{width}-find")
    # "Use my location", refused (the browser grants no position here): said in words.
    page.get_by_role("button", name=words["use location"]).click()
    page.locator("#location-error").wait_for()
    assert words["refused"] in page.locator("#location-error").inner_text()

    # The clinic page: times by day and practitioner; a time opens the summary with the
    # price and the cancellation policy, and a way back to the same times.
    page.goto(f"/clinics/{personas.clinic.slug}/")
    page.locator(".freeday").first.wait_for()
    assert _fits(page), "the clinic page is wider than the screen"
    shot(page, f"lang-{language}-{width}-clinic")
    page.locator("a.slot").first.click()
    page.get_by_text(words["policy"]).wait_for()
    assert _fits(page), "the booking form is wider than the screen"
    shot(page, f"lang-{language}-{width}-book")

    # The patient's link opens in the patient's language; the switch changes it.
    key = intake_link_make(actor=actor_for(personas.practitioner), patient=patient)
    page.goto(f"/p/{key}/")
    page.get_by_role("heading", name=words["intake"]).first.wait_for()
    shot(page, f"lang-{language}-{width}-intake")
    assert _fits(page), "the questionnaire is wider than the screen"
    page.get_by_role("button", name=words["switch"]).click()
    page.get_by_role("heading", name=words["switched"]).first.wait_for()


CHART_WORDS = {
    "fr": {"profile": "Visage, profil droit", "cheek": "Joue droite", "photo": "Photo",
           "on photo": "sur la photo", "link": "Envoyer le lien à",
           "on its way": "Le lien est en route", "call": "Appelez la clinique maintenant",
           "per point": "par point", "number": "Saisissez un nombre."},
    "en": {"profile": "Face, right profile", "cheek": "Cheek, right", "photo": "Photo",
           "on photo": "on the photo", "link": "Email the link",
           "on its way": "The link is on its way", "call": "Call the clinic now",
           "per point": "per point", "number": "Enter a number."},
}


def _staff_log_in(page, language: str, email: str) -> None:
    words = WORDS[language]
    page.goto("/login/")
    page.get_by_label(words["email"]).fill(email)
    page.get_by_label(words["password"], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=words["log in"]).click()
    page.wait_for_url("**/dashboard/")


def test_charting_and_messages_to_patients_read_in_their_language_at_every_width(
        screen, personas, catalogue, clock, settings, tmp_path):
    """§4 and §5: a point charted on a profile and on the patient's own photo with the
    plan's volume per point; the patient's link emailed with its QR code; a serious
    check-in answer that tells the patient to call the clinic now."""
    import cv2

    from mesoclinic.aftercare.models import CheckIn
    from mesoclinic.aftercare.selectors import checkin_token
    from mesoclinic.aftercare.services import session_finish
    from mesoclinic.consultation.services import photo_add
    from mesoclinic.courses.schemas import SessionCompleteIn
    from mesoclinic.courses.services import plan_book_proposed, session_start
    from tests.factories import ready_patient
    from tests.pictures import synthetic_skin

    page, language, width = screen
    words = CHART_WORDS[language]
    settings.PHOTO_ROOT = tmp_path / "photos"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    personas.clinic.language = language
    personas.clinic.save()
    patient, _product, lot, plan = ready_patient(clinic=personas.clinic, clock=clock,
                                                 practitioner=personas.practitioner)
    patient.language, patient.email = language, "amelie@example.org"
    patient.save(update_fields=["language", "email"])
    plan.volume_per_point_ml = "0.05"
    plan.save(update_fields=["volume_per_point_ml"])
    actor = actor_for(personas.practitioner)
    from tests.factories import sign_photo_consent

    sign_photo_consent(patient=patient)
    photo = photo_add(actor=actor, patient=patient, body_area_code="face", view="front",
                      raw=cv2.imencode(".jpg", synthetic_skin(600, 800))[1].tobytes())
    session = session_start(actor=actor, session=plan_book_proposed(actor=actor, plan=plan)[0])

    _staff_log_in(page, language, personas.practitioner.user.email)
    page.goto(f"/sessions/{session.pk}/")
    # The form starts from the plan's volume per point.
    assert page.locator("#id_volume_ml").input_value() == ("0,05" if language == "fr"
                                                           else "0.05")
    assert words["per point"] in page.locator("#plan-per-point").inner_text()
    # A point on the right profile, in the zone under the click.
    page.get_by_role("tab", name=words["profile"]).click()
    profile = page.locator('svg.chartmap[data-map="face-right"]')
    profile.locator('[data-zone="cheek-right"]').click()
    page.locator("#id_lot").select_option(str(lot.pk))
    page.locator("#chart-add").click()
    page.wait_for_url(f"**/sessions/{session.pk}/#chart")
    assert words["cheek"] in page.locator("table.list").inner_text()
    assert page.locator('svg.chartmap[data-map="face-right"] g.point').count() == 1
    shot(page, f"lang-{language}-{width}-chart-profile")
    assert _fits(page), "the session page is wider than the screen"
    # A point on the patient's own photo: a click where it is, then its zone.
    page.locator(f'.maptab[data-map="photo-{photo.pk}"]').click()
    on_photo = page.locator(f'svg.chartmap[data-photo="{photo.pk}"]')
    on_photo.wait_for()
    box = on_photo.bounding_box()
    on_photo.click(position={"x": box["width"] * 0.3, "y": box["height"] * 0.55})
    assert page.locator("#id_photo").input_value() == str(photo.pk)
    page.locator("#id_zone").select_option("cheek-right")
    page.locator("#chart-add").click()
    page.wait_for_url(f"**/sessions/{session.pk}/#chart")
    assert words["on photo"] in page.locator("table.list").inner_text()
    page.locator(f'.maptab[data-map="photo-{photo.pk}"]').click()
    assert on_photo.locator("g.point").count() == 1
    assert _fits(page), "the photo chart is wider than the screen"
    shot(page, f"lang-{language}-{width}-chart-photo")
    # A mistake is said in words, in the reader's language, and the choices stay.
    page.get_by_role("tab", name=words["profile"]).click()
    page.locator("#id_volume_ml").fill("a lot")
    page.locator("#chart-add").click()
    alert = page.locator("#chart-form .alert")
    alert.wait_for()
    assert alert.inner_text().strip() == words["number"]
    assert page.locator("#id_lot").input_value() == str(lot.pk)
    shot(page, f"lang-{language}-{width}-chart-mistake")

    # The patient's link, emailed from the record, with its QR code.
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("button", name=words["link"]).click()
    page.get_by_text(words["on its way"]).wait_for()
    assert page.locator(".linkqr img").get_attribute("src").startswith("data:image/")
    assert _fits(page), "the link page is wider than the screen"
    shot(page, f"lang-{language}-{width}-patient-link")

    # A serious check-in answer, in the patient's language.
    session_finish(actor=actor, session=session, data=SessionCompleteIn())
    checkin = CheckIn.objects.filter(session=session).order_by("due_at").first()
    page.context.clear_cookies()
    page.goto(f"/c/{checkin_token(checkin)}/")
    page.locator("#f_sym").check()
    page.locator("#s_infection").check()
    page.locator("#id_severity").select_option("moderate")
    page.locator("button.primary[type=submit]").click()
    page.get_by_role("heading", name=words["call"]).wait_for()
    assert _fits(page), "the urgent answer is wider than the screen"
    shot(page, f"lang-{language}-{width}-checkin-urgent")
