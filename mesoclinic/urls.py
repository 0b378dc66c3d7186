from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from mesoclinic.aftercare import views as aftercare_views
from mesoclinic.api import api
from mesoclinic.booking import views as booking_views
from mesoclinic.catalog import views as catalog_views
from mesoclinic.chart import views as chart_views
from mesoclinic.consultation import views as consult_views
from mesoclinic.core import views as core_views
from mesoclinic.courses import views as course_views
from mesoclinic.fhir import views as fhir_views
from mesoclinic.inventory import views as inventory_views
from mesoclinic.outcomes import views as outcome_views
from mesoclinic.patients import views as patient_views

urlpatterns = [
    # First: every API request is resolved against the patterns in order, and no page
    # lives under api/v1/.
    path("api/v1/", api.urls),
    re_path(r"^fhir/r4/(?P<path>.*)$", fhir_views.endpoint, name="fhir"),
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("login/", core_views.login_view, name="login"),
    path("login/verify/", core_views.login_verify, name="login_verify"),
    path("logout/", core_views.logout_view, name="logout"),
    path("language/", core_views.language_switch, name="language_switch"),
    path("account/two-factor/", core_views.two_factor_setup, name="two_factor_setup"),
    path(
        "account/password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="auth/password_set.html", success_url="/account/password/done/"
        ),
        name="password_reset_confirm",
    ),
    path(
        "account/password/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="auth/password_done.html"),
        name="password_reset_complete",
    ),
    path("clinic/choose/", core_views.choose_clinic, name="choose_clinic"),
    path("clinic/", core_views.clinic_settings, name="clinic_settings"),
    path("clinic/members/", core_views.member_list, name="member_list"),
    path("clinic/members/<int:membership_id>/", core_views.member_detail, name="member_detail"),
    path("clinic/audit/", core_views.audit_trail, name="audit_trail"),
    path("patients/", patient_views.patient_list, name="patient_list"),
    path("patients/new/", patient_views.patient_new, name="patient_new"),
    path("patients/<int:patient_id>/", chart_views.patient_detail, name="patient_detail"),
    path("patients/<int:patient_id>/edit/", patient_views.patient_edit, name="patient_edit"),
    path("patients/<int:patient_id>/intake/", consult_views.intake_page, name="intake_page"),
    path("patients/<int:patient_id>/intake/link/", consult_views.intake_link,
         name="intake_link"),
    path("patients/<int:patient_id>/intake/links/<int:link_id>/revoke/",
         consult_views.intake_link_revoke, name="intake_link_revoke"),
    path("patients/<int:patient_id>/intake/<int:intake_id>/reviewed/",
         consult_views.intake_mark_reviewed, name="intake_reviewed"),
    path("patients/<int:patient_id>/consents/sign/", consult_views.consent_sign_page,
         name="consent_sign"),
    path("patients/<int:patient_id>/consents/<int:consent_id>/pdf/",
         consult_views.consent_download, name="consent_pdf"),
    path("patients/<int:patient_id>/consents/<int:consent_id>/withdraw/",
         consult_views.consent_withdraw_view, name="consent_withdraw"),
    path("patients/<int:patient_id>/photos/", chart_views.photo_upload, name="photo_upload"),
    path("photos/<int:photo_id>/<str:size>/", consult_views.photo_file, name="photo_file"),
    path("patients/<int:patient_id>/allergy-tests/new/", consult_views.allergy_test_new,
         name="allergy_test_new"),
    path("patients/<int:patient_id>/allergy-tests/<int:test_id>/read/",
         consult_views.allergy_test_read_page, name="allergy_test_read"),
    path("patients/<int:patient_id>/checklist/", consult_views.checklist_page,
         name="checklist"),
    path("patients/<int:patient_id>/checklist/override/", consult_views.checklist_override,
         name="checklist_override"),
    path("patients/<int:patient_id>/plans/new/", course_views.plan_new, name="plan_new"),
    path("patients/<int:patient_id>/timeline/", chart_views.timeline, name="timeline"),
    path("patients/<int:patient_id>/summary.pdf", chart_views.summary_pdf, name="summary_pdf"),
    path("patients/<int:patient_id>/record.fhir.json", chart_views.record_fhir,
         name="record_fhir"),
    path("plans/<int:plan_id>/", course_views.plan_detail, name="plan_detail"),
    path("plans/<int:plan_id>/book/", course_views.plan_book, name="plan_book"),
    path("plans/<int:plan_id>/improvement/", course_views.plan_improvement,
         name="plan_improvement"),
    path("plans/<int:plan_id>/template/", course_views.plan_save_template,
         name="plan_save_template"),
    path("sessions/<int:session_id>/", course_views.session_detail, name="session_detail"),
    path("sessions/<int:session_id>/move/", course_views.session_move_view,
         name="session_move"),
    path("sessions/<int:session_id>/start/", course_views.session_start_view,
         name="session_start"),
    path("sessions/<int:session_id>/chart/", course_views.session_chart, name="session_chart"),
    path("injections/<int:injection_id>/remove/", course_views.injection_remove_view,
         name="injection_remove"),
    path("sessions/<int:session_id>/complete/", course_views.session_complete_view,
         name="session_complete"),
    path("sessions/<int:session_id>/missed/", course_views.session_missed_view,
         name="session_missed"),
    path("dashboard/", aftercare_views.dashboard, name="dashboard"),
    path("sessions/<int:session_id>/aftercare/", aftercare_views.session_aftercare,
         name="session_aftercare"),
    path("sessions/<int:session_id>/aftercare.pdf", aftercare_views.session_aftercare_pdf,
         name="session_aftercare_pdf"),
    path("clinic/aftercare/", aftercare_views.clinic_aftercare, name="clinic_aftercare"),
    path("c/<str:token>/", aftercare_views.public_checkin, name="public_checkin"),
    path("patients/<int:patient_id>/adverse-events/new/", aftercare_views.adverse_event_new,
         name="adverse_event_new"),
    path("adverse-events/<int:event_id>/", aftercare_views.adverse_event_detail,
         name="adverse_event_detail"),
    path("patients/<int:patient_id>/measurements/", outcome_views.measurement_new,
         name="measurement_new"),
    path("patients/<int:patient_id>/compare/", outcome_views.comparison_new,
         name="comparison_new"),
    path("comparisons/<int:comparison_id>/", outcome_views.comparison_detail,
         name="comparison_detail"),
    path("comparisons/<int:comparison_id>/aligned.jpg", outcome_views.comparison_aligned,
         name="comparison_aligned"),
    path("clinic/analytics/", outcome_views.analytics, name="analytics"),
    path("clinic/analytics/registry.csv", outcome_views.registry_export,
         name="registry_export"),
    path("clinic/lots/<int:lot_id>/", course_views.lot_detail, name="lot_detail"),
    path("clinic/products/", inventory_views.product_list, name="product_list"),
    path("clinic/consents/", consult_views.consent_texts, name="consent_texts"),
    path("p/<str:token>/", consult_views.public_intake, name="public_intake"),
    path("p/<str:token>/consent/", consult_views.public_consent, name="public_consent"),
    path("find/", booking_views.find, name="find"),
    path("find/places.json", booking_views.place_suggestions, name="place_suggestions"),
    path("clinics/<slug:slug>/", booking_views.clinic_page, name="clinic_page"),
    path("clinics/<slug:slug>/book/", booking_views.book, name="book"),
    path("booking/<str:token>/", booking_views.manage_booking, name="manage_booking"),
    path("desk/", booking_views.desk, name="desk"),
    path("appointments/<int:appointment_id>/status/", booking_views.appointment_status,
         name="appointment_status"),
    path("calendar/", booking_views.staff_calendar, name="staff_calendar"),
    path("appointments/<int:appointment_id>/", booking_views.staff_appointment,
         name="staff_appointment"),
    path("patients/<int:patient_id>/book/", booking_views.staff_book, name="staff_book"),
    path("clinic/availability/", booking_views.availability, name="availability"),
    path("account/calendar-feed/", booking_views.calendar_feed, name="calendar_feed"),
    path("feeds/<str:key>.ics", booking_views.feed, name="feed"),
    path("catalogue/", catalog_views.catalogue_index, name="catalogue"),
    path("catalogue/<slug:slug>/", catalog_views.catalogue_section, name="catalogue_section"),
]

handler404 = "mesoclinic.core.views.not_found"
handler403 = "mesoclinic.core.views.forbidden"
handler500 = "mesoclinic.core.views.server_error"
