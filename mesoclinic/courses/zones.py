"""The charting maps: named zones as ellipses in each map's coordinates. The SVG maps are
drawn from this table, and a zone chosen without a click is charted at its centre."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Zone:
    code: str
    label: str
    cx: float
    cy: float
    rx: float
    ry: float

    def contains(self, x: float, y: float) -> bool:
        return ((x - self.cx) / self.rx) ** 2 + ((y - self.cy) / self.ry) ** 2 <= 1


@dataclass(frozen=True)
class ChartMapShape:
    code: str
    label: str
    width: int
    height: int
    outline: str  # an SVG path, decoration only
    zones: tuple[Zone, ...]

    def zone(self, code: str) -> Zone | None:
        return next((z for z in self.zones if z.code == code), None)


def _z(code: str, label: str, cx: float, cy: float, rx: float, ry: float) -> Zone:
    return Zone(code, label, cx, cy, rx, ry)


MAPS: dict[str, ChartMapShape] = {m.code: m for m in (
    ChartMapShape("face", _("Face"), 200, 240,
                  "M100 15 C 40 15 20 70 22 120 C 24 175 55 228 100 230 "
                  "C 145 228 176 175 178 120 C 180 70 160 15 100 15 Z", (
                      _z("forehead", _("Forehead"), 100, 55, 48, 18),
                      _z("temple-right", _("Temple, right"), 36, 88, 11, 18),
                      _z("temple-left", _("Temple, left"), 164, 88, 11, 18),
                      _z("periorbital-right", _("Around the right eye"), 68, 102, 18, 9),
                      _z("periorbital-left", _("Around the left eye"), 132, 102, 18, 9),
                      _z("nose", _("Nose"), 100, 128, 10, 18),
                      _z("cheek-right", _("Cheek, right"), 56, 145, 20, 20),
                      _z("cheek-left", _("Cheek, left"), 144, 145, 20, 20),
                      _z("nasolabial-right", _("Nasolabial fold, right"), 80, 163, 7, 13),
                      _z("nasolabial-left", _("Nasolabial fold, left"), 120, 163, 7, 13),
                      _z("lips", _("Lips"), 100, 182, 18, 7),
                      _z("jaw-right", _("Jawline, right"), 54, 188, 9, 18),
                      _z("jaw-left", _("Jawline, left"), 146, 188, 9, 18),
                      _z("chin", _("Chin"), 100, 210, 22, 11),
                  )),
    ChartMapShape("scalp", _("Scalp (from above)"), 200, 240,
                  "M100 18 C 35 18 25 90 25 125 C 25 185 60 228 100 228 "
                  "C 140 228 175 185 175 125 C 175 90 165 18 100 18 Z", (
                      _z("frontal", _("Frontal hairline"), 100, 48, 45, 17),
                      _z("mid-scalp", _("Mid-scalp"), 100, 96, 45, 22),
                      _z("vertex", _("Vertex"), 100, 142, 40, 20),
                      _z("crown", _("Crown"), 100, 182, 35, 16),
                      _z("temporal-right", _("Temporal, right"), 42, 110, 14, 34),
                      _z("temporal-left", _("Temporal, left"), 158, 110, 14, 34),
                      _z("occipital", _("Occipital"), 100, 213, 34, 10),
                  )),
    ChartMapShape("body-front", _("Body, front"), 200, 400,
                  "M100 10 a 22 24 0 1 0 0.1 0 Z M72 60 L128 60 L160 120 L165 200 L150 202 "
                  "L140 130 L135 220 L128 385 L108 385 L100 240 L92 385 L72 385 L65 220 "
                  "L60 130 L50 202 L35 200 L40 120 Z", (
                      _z("neck", _("Neck"), 100, 62, 12, 7),
                      _z("decolletage", _("Décolletage"), 100, 88, 28, 11),
                      _z("arm-right", _("Arm, right"), 48, 145, 10, 40),
                      _z("arm-left", _("Arm, left"), 152, 145, 10, 40),
                      _z("abdomen", _("Abdomen"), 100, 165, 26, 28),
                      _z("flank-right", _("Flank, right"), 69, 168, 7, 22),
                      _z("flank-left", _("Flank, left"), 131, 168, 7, 22),
                      _z("hip-right", _("Hip, right"), 72, 212, 9, 12),
                      _z("hip-left", _("Hip, left"), 128, 212, 9, 12),
                      _z("thigh-right", _("Thigh, right"), 83, 268, 13, 36),
                      _z("thigh-left", _("Thigh, left"), 117, 268, 13, 36),
                      _z("knee-right", _("Knee, right"), 83, 318, 9, 10),
                      _z("knee-left", _("Knee, left"), 117, 318, 9, 10),
                      _z("leg-right", _("Leg, right"), 83, 358, 8, 24),
                      _z("leg-left", _("Leg, left"), 117, 358, 8, 24),
                  )),
    ChartMapShape("body-back", _("Body, back"), 200, 400,
                  "M100 10 a 22 24 0 1 0 0.1 0 Z M72 60 L128 60 L160 120 L165 200 L150 202 "
                  "L140 130 L135 220 L128 385 L108 385 L100 240 L92 385 L72 385 L65 220 "
                  "L60 130 L50 202 L35 200 L40 120 Z", (
                      _z("trapezius-left", _("Trapezius, left"), 74, 72, 14, 7),
                      _z("trapezius-right", _("Trapezius, right"), 126, 72, 14, 7),
                      _z("upper-back", _("Upper back"), 100, 108, 30, 20),
                      _z("lower-back", _("Lower back"), 100, 165, 26, 18),
                      _z("back-flank-left", _("Flank, left"), 69, 165, 7, 20),
                      _z("back-flank-right", _("Flank, right"), 131, 165, 7, 20),
                      _z("buttock-left", _("Buttock, left"), 82, 212, 16, 16),
                      _z("buttock-right", _("Buttock, right"), 118, 212, 16, 16),
                      _z("thigh-back-left", _("Back of thigh, left"), 83, 270, 13, 34),
                      _z("thigh-back-right", _("Back of thigh, right"), 117, 270, 13, 34),
                      _z("calf-left", _("Calf, left"), 83, 350, 8, 26),
                      _z("calf-right", _("Calf, right"), 117, 350, 8, 26),
                  )),
)}


def zone_label(map_code: str, zone_code: str) -> str:
    shape = MAPS.get(map_code)
    zone = shape.zone(zone_code) if shape else None
    return str(zone.label) if zone else zone_code
