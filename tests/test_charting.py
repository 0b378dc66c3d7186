"""Charting fit for daily use: anatomical maps with named zones, charting on the patient's
own baseline photo, and a form that starts from the plan's volume and depth per point."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from mesoclinic.consultation.services import photo_add
from mesoclinic.core.errors import InvalidInput, NotFound
from mesoclinic.courses.models import Injection
from mesoclinic.courses.services import plan_book_proposed, session_start
from mesoclinic.courses.zones import MAPS
from tests.factories import actor_for, make_patient, ready_patient, sign_photo_consent
from tests.openapi import assert_matches_schema
from tests.test_courses import chart

MAP_CODES = ["face", "face-right", "face-left", "scalp", "body-front", "body-back"]


@pytest.fixture(autouse=True)
def photos_in_tmp(settings, tmp_path):
    settings.PHOTO_ROOT = tmp_path / "photos"


@pytest.fixture
def charting(personas, clock):
    patient, _product, lot, plan = ready_patient(clinic=personas.clinic, clock=clock,
                                                practitioner=personas.practitioner)
    actor = actor_for(personas.practitioner)
    session = session_start(actor=actor, session=plan_book_proposed(actor=actor,
                                                                      plan=plan)[0])
    return {"patient": patient, "lot": lot, "plan": plan, "session": session}


def face_photo(personas, patient, size=(600, 800)):
    import io

    buffer = io.BytesIO()
    Image.new("RGB", size, (214, 170, 140)).save(buffer, "JPEG")
    sign_photo_consent(patient=patient)
    return photo_add(actor=actor_for(personas.practitioner), patient=patient,
                     body_area_code="face", view="front", raw=buffer.getvalue())


# The maps ----------------------------------------------------------------------------


def test_there_are_six_anatomical_maps_each_with_named_zones():
    assert list(MAPS) == MAP_CODES
    for shape in MAPS.values():
        codes = [zone.code for zone in shape.zones]
        assert len(codes) == len(set(codes)) >= 7, shape.code
        assert all(str(zone.label) for zone in shape.zones)
        assert "C" in shape.outline and shape.details  # drawn in curves, with features
        for zone in shape.zones:
            assert all(0 <= x <= shape.width and 0 <= y <= shape.height
                       for x, y in zone.corners)
            # A zone chosen without a click is charted at its centre: inside it, and no
            # other zone claims that point.
            assert shape.zone_at(zone.cx, zone.cy) is zone, (shape.code, zone.code)


def test_the_profiles_name_the_patient_s_side():
    right, left = MAPS["face-right"], MAPS["face-left"]
    assert {"cheek-right", "jaw-right", "neck-right"} <= {z.code for z in right.zones}
    assert {"cheek-left", "jaw-left", "neck-left"} <= {z.code for z in left.zones}
    assert str(left.zone("cheek-left").label) == "Cheek, left"
    # From the front the patient's right is on the viewer's left; from behind and from
    # above it is on the viewer's right.
    assert MAPS["face"].zone("cheek-right").cx < 100 < MAPS["face"].zone("cheek-left").cx
    assert MAPS["body-back"].zone("buttock-right").cx > 100
    assert MAPS["scalp"].zone("temporal-right").cx > 100


@given(st.floats(0, 200), st.floats(0, 240))
def test_the_left_profile_is_the_right_one_mirrored(x, y):
    on_right = MAPS["face-right"].zone_at(x, y)
    on_left = MAPS["face-left"].zone_at(200 - x, y)
    assert (on_right and on_right.code.replace("-right", "-left")) == (on_left and on_left.code)


@given(st.sampled_from(MAP_CODES), st.data())
def test_a_point_is_in_at_most_the_zone_found_first(code, data):
    shape = MAPS[code]
    x = data.draw(st.floats(0, shape.width))
    y = data.draw(st.floats(0, shape.height))
    found = shape.zone_at(x, y)
    if found is None:
        assert not any(zone.contains(x, y) for zone in shape.zones)
    else:
        assert found.contains(x, y)


def test_a_click_on_a_profile_is_charted_in_the_zone_under_it(personas, charting):
    cheek = MAPS["face-left"].zone("cheek-left")
    charted = chart(personas, charting["session"], charting["lot"], chart_map="face-left",
                    zone="", x=Decimal(str(cheek.cx)), y=Decimal(str(cheek.cy)))
    assert charted.injection.zone == "cheek-left"


def test_the_session_page_draws_every_map_with_its_zones(client_as, personas, charting):
    page = client_as(personas.practitioner).get(
        reverse("session_detail", args=[charting["session"].pk])).content.decode()
    for code in MAP_CODES:
        assert f'<svg class="chartmap" data-map="{code}"' in page
    assert "Face, right profile" in page and "Scalp (from above)" in page
    assert '<path class="zone" data-zone="nasolabial-left"' in page
    assert "<title>In front of the right ear</title>" in page
    assert 'transform="matrix(-1 0 0 1 200 0)"' in page  # the left profile, mirrored
    assert "The patient&#x27;s right is on your left." in page


def test_a_removed_point_leaves_the_map(client_as, personas, charting):
    from mesoclinic.courses.services import injection_remove

    charted = chart(personas, charting["session"], charting["lot"])
    client = client_as(personas.practitioner)
    url = reverse("session_detail", args=[charting["session"].pk])
    assert '<g class="point">' in client.get(url).content.decode()
    injection_remove(actor=actor_for(personas.practitioner), injection=charted.injection,
                     reason="Charted on the wrong side")
    page = client.get(url).content.decode()
    assert '<g class="point">' not in page and "Charted on the wrong side" in page


# On the patient's own photo ------------------------------------------------------------


def test_a_point_is_charted_on_the_patient_s_baseline_photo(client_as, personas, charting):
    photo = face_photo(personas, charting["patient"])
    client = client_as(personas.practitioner)
    url = reverse("session_detail", args=[charting["session"].pk])
    page = client.get(url).content.decode()
    assert f'data-map="photo-{photo.pk}"' in page and "Photo: Face · Front" in page
    assert f'href="/photos/{photo.pk}/original/"' in page
    assert 'viewBox="0 0 100 133.33"' in page  # the photo's own proportions

    response = client.post(reverse("session_chart", args=[charting["session"].pk]), {
        "lot": charting["lot"].pk, "chart_map": "face", "zone": "cheek-right",
        "photo": photo.pk, "photo_x": "31.5", "photo_y": "52.25",
        "volume_ml": "0.05", "depth_mm": "2"})
    assert response.status_code == 302
    point = Injection.objects.get(session=charting["session"])
    cheek = MAPS["face"].zone("cheek-right")
    assert (point.photo_id, point.photo_x, point.photo_y) == (photo.pk, Decimal("31.50"),
                                                               Decimal("52.25"))
    assert (float(point.x), float(point.y)) == (cheek.cx, cheek.cy)  # the map shows the zone
    page = client.get(url).content.decode()
    assert '<circle cx="31.50" cy="69.67" r="1.6"/>' in page  # 52.25 % of 133.33
    assert "on the photo" in page


def test_a_point_on_a_photo_needs_its_zone_and_a_photo_of_this_patient(personas, charting):
    photo = face_photo(personas, charting["patient"])
    other = face_photo(personas, make_patient(clinic=personas.clinic))
    session, lot = charting["session"], charting["lot"]
    on_photo = {"photo": photo.pk, "photo_x": "40", "photo_y": "40"}
    with pytest.raises(InvalidInput) as no_zone:
        chart(personas, session, lot, zone="", **on_photo)
    assert no_zone.value.message == "Choose the zone this point on the photo is in."
    with pytest.raises(InvalidInput) as no_place:
        chart(personas, session, lot, photo=photo.pk)
    assert no_place.value.message == "Click on the photo where the point is."
    with pytest.raises(NotFound):
        chart(personas, session, lot, **{**on_photo, "photo": other.pk})
    assert not Injection.objects.filter(session=session).exists()
    assert charting["lot"].__class__.objects.get(pk=lot.pk).quantity == lot.quantity


def test_only_the_first_photo_of_each_view_of_the_plan_s_areas_is_offered(
        client_as, personas, charting):
    first = face_photo(personas, charting["patient"])
    later = face_photo(personas, charting["patient"])
    page = client_as(personas.practitioner).get(
        reverse("session_detail", args=[charting["session"].pk])).content.decode()
    assert f'data-map="photo-{first.pk}"' in page
    assert f'data-map="photo-{later.pk}"' not in page


def test_the_api_charts_on_a_photo(client, personas, api_headers, charting):
    photo = face_photo(personas, charting["patient"])
    url = f"/api/v1/sessions/{charting['session'].pk}/injections"
    response = client.post(url, {
        "lot": charting["lot"].pk, "chart_map": "face", "zone": "forehead",
        "photo": photo.pk, "photo_x": 50, "photo_y": 20, "volume_ml": "0.05",
        "depth_mm": "2"}, content_type="application/json",
        **api_headers(personas.practitioner))
    assert response.status_code == 201, response.content
    body = response.json()
    assert_matches_schema(response, "/api/v1/sessions/{session_id}/injections", "post")
    assert (body["injection"]["photo"], Decimal(body["injection"]["photo_x"])) == (photo.pk, 50)


# Volume and depth per point from the plan ---------------------------------------------


def test_the_form_starts_from_the_plan_s_volume_and_depth_per_point(client_as, personas,
                                                                     charting):
    plan = charting["plan"]
    plan.volume_per_point_ml = Decimal("0.05")
    plan.save(update_fields=["volume_per_point_ml"])
    client = client_as(personas.practitioner)
    url = reverse("session_detail", args=[charting["session"].pk])
    page = client.get(url).content.decode()
    assert 'name="volume_ml" inputmode="decimal" required value="0.05"' in page
    assert 'name="depth_mm" inputmode="decimal" required value="1.0"' in page  # shallowest
    assert "The plan: 0.05 ml per point · 1–4 mm" in re.sub(r"\s+", " ", page)
    # A depth the practitioner chose within the plan's range is kept; one beyond it is
    # brought back to the range.
    chart(personas, charting["session"], charting["lot"], volume_ml="0.30", depth_mm="3")
    page = client.get(url).content.decode()
    assert 'required value="0.05"' in page and 'name="depth_mm" inputmode="decimal" ' \
        'required value="3.0"' in page
    chart(personas, charting["session"], charting["lot"], depth_mm="6")
    assert 'name="depth_mm" inputmode="decimal" required value="4.0"' in \
        client.get(url).content.decode()


def test_a_plan_keeps_its_volume_per_point(client_as, personas, charting):
    from mesoclinic.catalog.models import BodyArea  # noqa: F401  (catalogue loaded)

    client = client_as(personas.practitioner)
    patient = charting["patient"]
    page = client.get(reverse("plan_new", args=[patient.pk]) + "?indication=cellulite")
    assert 'name="volume_per_point_ml"' in page.content.decode()
    response = client.post(reverse("plan_new", args=[patient.pk]), {
        "indication": "cellulite", "body_areas": ["thighs"], "technique": "single-needle",
        "depth_min_mm": "1", "depth_max_mm": "2", "volume_per_point_ml": "0,03",
        "planned_sessions": "6", "initial_interval_days": "7",
        "product_0": charting["lot"].product_id, "dose_0": "2"})
    assert response.status_code == 302, re.findall(r"<p[^>]*>(.*?)</p>", response.content.decode())
    plan = patient.plans.order_by("-id").first()
    assert plan.volume_per_point_ml == Decimal("0.03")
    detail = client.get(reverse("plan_detail", args=[plan.pk])).content.decode()
    assert "Per point" in detail and "0.03 ml" in detail
