"""Owners manage their clinic's members, roles and mesotherapy qualifications."""

import pytest
from django.core import mail
from django.urls import reverse

from mesoclinic.core.models import AuditEvent, Membership, Role, User


@pytest.mark.parametrize("role", ["practitioner", "nurse", "reception"])
def test_only_owners_open_the_team_pages(client_as, personas, role):
    client = client_as(personas.of(role))
    assert client.get(reverse("member_list")).status_code == 403
    assert client.get(reverse("member_detail", args=[personas.nurse.pk])).status_code == 403


def test_an_owner_sees_the_team_with_qualifications(client_as, personas):
    body = client_as(personas.owner).get(reverse("member_list")).content.decode()
    assert personas.practitioner.user.full_name in body
    assert "verified" in body and "not verified" in body


def test_another_clinics_member_is_not_found(client_as, personas):
    response = client_as(personas.owner).get(
        reverse("member_detail", args=[personas.outsider.pk]))
    assert response.status_code == 404


def test_adding_a_new_person_emails_them_a_link_to_set_a_password(
        client_as, personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(personas.owner).post(reverse("member_list"), {
            "full_name": "Manon Roux", "email": "Manon.Roux@example.com", "role": "nurse"})
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="manon.roux@example.com")
    assert membership.role == Role.NURSE and membership.clinic == personas.clinic
    assert not membership.user.has_usable_password()
    assert len(mail.outbox) == 1
    assert "/account/password/" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="membership.create").exists()


def test_the_emailed_link_sets_the_password(client, personas, client_as,
                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client_as(personas.owner).post(reverse("member_list"), {
            "full_name": "Manon Roux", "email": "manon@example.com", "role": "nurse"})
    link = next(w for w in mail.outbox[0].body.split() if "/account/password/" in w)
    path = link.split("testserver", 1)[-1]
    client.logout()
    form = client.get(path, follow=True)
    new = "a sturdy passphrase 2026"
    client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert User.objects.get(email="manon@example.com").check_password(new)


def test_adding_someone_already_in_the_clinic_is_refused_clearly(client_as, personas):
    response = client_as(personas.owner).post(reverse("member_list"), {
        "full_name": "Again", "email": personas.nurse.user.email, "role": "nurse"})
    assert response.status_code == 400
    assert "already a member" in response.content.decode()


def test_bad_member_input_names_the_field(client_as, personas):
    response = client_as(personas.owner).post(reverse("member_list"), {
        "full_name": "", "email": "not-an-email", "role": "surgeon"})
    body = response.content.decode()
    assert response.status_code == 400
    for field in ["full_name", "email", "role"]:
        assert f'id="err_{field}"' in body


def test_an_owner_changes_a_role(client_as, personas):
    client_as(personas.owner).post(reverse("member_detail", args=[personas.nurse.pk]),
                                   {"form": "role", "role": "practitioner", "is_active": "on"})
    personas.nurse.refresh_from_db()
    assert personas.nurse.role == Role.PRACTITIONER


def test_the_last_owner_cannot_step_down(client_as, personas):
    response = client_as(personas.owner).post(
        reverse("member_detail", args=[personas.owner.pk]),
        {"form": "role", "role": "practitioner", "is_active": "on"})
    assert response.status_code == 400
    assert "at least one active owner" in response.content.decode()
    personas.owner.refresh_from_db()
    assert personas.owner.role == Role.OWNER


def test_verifying_a_qualification_records_who_when_and_the_certificate(client_as, personas):
    client_as(personas.owner).post(reverse("member_detail", args=[personas.nurse.pk]), {
        "form": "qualification", "verified": "on", "certificate_reference": "DIU-2024-118"})
    personas.nurse.refresh_from_db()
    assert personas.nurse.qualification_verified
    assert personas.nurse.qualification_certificate == "DIU-2024-118"
    assert personas.nurse.qualification_verified_by == personas.owner.user
    assert personas.nurse.qualification_verified_at is not None
    event = AuditEvent.objects.get(action="membership.qualification")
    assert event.detail["certificate_reference"] == "DIU-2024-118"


def test_a_qualification_is_not_verified_without_a_certificate_reference(client_as, personas):
    response = client_as(personas.owner).post(
        reverse("member_detail", args=[personas.nurse.pk]),
        {"form": "qualification", "verified": "on", "certificate_reference": ""})
    assert response.status_code == 400
    personas.nurse.refresh_from_db()
    assert not personas.nurse.qualification_verified


def test_reception_holds_no_qualification(client_as, personas):
    response = client_as(personas.owner).post(
        reverse("member_detail", args=[personas.reception.pk]),
        {"form": "qualification", "verified": "on", "certificate_reference": "X-1"})
    assert response.status_code == 400
    personas.reception.refresh_from_db()
    assert not personas.reception.qualification_verified


@pytest.mark.parametrize(("role", "status"), [("owner", 200), ("practitioner", 403),
                                              ("nurse", 403), ("reception", 403)])
def test_the_clinic_page_is_for_owners(client_as, personas, role, status):
    assert client_as(personas.of(role)).get(reverse("clinic_settings")).status_code == status


def test_another_clinic_cannot_be_managed_from_its_page(client_as, personas):
    body = client_as(personas.outsider).get(reverse("clinic_settings"))
    assert body.status_code == 403


def test_a_clinic_member_is_found_only_active_in_that_clinic(personas):
    from mesoclinic.core.selectors import clinic_member

    practitioner = personas.practitioner
    assert clinic_member(clinic_id=personas.clinic.pk,
                         user_id=practitioner.user_id) == practitioner
    assert clinic_member(clinic_id=personas.other_clinic.pk,
                         user_id=practitioner.user_id) is None
    assert clinic_member(clinic_id=personas.clinic.pk, user_id="not a number") is None
    practitioner.is_active = False
    practitioner.save()
    assert clinic_member(clinic_id=personas.clinic.pk, user_id=practitioner.user_id) is None
