from django.contrib.auth import views as auth_views
from django.urls import path

from mesoclinic.api import api
from mesoclinic.catalog import views as catalog_views
from mesoclinic.core import views as core_views
from mesoclinic.patients import views as patient_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("login/", core_views.login_view, name="login"),
    path("login/verify/", core_views.login_verify, name="login_verify"),
    path("logout/", core_views.logout_view, name="logout"),
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
    path("clinic/members/", core_views.member_list, name="member_list"),
    path("clinic/members/<int:membership_id>/", core_views.member_detail, name="member_detail"),
    path("clinic/audit/", core_views.audit_trail, name="audit_trail"),
    path("patients/", patient_views.patient_list, name="patient_list"),
    path("patients/new/", patient_views.patient_new, name="patient_new"),
    path("patients/<int:patient_id>/", patient_views.patient_detail, name="patient_detail"),
    path("patients/<int:patient_id>/edit/", patient_views.patient_edit, name="patient_edit"),
    path("catalogue/", catalog_views.catalogue_index, name="catalogue"),
    path("catalogue/<slug:slug>/", catalog_views.catalogue_section, name="catalogue_section"),
    path("api/v1/", api.urls),
]

handler404 = "mesoclinic.core.views.not_found"
handler403 = "mesoclinic.core.views.forbidden"
handler500 = "mesoclinic.core.views.server_error"
