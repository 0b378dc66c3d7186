"""Billing as the desk uses it: a package sold and its credits used by completed sessions,
invoices numbered without gaps in the clinic's year, payments never above what is owed,
credit notes that leave the invoice untouched, fees for no-shows and late cancellations
(waived only with a reason), a package ended early, and the deposit an online booking
asks for."""

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connections

from mesoclinic.billing.models import (
    CreditUse,
    Deposit,
    Fee,
    Invoice,
    InvoiceLine,
    PackageStatus,
    Payment,
)
from mesoclinic.billing.schemas import (
    CreditNoteIn,
    ManualInvoiceIn,
    PackageEndIn,
    PackageSaleIn,
    PaymentIn,
)
from mesoclinic.billing.selectors import patient_account, patient_balance
from mesoclinic.billing.services import (
    credit_note_issue,
    fee_waive,
    invoice_issue_for_care,
    invoice_issue_manual,
    package_end,
    package_sell,
    payment_record,
)
from mesoclinic.booking.services import appointment_cancel, appointment_status_set
from mesoclinic.core.audit import audit_seal
from mesoclinic.core.errors import Conflict, Forbidden, InvalidInput
from mesoclinic.core.models import AuditEvent
from tests.factories import (
    actor_for,
    book_for,
    complete_next_session,
    make_clinic,
    make_patient,
    make_price,
    open_clinic_for_booking,
    owner_membership,
    ready_patient,
    set_billing_policy,
)

pytestmark = pytest.mark.usefixtures("database_tasks")


def pay(actor, patient, amount, **fields):
    return payment_record(actor=actor, patient=patient, data=PaymentIn(
        amount=Decimal(amount), method=fields.pop("method", "card"), **fields))


def manual_invoice(actor, patient, *amounts):
    return invoice_issue_manual(actor=actor, patient=patient, data=ManualInvoiceIn(lines=[
        {"description": f"Item {n}", "quantity": 1, "unit_price": a, "vat_rate": "20"}
        for n, a in enumerate(amounts, 1)]))


@pytest.fixture
def course(personas, catalogue, clock):
    patient, _product, _lot, plan = ready_patient(clinic=personas.clinic, clock=clock,
                                                  practitioner=personas.practitioner)
    return {"patient": patient, "plan": plan}


def test_a_sold_package_is_invoiced_and_each_completed_session_uses_one_credit(
        personas, course, clock):
    desk = actor_for(personas.reception)
    item = make_price(clinic=personas.clinic, name="Face course", price="600", sessions=6)
    package = package_sell(actor=desk, patient=course["patient"], data=PackageSaleIn(
        price=item.pk, plan=course["plan"].pk, instalments=3))
    invoice = Invoice.objects.get(package=package)
    assert invoice.total == Decimal("600.00") and invoice.vat == Decimal("100.00")
    assert [i.amount for i in package.instalments.all()] == [Decimal("200.00")] * 3

    complete_next_session(plan=course["plan"], member=personas.practitioner, clock=clock)
    complete_next_session(plan=course["plan"], member=personas.practitioner, clock=clock)

    account = patient_account(actor=desk, patient=course["patient"])
    [view] = account.packages
    assert (view.used, view.left) == (2, 4)
    assert CreditUse.objects.filter(package=package).count() == 2
    assert sum(CreditUse.objects.values_list("value", flat=True)) == Decimal("200.00")
    assert account.balance == Decimal("600.00")
    assert AuditEvent.objects.filter(action="package.credit").count() == 2


def test_a_completed_session_without_a_package_uses_no_credit_and_is_invoiced_at_its_price(
        personas, course, clock):
    make_price(clinic=personas.clinic, kind="treatment", name="Rejuvenation session",
               price="95", indication="facial-rejuvenation")
    session = complete_next_session(plan=course["plan"], member=personas.practitioner,
                                    clock=clock)
    assert not CreditUse.objects.exists()
    desk = actor_for(personas.reception)
    invoice = invoice_issue_for_care(actor=desk, session=session)
    [line] = invoice.lines.all()
    assert (line.total, line.practitioner_id) == (Decimal("95.00"),
                                                  personas.practitioner.user_id)
    with pytest.raises(Conflict):  # invoiced once
        invoice_issue_for_care(actor=desk, session=session)


def test_a_session_paid_by_a_package_credit_is_not_invoiced_again(personas, course, clock):
    desk = actor_for(personas.reception)
    item = make_price(clinic=personas.clinic, price="600", sessions=6)
    package_sell(actor=desk, patient=course["patient"], data=PackageSaleIn(price=item.pk))
    session = complete_next_session(plan=course["plan"], member=personas.practitioner,
                                    clock=clock)
    with pytest.raises(Conflict) as refused:
        invoice_issue_for_care(actor=desk, session=session)
    assert refused.value.code == "package-credit"


def test_payments_never_exceed_what_is_owed_and_refunds_never_what_was_paid(personas):
    desk = actor_for(personas.reception)
    patient = make_patient(clinic=personas.clinic)
    invoice = manual_invoice(desk, patient, "150.00")
    pay(desk, patient, "50.00", invoice=invoice.pk, method="cash")
    with pytest.raises(InvalidInput) as refused:
        pay(desk, patient, "100.01", invoice=invoice.pk)
    assert "Only 100.00 is owed here" in refused.value.message
    assert patient_balance(patient_id=patient.pk, clinic_id=personas.clinic.pk) == 100
    with pytest.raises(InvalidInput):
        pay(desk, patient, "60.00", invoice=invoice.pk, refund=True)
    refund = pay(desk, patient, "20.00", invoice=invoice.pk, refund=True)
    assert refund.amount == Decimal("-20.00")
    assert patient_balance(patient_id=patient.pk, clinic_id=personas.clinic.pk) == 120
    assert Payment.objects.count() == 2  # the refused ones left nothing behind


def test_only_reception_and_owners_take_money(personas):
    patient = make_patient(clinic=personas.clinic)
    for role in ("practitioner", "nurse"):
        with pytest.raises(Forbidden):
            manual_invoice(actor_for(personas.of(role)), patient, "10.00")
    assert not Invoice.objects.exists()


def test_a_credit_note_corrects_an_invoice_that_never_changes(personas):
    desk = actor_for(personas.reception)
    patient = make_patient(clinic=personas.clinic)
    invoice = manual_invoice(desk, patient, "100.00", "50.00")
    part = credit_note_issue(actor=desk, invoice=invoice,
                             data=CreditNoteIn(reason="Discount agreed", amount="30.00"))
    assert (part.total, part.corrects_id, part.kind) == (Decimal("-30.00"), invoice.pk,
                                                         "credit_note")
    with pytest.raises(InvalidInput) as refused:
        credit_note_issue(actor=desk, invoice=invoice,
                          data=CreditNoteIn(reason="Again", amount="120.01"))
    assert "At most 120.00" in refused.value.message
    rest = credit_note_issue(actor=desk, invoice=invoice, data=CreditNoteIn(reason="Void"))
    assert rest.total == Decimal("-120.00")
    invoice.refresh_from_db()
    assert invoice.total == Decimal("150.00")
    assert InvoiceLine.objects.filter(invoice=invoice).count() == 2
    assert [i.sequence for i in Invoice.objects.order_by("sequence")] == [1, 2, 3]
    assert patient_balance(patient_id=patient.pk, clinic_id=personas.clinic.pk) == 0


def test_a_no_show_adds_the_clinics_fee_which_reception_waives_only_with_a_reason(
        personas, catalogue, clock):
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    set_billing_policy(clinic=personas.clinic, no_show_fee="40.00", late_cancel_fee="25.00")
    patient = make_patient(clinic=personas.clinic)
    appointment = book_for(patient=patient, member=personas.practitioner, days_ahead=1)
    clock.current = appointment.starts_at + timedelta(minutes=20)
    desk = actor_for(personas.reception)
    appointment_status_set(actor=desk, appointment=appointment, status="no_show")
    fee = Fee.objects.get(appointment=appointment)
    assert (fee.kind, fee.amount) == ("no_show", Decimal("40.00"))
    assert patient_balance(patient_id=patient.pk, clinic_id=personas.clinic.pk) == 40
    with pytest.raises(InvalidInput):
        fee_waive(actor=desk, fee=fee, reason="  ")
    fee_waive(actor=desk, fee=fee, reason="Flat tyre, called ahead")
    assert patient_balance(patient_id=patient.pk, clinic_id=personas.clinic.pk) == 0
    with pytest.raises(InvalidInput):
        pay(desk, patient, "40.00", fee=fee.pk)
    assert Fee.objects.get().waive_reason == "Flat tyre, called ahead"


def test_a_late_cancellation_by_the_patient_is_charged_and_one_by_the_clinic_is_not(
        personas, catalogue, clock):
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    set_billing_policy(clinic=personas.clinic, late_cancel_fee="25.00")
    patient = make_patient(clinic=personas.clinic)
    by_patient = book_for(patient=patient, member=personas.practitioner, days_ahead=1)
    by_clinic = book_for(patient=patient, member=personas.practitioner, days_ahead=1, index=3)
    early = book_for(patient=patient, member=personas.practitioner, days_ahead=5)
    clock.current = by_patient.starts_at - timedelta(hours=3)
    appointment_cancel(appointment=by_patient, by="patient")
    appointment_cancel(appointment=by_clinic, by="clinic")
    appointment_cancel(appointment=early, by="patient")
    assert [(f.appointment_id, f.kind, f.amount) for f in Fee.objects.all()] == [
        (by_patient.pk, "late_cancel", Decimal("25.00"))]


def test_without_a_policy_a_no_show_costs_nothing(personas, catalogue, clock):
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    appointment = book_for(patient=make_patient(clinic=personas.clinic),
                           member=personas.practitioner)
    clock.current = appointment.starts_at + timedelta(minutes=20)
    appointment_status_set(actor=actor_for(personas.reception), appointment=appointment,
                           status="no_show")
    assert not Fee.objects.exists()


@pytest.mark.parametrize("policy,refunded,balance", [("refund", "-400.00", "0.00"),
                                                      ("account", None, "-400.00")])
def test_a_package_ended_early_credits_its_unused_sessions_by_the_clinics_policy(
        personas, course, clock, policy, refunded, balance):
    set_billing_policy(clinic=personas.clinic, termination=policy)
    desk = actor_for(personas.reception)
    item = make_price(clinic=personas.clinic, price="600", sessions=6)
    package = package_sell(actor=desk, patient=course["patient"],
                           data=PackageSaleIn(price=item.pk, plan=course["plan"].pk))
    invoice = Invoice.objects.get(package=package)
    pay(desk, course["patient"], "600.00", invoice=invoice.pk)
    complete_next_session(plan=course["plan"], member=personas.practitioner, clock=clock)
    complete_next_session(plan=course["plan"], member=personas.practitioner, clock=clock)
    package_end(actor=desk, package=package, data=PackageEndIn(reason="Moving abroad",
                                                               refund_method="transfer"))
    package.refresh_from_db()
    assert package.status == PackageStatus.ENDED
    note = Invoice.objects.get(corrects=invoice)
    assert note.total == Decimal("-400.00")
    refunds = list(Payment.objects.filter(refund=True).values_list("amount", flat=True))
    assert refunds == ([Decimal(refunded)] if refunded else [])
    assert patient_balance(patient_id=course["patient"].pk,
                           clinic_id=personas.clinic.pk) == Decimal(balance)
    # No credit is used after the end.
    complete_next_session(plan=course["plan"], member=personas.practitioner, clock=clock)
    assert CreditUse.objects.count() == 2


def test_numbers_follow_the_clinics_year_just_after_its_new_year(db, clock):
    clinic = make_clinic(name="Ponsonby Skin", city="Auckland",
                         timezone_name="Pacific/Auckland")
    desk = actor_for(owner_membership(clinic))
    patient = make_patient(clinic=clinic)
    # 00:10 on 1 January 2027 in Auckland is still 31 December 2026 in UTC.
    clock.current = datetime(2026, 12, 31, 11, 10, tzinfo=UTC)
    invoice = manual_invoice(desk, patient, "80.00")
    assert (invoice.year, invoice.number) == (2027, "2027-00001")
    clock.current -= timedelta(minutes=20)  # 23:50 on 31 December, clinic time
    assert manual_invoice(desk, patient, "80.00").number == "2026-00001"


def test_every_write_is_audited_against_its_patient(personas):
    desk = actor_for(personas.reception)
    patient = make_patient(clinic=personas.clinic)
    invoice = manual_invoice(desk, patient, "150.00")
    pay(desk, patient, "150.00", invoice=invoice.pk)
    credit_note_issue(actor=desk, invoice=invoice, data=CreditNoteIn(reason="Wrong patient"))
    audit_seal()
    actions = set(AuditEvent.objects.filter(patient_id=patient.pk)
                  .values_list("action", flat=True))
    assert {"invoice.issue", "payment.record", "credit_note.issue"} <= actions


@pytest.mark.django_db(transaction=True)
def test_invoices_issued_at_once_are_numbered_without_gap_or_repeat(personas):
    writers, each = 8, 5
    desk = actor_for(personas.reception)
    patients = [make_patient(clinic=personas.clinic) for _ in range(writers)]
    barrier = threading.Barrier(writers)
    errors: list[Exception] = []

    def issue(index: int) -> None:
        try:
            barrier.wait()
            for _ in range(each):
                manual_invoice(desk, patients[index], "10.00")
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    numbers = sorted(Invoice.objects.values_list("sequence", flat=True))
    assert numbers == list(range(1, writers * each + 1))


def test_an_online_booking_asks_the_deposit_of_the_clinics_policy(personas, catalogue,
                                                                  client):
    from tests.test_booking import book_online, next_free

    open_clinic_for_booking(personas.clinic, personas.practitioner)
    set_billing_policy(clinic=personas.clinic, deposit_percent="50")
    from mesoclinic.booking.models import AppointmentType

    AppointmentType.objects.filter(clinic=personas.clinic, kind="consultation").update(
        price="60")
    [slot, *_rest], _type = next_free(personas)
    response = book_online(client, personas, slot.starts_at)
    assert response.status_code == 302
    deposit = Deposit.objects.get()
    assert (deposit.amount, deposit.status, deposit.provider) == (Decimal("30.00"), "due",
                                                                  "clinic")


class FakeCardProvider:
    """A card provider's adapter, written as one would be: registered, and named in the
    clinic's policy; booking is not touched."""

    code = "fakecard"
    label = "Fake card"
    secret = b"test-secret"

    def start(self, request):
        from mesoclinic.billing.providers import PaymentStart

        return PaymentStart(provider_reference=f"ch_{request.reference}",
                            redirect_url=f"https://pay.example.test/{request.reference}")

    def confirmation(self, *, body, headers):
        import hashlib
        import hmac
        import json

        from mesoclinic.billing.providers import Confirmation

        expected = hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("X-Signature", "")):
            return None
        event = json.loads(body)
        return Confirmation(provider_reference=event["charge"],
                            amount=Decimal(event["amount"]))


def test_a_card_providers_adapter_takes_the_deposit_online_without_touching_booking(
        personas, catalogue, client, monkeypatch):
    import hashlib
    import hmac
    import json

    from mesoclinic.billing import providers
    from mesoclinic.booking.selectors import manage_token
    from tests.test_booking import book_online, next_free

    monkeypatch.setitem(providers.PROVIDERS, FakeCardProvider.code, FakeCardProvider())
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    set_billing_policy(clinic=personas.clinic, deposit_amount="25", provider="fakecard")
    [slot, *_rest], _type = next_free(personas)
    book_online(client, personas, slot.starts_at)
    deposit = Deposit.objects.get()
    assert (deposit.provider, deposit.payment_url) == (
        "fakecard", f"https://pay.example.test/deposit-{deposit.pk}")
    page = client.get(f"/booking/{manage_token(deposit.appointment)}/").content.decode()
    assert f'href="https://pay.example.test/deposit-{deposit.pk}"' in page

    body = json.dumps({"charge": f"ch_deposit-{deposit.pk}", "amount": "25.00"}).encode()
    signature = hmac.new(FakeCardProvider.secret, body, hashlib.sha256).hexdigest()
    forged = client.post("/billing/providers/fakecard/notify", body,
                         content_type="application/json", HTTP_X_SIGNATURE="0" * 64)
    assert forged.status_code == 400
    for _twice in range(2):  # a provider may notify more than once
        answer = client.post("/billing/providers/fakecard/notify", body,
                             content_type="application/json", HTTP_X_SIGNATURE=signature)
        assert answer.status_code == 200
    [payment] = Payment.objects.all()
    assert (payment.method, payment.amount, payment.deposit_id) == ("online",
                                                                    Decimal("25.00"),
                                                                    deposit.pk)
    deposit.refresh_from_db()
    assert deposit.status == "paid"
    assert client.post("/billing/providers/nosuch/notify", b"{}",
                       content_type="application/json").status_code == 404


def test_the_cash_up_and_instalments_follow_the_clinics_day_just_after_its_midnight(
        db, clock):
    from datetime import date

    from mesoclinic.billing.selectors import cash_up

    clinic = make_clinic(name="Ponsonby Skin", city="Auckland",
                         timezone_name="Pacific/Auckland")
    desk = actor_for(owner_membership(clinic))
    patient = make_patient(clinic=clinic)
    clock.current = datetime(2026, 12, 30, 11, 5, tzinfo=UTC)  # 00:05 on 31 December there
    item = make_price(clinic=clinic, price="300", sessions=3)
    package = package_sell(actor=desk, patient=patient,
                           data=PackageSaleIn(price=item.pk, instalments=3))
    assert [i.due_on for i in package.instalments.all()] == [
        date(2026, 12, 31), date(2027, 1, 31), date(2027, 2, 28)]
    pay(desk, patient, "100.00", invoice=Invoice.objects.get(package=package).pk)
    assert cash_up(actor=desk, day=date(2026, 12, 31)).takings == Decimal("100.00")
    assert cash_up(actor=desk, day=date(2026, 12, 30)).takings == 0
    # The first instalment is paid; the second is due, not overdue, on its own day.
    clock.current = datetime(2027, 1, 30, 11, 5, tzinfo=UTC)  # 00:05 on 31 January there
    states = [v.state for v in patient_account(actor=desk, patient=patient).packages[0]
              .instalments]
    assert states == ["paid", "due", "due"]
    clock.current += timedelta(days=1)  # 00:05 on 1 February: the second is late
    states = [v.state for v in patient_account(actor=desk, patient=patient).packages[0]
              .instalments]
    assert states == ["paid", "overdue", "due"]


def test_each_later_instalment_is_reminded_three_days_before_unless_paid(personas, clock):
    from datetime import date

    from django.core import mail
    from django_tasks_db.models import DBTaskResult

    from mesoclinic.billing.models import Instalment
    from mesoclinic.billing.services import instalment_reminder_send

    clinic = personas.clinic  # Europe/Paris
    clock.current = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # 00:30 on 1 December there
    desk = actor_for(personas.reception)
    patient = make_patient(clinic=clinic, email="zoe@example.com", language="fr")
    item = make_price(clinic=clinic, name="Cure cellulite", price="600", sessions=6)
    package = package_sell(actor=desk, patient=patient,
                           data=PackageSaleIn(price=item.pk, instalments=3))
    queued = DBTaskResult.objects.filter(task_path__endswith="send_instalment_reminder")
    # 09:00 in Paris (08:00 UTC in winter), three days before 1 January and 1 February.
    assert sorted(r.run_after for r in queued) == [
        datetime(2026, 12, 29, 8, tzinfo=UTC), datetime(2027, 1, 29, 8, tzinfo=UTC)]
    second, third = Instalment.objects.filter(package=package, number__gt=1)
    assert second.due_on == date(2027, 1, 1)

    invoice = Invoice.objects.get(package=package)
    pay(desk, patient, "250.00", invoice=invoice.pk)  # the first, and part of the second
    assert instalment_reminder_send(instalment_id=second.pk)
    message = mail.outbox[-1]
    assert message.to == ["zoe@example.com"]
    assert message.subject.startswith("Votre échéance du 1 ") and "2027" in message.subject
    assert "150,00" in message.body  # what is left to pay on it
    pay(desk, patient, "150.00", invoice=invoice.pk)
    assert not instalment_reminder_send(instalment_id=second.pk)  # paid since
    package_end(actor=desk, package=package, data=PackageEndIn(reason="Stopped"))
    assert not instalment_reminder_send(instalment_id=third.pk)  # the package ended


def test_a_package_ended_after_a_discount_credits_its_unused_share_of_the_corrected_price(
        personas, course, clock):
    desk = actor_for(personas.reception)
    item = make_price(clinic=personas.clinic, price="600", sessions=6)
    package = package_sell(actor=desk, patient=course["patient"],
                           data=PackageSaleIn(price=item.pk, plan=course["plan"].pk))
    invoice = Invoice.objects.get(package=package)
    credit_note_issue(actor=desk, invoice=invoice,
                      data=CreditNoteIn(reason="Loyalty discount", amount="50"))
    complete_next_session(plan=course["plan"], member=personas.practitioner, clock=clock)
    package_end(actor=desk, package=package, data=PackageEndIn(reason="Moving away"))
    # Five unused sessions of the price as corrected, 550.00: 458.33.
    assert sorted(Invoice.objects.filter(corrects=invoice).values_list("total", flat=True)) \
        == [Decimal("-458.33"), Decimal("-50.00")]
    package = package_sell(actor=desk, patient=course["patient"],
                           data=PackageSaleIn(price=item.pk))
    second = Invoice.objects.get(package=package)
    credit_note_issue(actor=desk, invoice=second,
                      data=CreditNoteIn(reason="Agreed price", amount="580"))
    package_end(actor=desk, package=package, data=PackageEndIn(reason="Changed her mind"))
    # Six unused sessions of the price as corrected, 20.00: all of it.
    assert sorted(Invoice.objects.filter(corrects=second).values_list("total", flat=True)) \
        == [Decimal("-580.00"), Decimal("-20.00")]
    assert patient_balance(patient_id=course["patient"].pk,
                           clinic_id=personas.clinic.pk) == Decimal("91.67")
