"""The catalogue: complete, sourced, loaded idempotently, browsable by staff, in the API."""

import pytest
from django.urls import reverse

from mesoclinic.catalog.models import (
    BodyArea,
    Indication,
    OutcomeScale,
    SideEffect,
    Substance,
    Technique,
)
from mesoclinic.catalog.selectors import SECTIONS
from mesoclinic.catalog.services import catalogue_load
from mesoclinic.core.templatetags.moments import SOURCE_TITLES
from tests.openapi import assert_matches_schema


def test_loading_twice_changes_nothing(catalogue):
    before = {s.slug: list(s.entries().values()) for s in SECTIONS}
    catalogue_load()
    after = {s.slug: list(s.entries().values()) for s in SECTIONS}
    assert before == after


def test_every_entry_names_its_source(catalogue):
    for section in SECTIONS:
        for entry in section.model.objects.all():
            assert entry.source.strip(), f"{section.slug} {entry.code} has no source"


def test_the_catalogue_covers_what_the_design_lists(catalogue):
    indications = set(Indication.objects.values_list("code", flat=True))
    assert {"cellulite", "localized-fat", "facial-rejuvenation", "wrinkles", "skin-tightening",
            "pigmentation", "stretch-marks", "scar-acne", "alopecia-androgenetic",
            "alopecia-areata", "telogen-effluvium", "pain-osteoarthritis", "migraine",
            "vascular-lymphatic"} <= indications
    assert {"face", "neck", "scalp", "arms", "abdomen", "back", "flanks", "buttocks", "hips",
            "thighs", "legs"} <= set(BodyArea.objects.values_list("code", flat=True))
    assert {"phosphatidylcholine", "deoxycholate", "caffeine", "aminophylline",
            "isoproterenol", "collagenase", "hyaluronidase", "calcitonin", "thyroxine"} <= set(
        Substance.objects.values_list("code", flat=True))
    assert Technique.objects.get(code="microneedling").needle_count_max == 36
    assert Technique.objects.get(code="single-needle").depth_max_mm == 4


def test_side_effects_carry_their_expected_course_from_the_sources(catalogue):
    assert SideEffect.objects.get(code="burning").expected_max_hours == 1
    assert SideEffect.objects.get(code="swelling").expected_max_hours == 5 * 24
    assert SideEffect.objects.get(code="itching").expected_max_hours == 2 * 24
    assert SideEffect.objects.get(code="infection").seriousness == "serious"


def test_every_indication_offers_gais_or_a_pain_scale(catalogue):
    gais = OutcomeScale.objects.get(code="gais")
    vas = OutcomeScale.objects.get(code="vas-pain")
    for indication in Indication.objects.prefetch_related("outcome_scales"):
        scales = set(indication.outcome_scales.all())
        assert gais in scales or vas in scales, indication.code


@pytest.mark.parametrize("role", ["owner", "practitioner", "nurse", "reception"])
def test_all_staff_browse_every_section(client_as, personas, catalogue, role):
    client = client_as(personas.of(role))
    assert client.get(reverse("catalogue")).status_code == 200
    for section in SECTIONS:
        response = client.get(reverse("catalogue_section", args=[section.slug]))
        assert response.status_code == 200
        # Each entry names its source document by its title, not by a file name.
        page = response.content.decode()
        assert "reference/" not in page
        assert any(f"“{title}”" in page for title in SOURCE_TITLES.values()) \
            or section.slug == "outcome-scales"


def test_anonymous_visitors_cannot_browse_the_catalogue(client, db):
    assert client.get(reverse("catalogue")).status_code == 302


def test_an_unknown_section_is_a_404(client_as, personas):
    assert client_as(personas.nurse).get("/catalogue/unknown/").status_code == 404


@pytest.mark.parametrize("path", ["indications", "body-areas", "substance-classes",
                                  "substances", "techniques", "side-effects",
                                  "outcome-scales"])
def test_the_api_serves_each_section_to_staff_only(client, personas, api_headers, catalogue, path):
    url = f"/api/v1/catalogue/{path}"
    assert client.get(url).status_code == 401
    response = client.get(url, **api_headers(personas.reception))
    assert response.status_code == 200
    assert_matches_schema(response, url, "get")
    assert len(response.json()) > 3
