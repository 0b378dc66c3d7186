"""Logging in and out, the second factor, lockout, idle sessions, choosing a clinic, tokens."""

import json
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from mesoclinic.core.models import Role, User
from tests.factories import PASSWORD, make_member


def current_code(user: User) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def let_throttling_pass(user: User) -> None:
    """A wrong code delays the next try (django-otp throttling); act as if time passed."""
    TOTPDevice.objects.filter(user=user).update(
        throttling_failure_timestamp=None, throttling_failure_count=0)


def log_in(client, email, password=PASSWORD):
    return client.post(reverse("login"), {"email": email, "password": password},
                       REMOTE_ADDR="198.51.100.4")


def test_passwords_are_hashed_with_argon2(settings, personas):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = personas.nurse.user
    user.set_password("a new long password")
    user.save()
    assert user.password.startswith("argon2$")


def test_a_practitioner_logs_in_and_lands_on_the_days_dashboard(client, personas):
    response = log_in(client, personas.practitioner.user.email)
    assert response.status_code == 302
    follow = client.get(response.url, follow=True)
    assert follow.redirect_chain[-1][0] == reverse("dashboard")
    assert "Patients flagged" in follow.content.decode()


def test_reception_logs_in_and_lands_on_the_desk(client, personas):
    log_in(client, personas.reception.user.email)
    follow = client.get(reverse("home"), follow=True)
    assert follow.redirect_chain[-1][0] == reverse("desk")
    assert "Today at the desk" in follow.content.decode()


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, personas):
    response = log_in(client, personas.practitioner.user.email, "wrong password")
    assert response.status_code == 400
    assert "The email or the password is wrong." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_five_failures_lock_the_account_even_with_the_right_password(client, personas):
    email = personas.nurse.user.email
    for _ in range(5):
        log_in(client, email, "wrong password")
    response = log_in(client, email)
    assert response.status_code == 429
    assert "locked" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_owner_must_enter_the_code_of_the_second_factor(client, personas):
    owner = personas.owner.user
    response = log_in(client, owner.email)
    assert response.url.startswith(reverse("login_verify"))
    assert client.get(reverse("patient_list")).url.startswith(reverse("login_verify"))

    refused = client.post(reverse("login_verify"), {"token": "000000"})
    assert refused.status_code == 400
    let_throttling_pass(owner)
    accepted = client.post(reverse("login_verify"), {"token": current_code(owner)})
    assert accepted.status_code == 302
    assert client.get(reverse("patient_list")).status_code == 200


def test_an_owner_without_a_second_factor_must_enrol_one_first(client, personas):
    new_owner = make_member(clinic=personas.clinic, role=Role.PRACTITIONER).user
    personas.clinic.memberships.filter(user=new_owner).update(role=Role.OWNER)
    response = log_in(client, new_owner.email)
    assert response.url == reverse("two_factor_setup")
    page = client.get(reverse("two_factor_setup"))
    assert "data:image/svg+xml;base64," in page.content.decode()
    assert not TOTPDevice.objects.filter(user=new_owner).exists()  # nothing saved on a GET
    code = f"{totp(bytes.fromhex(client.session['second_factor_key'])):06d}"
    assert client.post(reverse("two_factor_setup"), {"token": "000000"}).status_code == 400
    assert not TOTPDevice.objects.filter(user=new_owner).exists()  # nor for a wrong code
    assert client.post(reverse("two_factor_setup"), {"token": code}).status_code == 302
    assert TOTPDevice.objects.get(user=new_owner).confirmed
    assert client.get(reverse("patient_list")).status_code == 200


def test_staff_sessions_end_after_thirty_idle_minutes(client, personas, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    log_in(client, personas.reception.user.email)
    assert client.get(reverse("patient_list")).status_code == 200
    session = Session.objects.get()
    assert session.expire_date <= timezone.now() + timedelta(minutes=30, seconds=5)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("patient_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_logging_out_ends_the_session(client, personas):
    log_in(client, personas.reception.user.email)
    client.post(reverse("logout"))
    assert client.get(reverse("patient_list")).status_code == 302


def test_a_member_of_two_clinics_picks_one_and_sees_only_its_patients(client, personas):
    from tests.factories import make_patient

    user = personas.practitioner.user
    make_member(clinic=personas.other_clinic, role=Role.NURSE, user=user)
    make_patient(clinic=personas.clinic, last_name="Lyonnaise")
    make_patient(clinic=personas.other_clinic, last_name="Mancunian")
    log_in(client, user.email)
    response = client.get(reverse("patient_list"))
    assert response.url.startswith(reverse("choose_clinic"))
    choices = client.get(reverse("choose_clinic")).content.decode()
    assert "Clinique Bellecour" in choices and "Deansgate Skin Clinic" in choices

    client.post(reverse("choose_clinic"), {"clinic": personas.other_clinic.pk})
    listing = client.get(reverse("patient_list")).content.decode()
    assert "MANCUNIAN" in listing and "LYONNAISE" not in listing


def test_a_user_cannot_pick_a_clinic_they_do_not_belong_to(client, personas):
    log_in(client, personas.practitioner.user.email)
    client.post(reverse("choose_clinic"), {"clinic": personas.other_clinic.pk})
    assert client.session["clinic_id"] == personas.clinic.pk


def test_open_redirects_after_login_are_refused(client, personas):
    response = client.post(reverse("login") + "?next=https://evil.example/",
                           {"email": personas.nurse.user.email, "password": PASSWORD,
                            "next": "https://evil.example/"})
    assert "evil.example" not in response.url


# API tokens ------------------------------------------------------------------------------

TOKEN = "/api/v1/auth/token"


def ask_token(client, **body):
    return client.post(TOKEN, data=json.dumps(body), content_type="application/json")


def test_staff_obtain_a_token_and_use_it(client, personas):
    from tests.openapi import assert_matches_schema

    response = ask_token(client, email=personas.nurse.user.email, password=PASSWORD)
    assert response.status_code == 200
    assert_matches_schema(response, TOKEN, "post")
    assert response.json()["clinic"]["id"] == personas.clinic.pk
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
    assert me.json()["role"] == "nurse"


def test_a_token_request_with_a_wrong_password_is_a_401(client, personas):
    response = ask_token(client, email=personas.nurse.user.email, password="nope")
    assert response.status_code == 401


def test_an_owner_needs_the_one_time_code_for_a_token(client, personas):
    owner = personas.owner.user
    missing = ask_token(client, email=owner.email, password=PASSWORD)
    assert missing.status_code == 401 and missing.json()["code"] == "otp-required"
    wrong = ask_token(client, email=owner.email, password=PASSWORD, otp="000000")
    assert wrong.status_code == 401 and wrong.json()["code"] == "otp-invalid"
    let_throttling_pass(owner)
    good = ask_token(client, email=owner.email, password=PASSWORD, otp=current_code(owner))
    assert good.status_code == 200


def test_a_member_of_two_clinics_names_the_clinic_for_a_token(client, personas):
    user = personas.practitioner.user
    make_member(clinic=personas.other_clinic, role=Role.NURSE, user=user)
    ambiguous = ask_token(client, email=user.email, password=PASSWORD)
    assert ambiguous.status_code == 400 and ambiguous.json()["field"] == "clinic_id"
    chosen = ask_token(client, email=user.email, password=PASSWORD,
                       clinic_id=personas.other_clinic.pk)
    assert chosen.json()["role"] == "nurse"


def test_an_expired_token_is_refused(client, personas, api_headers):
    from mesoclinic.core.models import ApiToken

    headers = api_headers(personas.nurse)
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/me", **headers).status_code == 401


def test_a_deactivated_member_loses_api_access(client, personas, api_headers):
    headers = api_headers(personas.nurse)
    personas.nurse.is_active = False
    personas.nurse.save()
    assert client.get("/api/v1/me", **headers).status_code == 401


@pytest.mark.parametrize("body", ["{", '{"email": 3}', "[]"])
def test_a_malformed_token_request_is_a_clear_4xx(client, db, body):
    response = client.post(TOKEN, data=body, content_type="application/json")
    assert 400 <= response.status_code < 500


def test_healthz_checks_the_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_repeated_failed_token_requests_lock_the_account(client, personas):
    email = personas.nurse.user.email
    for _ in range(5):
        ask_token(client, email=email, password="wrong")
    response = ask_token(client, email=email, password=PASSWORD)
    assert response.status_code == 429
    assert response.json()["code"] == "locked-out"


def test_any_staff_member_can_turn_on_a_second_factor_from_the_menu(client, personas):
    log_in(client, personas.nurse.user.email)
    page = client.get(reverse("patient_list")).content.decode()
    assert f'href="{reverse("two_factor_setup")}"' in page
    setup = client.get(reverse("two_factor_setup"))
    assert "Scan this code" in setup.content.decode()
    key = bytes.fromhex(client.session["second_factor_key"])
    client.post(reverse("two_factor_setup"), {"token": f"{totp(key):06d}"})
    assert TOTPDevice.objects.get(user=personas.nurse.user).confirmed
    client.post(reverse("logout"))
    response = log_in(client, personas.nurse.user.email)
    assert response.url.startswith(reverse("login_verify"))  # now asked at every log-in


def test_an_api_request_goes_without_the_pages_session_and_user_layers(
        client, personas, api_headers):
    from tests.factories import make_patient

    client.cookies.load({"sessionid": "anything"})
    patient = make_patient(clinic=personas.clinic)
    response = client.get(f"/api/v1/patients/{patient.pk}",
                          **api_headers(personas.practitioner))
    assert response.status_code == 200
    assert "Cookie" not in response.get("Vary", "")  # no session was read
    assert not hasattr(response.wsgi_request, "session")
    assert not hasattr(response.wsgi_request, "user")
    page = client.get("/login/")
    assert hasattr(page.wsgi_request, "session") and hasattr(page.wsgi_request, "user")
