"""The offline gazetteer, and a web worker that stays small."""

import subprocess
import sys

from mesoclinic.booking.gazetteer import distance_km, resolve, suggestions


def test_cities_resolve_offline_by_their_own_name_first():
    assert resolve("Lyon").label == "Lyon, FR"
    assert resolve("manchester").label == "Manchester, GB"
    assert resolve("Manchester, US").country == "US"
    assert resolve("saint etienne").name == "Saint-Étienne"
    assert resolve("Londres").label == "London, GB"  # another name of a large city
    assert resolve("Xyzzyville") is None


def test_suggestions_and_distances():
    assert "Manchester, GB" in [p.label for p in suggestions("manch")]
    assert 390 < distance_km(45.7640, 4.8357, 48.8566, 2.3522) < 393  # Lyon–Paris, 391.5 km


def test_a_web_worker_loads_no_image_or_statistics_library():
    code = ("import os, sys, django; os.environ['DJANGO_SETTINGS_MODULE']='mesoclinic.settings';"
            "django.setup(); import mesoclinic.urls;"
            "print(sorted(m for m in ('cv2', 'numpy', 'scipy', 'weasyprint') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
