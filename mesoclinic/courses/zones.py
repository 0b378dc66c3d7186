"""The charting maps: anatomical drawings with named zones, in each map's own coordinates.

A zone is a polygon (the click is tested against it) drawn as a smooth curve through its
corners; a zone chosen without a click is charted at its centre. Maps seen from the front
show the patient's right on the viewer's left; the back, the profiles and the scalp from
above are drawn as the practitioner sees them. The left profile is the right one mirrored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Point = tuple[float, float]


@dataclass(frozen=True)
class Zone:
    code: str
    label: str | Promise
    corners: tuple[Point, ...]
    centre: Point

    @property
    def cx(self) -> float:
        return self.centre[0]

    @property
    def cy(self) -> float:
        return self.centre[1]

    @cached_property
    def path(self) -> str:
        return smooth_path(self.corners)

    def contains(self, x: float, y: float) -> bool:
        """Even-odd ray casting: a point on the polygon's inside, edges included once."""
        inside = False
        corners = self.corners
        for (x1, y1), (x2, y2) in zip(corners, corners[1:] + corners[:1], strict=True):
            if (y1 > y) != (y2 > y):
                crossing = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
                if x < crossing:
                    inside = not inside
        return inside


@dataclass(frozen=True)
class ChartMapShape:
    code: str
    label: str | Promise
    width: int
    height: int
    outline: str  # the filled silhouette
    zones: tuple[Zone, ...]
    details: str = ""  # features drawn over the silhouette (eyes, ears, folds)
    caption: str | Promise = ""
    mirrored: bool = field(default=False)

    def zone(self, code: str) -> Zone | None:
        return next((z for z in self.zones if z.code == code), None)

    def zone_at(self, x: float, y: float) -> Zone | None:
        return next((z for z in self.zones if z.contains(x, y)), None)


def smooth_path(corners: tuple[Point, ...] | list[Point], closed: bool = True) -> str:
    """A Catmull-Rom curve through the corners as cubic Béziers: it passes through every
    corner, so the drawn zone and the tested polygon agree where it matters."""
    pts = list(corners)
    count = len(pts)
    if count < 3:
        return "M" + " L".join(f"{x:g} {y:g}" for x, y in pts)
    parts = [f"M{pts[0][0]:g} {pts[0][1]:g}"]
    last = count if closed else count - 1
    for i in range(last):
        p0 = pts[(i - 1) % count] if (closed or i > 0) else pts[i]
        p1, p2 = pts[i], pts[(i + 1) % count]
        p3 = pts[(i + 2) % count] if (closed or i + 2 < count) else p2
        c1 = (p1[0] + (p2[0] - p0[0]) / 6, p1[1] + (p2[1] - p0[1]) / 6)
        c2 = (p2[0] - (p3[0] - p1[0]) / 6, p2[1] - (p3[1] - p1[1]) / 6)
        parts.append(f"C{c1[0]:.1f} {c1[1]:.1f} {c2[0]:.1f} {c2[1]:.1f} {p2[0]:g} {p2[1]:g}")
    return " ".join(parts) + (" Z" if closed else "")


def _centre(corners: tuple[Point, ...]) -> Point:
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return (round(sum(xs) / len(xs), 1), round(sum(ys) / len(ys), 1))


def _zone(code: str, label: str | Promise, *corners: Point, centre: Point | None = None
          ) -> Zone:
    return Zone(code, label, corners, centre or _centre(corners))


def _pair(code: str, right_label: str | Promise, left_label: str | Promise, width: int,
          *corners: Point, viewer_left_is: str = "right") -> tuple[Zone, Zone]:
    """A zone on one side and its mirror image on the other, named from the patient's
    side (the drawn corners are the one on the viewer's left)."""
    mirrored = tuple((width - x, y) for x, y in reversed(corners))
    first, second = (("right", right_label), ("left", left_label))
    if viewer_left_is == "left":
        first, second = second, first
    return (_zone(f"{code}-{first[0]}", first[1], *corners),
            _zone(f"{code}-{second[0]}", second[1], *mirrored))


def _symmetric_outline(half: list[Point], width: int) -> str:
    """A silhouette from its viewer-left half, top to bottom, ending on the midline."""
    other = [(width - x, y) for x, y in reversed(half) if x != width / 2]
    return smooth_path(half + other)


def _mirror_map(shape: ChartMapShape, code: str, label: str | Promise,
                labels: dict[str, str | Promise]) -> ChartMapShape:
    """The other profile: every zone mirrored and renamed to the other side."""
    zones = []
    for zone in shape.zones:
        other = zone.code.replace("-right", "-left")
        corners = tuple((shape.width - x, y) for x, y in reversed(zone.corners))
        zones.append(Zone(other, labels.get(other, zone.label), corners,
                          (shape.width - zone.cx, zone.cy)))
    return ChartMapShape(code, label, shape.width, shape.height, shape.outline, tuple(zones),
                         shape.details, shape.caption, mirrored=True)


# Face, from the front (200 x 240) -------------------------------------------------------

_FACE_OUTLINE = (
    "M100 16 C62 16 36 38 31 80 C29 98 29 110 31 124 C33 152 44 184 64 208 "
    "C76 223 88 231 100 231 C112 231 124 223 136 208 C156 184 167 152 169 124 "
    "C171 110 171 98 169 80 C164 38 138 16 100 16 Z "
    "M31 104 C19 98 15 114 17 126 C19 140 25 148 34 146 Z "
    "M169 104 C181 98 185 114 183 126 C181 140 175 148 166 146 Z")

_FACE_DETAILS = (
    "M38 74 C50 42 78 32 100 33 C122 32 150 42 162 74 "  # hairline
    "M52 88 C62 81 77 81 87 86 M113 86 C123 81 138 81 148 88 "  # brows
    "M56 100 C64 93 78 93 86 100 C78 106 64 106 56 100 Z "
    "M114 100 C122 93 136 93 144 100 C136 106 122 106 114 100 Z "  # eyes
    "M97 102 C96 118 92 131 87 141 C89 148 96 147 100 150 C104 147 111 148 113 141 "
    "C108 131 104 118 103 102 "  # nose
    "M86 148 C79 160 79 172 83 184 M114 148 C121 160 121 172 117 184 "  # nasolabial folds
    "M80 177 C88 170 96 172 100 174 C104 172 112 170 120 177 C112 181 88 181 80 177 Z "
    "M80 177 C88 189 112 189 120 177 "  # lips
    "M90 205 C96 208 104 208 110 205 "  # chin crease
    "M22 112 C24 120 24 130 28 138 M178 112 C176 120 176 130 172 138 "  # ears' folds
    "M68.5 99.5 a2.5 2.5 0 1 0 5 0 a2.5 2.5 0 1 0 -5 0 "
    "M126.5 99.5 a2.5 2.5 0 1 0 5 0 a2.5 2.5 0 1 0 -5 0")  # pupils

_FACE = ChartMapShape(
    "face", _("Face, front"), 200, 240, _FACE_OUTLINE, (
        _zone("glabella", _("Between the brows"), (89, 82), (111, 82), (109, 97), (91, 97)),
        *_pair("periorbital", _("Around the right eye"), _("Around the left eye"), 200,
               (49, 100), (60, 90), (78, 88), (89, 96), (86, 108), (70, 114), (54, 110)),
        _zone("nose", _("Nose"), (94, 99), (106, 99), (114, 142), (100, 153), (86, 142)),
        *_pair("nasolabial", _("Nasolabial fold, right"), _("Nasolabial fold, left"), 200,
               (84, 144), (89, 149), (86, 166), (87, 186), (80, 188), (75, 170), (78, 153)),
        _zone("lips", _("Lips"), (89, 166), (111, 166), (121, 177), (112, 191), (88, 191),
              (79, 177), centre=(100, 178)),
        _zone("chin", _("Chin"), (80, 196), (120, 196), (127, 212), (113, 228), (87, 228),
              (73, 212)),
        _zone("forehead", _("Forehead"), (42, 72), (62, 50), (100, 42), (138, 50), (158, 72),
              (150, 82), (100, 78), (50, 82), centre=(100, 63)),
        *_pair("temple", _("Temple, right"), _("Temple, left"), 200,
               (32, 76), (44, 76), (47, 96), (35, 106), (30, 92)),
        *_pair("cheek", _("Cheek, right"), _("Cheek, left"), 200,
               (36, 112), (54, 114), (82, 118), (86, 140), (77, 158), (64, 170), (44, 166),
               (35, 142)),
        *_pair("jaw", _("Jawline, right"), _("Jawline, left"), 200,
               (35, 148), (43, 150), (52, 176), (68, 196), (82, 212), (76, 221), (58, 207),
               (43, 182)),
    ), details=_FACE_DETAILS, caption=_("The patient's right is on your left."))


# Face, right profile (200 x 240): the nose points to the viewer's right ----------------

_PROFILE_OUTLINE = (
    "M150 40 C132 12 72 6 46 32 C24 56 22 100 33 130 C40 150 56 162 70 172 "
    "C74 190 77 214 80 240 L116 240 C114 230 113 222 114 214 C130 214 146 212 156 204 "
    "C160 196 160 188 156 179 C159 176 160 172 158 167 C164 163 166 157 160 152 "
    "C164 148 162 142 160 137 C167 134 173 132 178 126 C170 116 160 104 154 92 "
    "C158 75 156 55 150 40 Z")

_PROFILE_DETAILS = (
    "M150 42 C130 36 106 40 94 56 C86 68 84 82 88 98 "  # hairline and sideburn
    "M80 98 C66 92 60 108 62 120 C64 132 70 140 80 138 C84 128 84 110 80 98 Z "  # ear
    "M73 108 C70 116 72 126 76 130 "
    "M132 88 C140 84 148 86 152 90 "  # brow
    "M139 97 C144 95 148 97 150 100 C146 102 142 102 139 100 "  # eye
    "M158 136 C152 136 149 132 150 128 "  # nostril
    "M146 140 C150 150 152 158 156 166 "  # nasolabial fold
    "M156 167 C152 168 150 168 148 167 "  # mouth
    "M92 152 C98 178 108 198 114 212")  # jaw

_PROFILE_RIGHT = ChartMapShape(
    "face-right", _("Face, right profile"), 200, 240, _PROFILE_OUTLINE, (
        _zone("periorbital-right", _("Around the right eye"),
              (128, 90), (149, 92), (151, 105), (134, 111), (123, 102)),
        _zone("nasolabial-right", _("Nasolabial fold, right"),
              (148, 135), (159, 139), (158, 160), (152, 170), (143, 156)),
        _zone("lips", _("Lips"), (152, 156), (160, 152), (164, 158), (159, 176), (151, 172)),
        _zone("chin", _("Chin"), (150, 180), (158, 186), (158, 203), (146, 210), (139, 196)),
        _zone("temple-right", _("Temple, right"),
              (96, 66), (122, 62), (126, 90), (102, 96), (92, 84)),
        _zone("cheek-right", _("Cheek, right"),
              (98, 104), (122, 108), (142, 112), (148, 134), (140, 152), (112, 152),
              (96, 128)),
        _zone("preauricular-right", _("In front of the right ear"),
              (84, 100), (96, 100), (96, 138), (86, 144)),
        _zone("jaw-right", _("Jawline, right"),
              (88, 150), (104, 154), (124, 184), (146, 198), (146, 210), (120, 212),
              (98, 188)),
        _zone("neck-right", _("Neck, right side"),
              (80, 176), (96, 194), (114, 215), (116, 238), (82, 238), (77, 206)),
    ), details=_PROFILE_DETAILS)

_PROFILE_LEFT = _mirror_map(_PROFILE_RIGHT, "face-left", _("Face, left profile"), {
    "periorbital-left": _("Around the left eye"),
    "nasolabial-left": _("Nasolabial fold, left"),
    "temple-left": _("Temple, left"),
    "cheek-left": _("Cheek, left"),
    "preauricular-left": _("In front of the left ear"),
    "jaw-left": _("Jawline, left"),
    "neck-left": _("Neck, left side"),
})


# Scalp, from above (200 x 240): the forehead at the top --------------------------------

_SCALP = ChartMapShape(
    "scalp", _("Scalp (from above)"), 200, 240,
    "M100 22 C48 22 30 70 30 122 C30 180 62 226 100 226 C138 226 170 180 170 122 "
    "C170 70 152 22 100 22 Z "
    "M92 24 C93 13 107 13 108 24 Z "  # the nose's tip, seen past the forehead
    "M31 108 C21 106 19 130 29 140 Z M169 108 C179 106 181 130 171 140 Z",  # ears
    (
        _zone("frontal", _("Frontal hairline"),
              (60, 46), (100, 37), (140, 46), (148, 64), (100, 57), (52, 64)),
        _zone("mid-scalp", _("Mid-scalp"),
              (52, 66), (100, 59), (148, 66), (151, 110), (100, 107), (49, 110)),
        _zone("vertex", _("Vertex"),
              (52, 112), (100, 109), (148, 112), (140, 150), (100, 156), (60, 150)),
        _zone("crown", _("Crown"),
              (62, 152), (100, 158), (138, 152), (130, 186), (100, 194), (70, 186)),
        _zone("occipital", _("Occipital"),
              (72, 190), (100, 197), (128, 190), (122, 212), (100, 221), (78, 212)),
        *_pair("temporal", _("Temporal, right"), _("Temporal, left"), 200,
               (48, 66), (36, 82), (32, 138), (48, 152), (50, 112), viewer_left_is="left"),
    ),
    details="M100 30 L100 222 M106 170 C106 162 94 162 94 170 C94 178 104 180 108 174",
    caption=_("Seen from above, forehead at the top: the patient's right is on your right."))


# Body, front and back (200 x 400) ------------------------------------------------------

_BODY_HALF: list[Point] = [
    (100, 50), (93, 52), (91, 63), (78, 67), (62, 72), (53, 82), (49, 98), (46, 124),
    (42, 150), (38, 176), (34, 200), (29, 214), (32, 229), (40, 227), (43, 211), (47, 196),
    (53, 170), (58, 146), (62, 118), (64, 112), (64, 140), (67, 168), (62, 196), (60, 222),
    (64, 260), (70, 300), (74, 326), (72, 350), (74, 376), (69, 391), (88, 394), (90, 378),
    (92, 350), (92, 326), (95, 290), (98, 250), (100, 240),
]
_BODY_OUTLINE = (_symmetric_outline(_BODY_HALF, 200)
                 + " M100 8 C112 8 119 18 119 30 C119 43 111 52 100 52 "
                   "C89 52 81 43 81 30 C81 18 88 8 100 8 Z")

_BODY_FRONT = ChartMapShape(
    "body-front", _("Body, front"), 200, 400, _BODY_OUTLINE, (
        _zone("neck", _("Neck"), (92, 53), (108, 53), (109, 65), (91, 65)),
        _zone("decolletage", _("Décolletage"),
              (72, 70), (128, 70), (124, 100), (100, 106), (76, 100)),
        *_pair("arm", _("Arm, right"), _("Arm, left"), 200,
               (51, 82), (63, 88), (63, 118), (58, 146), (42, 146), (47, 102)),
        _zone("abdomen", _("Abdomen"),
              (71, 128), (129, 128), (131, 168), (128, 200), (100, 214), (72, 200),
              (69, 168), centre=(100, 165)),
        *_pair("flank", _("Flank, right"), _("Flank, left"), 200,
               (64, 130), (70, 130), (68, 168), (71, 198), (62, 196), (66, 168)),
        *_pair("hip", _("Hip, right"), _("Hip, left"), 200,
               (61, 200), (71, 202), (75, 232), (63, 238), (60, 222)),
        *_pair("thigh", _("Thigh, right"), _("Thigh, left"), 200,
               (64, 240), (77, 234), (97, 248), (95, 290), (92, 312), (74, 312), (68, 290)),
        *_pair("knee", _("Knee, right"), _("Knee, left"), 200,
               (73, 314), (93, 314), (92, 334), (74, 334)),
        *_pair("leg", _("Leg, right"), _("Leg, left"), 200,
               (72, 336), (92, 336), (90, 376), (76, 378)),
    ),
    details=("M70 73 C82 77 92 75 100 79 C108 75 118 77 130 73 "  # collarbones
             "M70 110 C80 123 92 123 98 114 M130 110 C120 123 108 123 102 114 "  # chest
             "M99 172 C99 170 101 170 101 172 C101 174 99 174 99 172 Z "  # navel
             "M66 206 C80 220 92 232 100 238 M134 206 C120 220 108 232 100 238 "  # groin
             "M78 324 C78 318 88 318 88 324 C88 330 78 330 78 324 Z "
             "M112 324 C112 318 122 318 122 324 C122 330 112 330 112 324 Z"),  # kneecaps
    caption=_("The patient's right is on your left."))

_BODY_BACK = ChartMapShape(
    "body-back", _("Body, back"), 200, 400, _BODY_OUTLINE, (
        *_pair("trapezius", _("Trapezius, right"), _("Trapezius, left"), 200,
               (80, 64), (93, 62), (93, 78), (68, 82), (62, 74), viewer_left_is="left"),
        _zone("upper-back", _("Upper back"),
              (68, 84), (132, 84), (131, 130), (69, 130), centre=(100, 106)),
        _zone("lower-back", _("Lower back"),
              (71, 132), (129, 132), (129, 180), (71, 180), centre=(100, 156)),
        *_pair("back-flank", _("Flank, right"), _("Flank, left"), 200,
               (64, 130), (70, 132), (70, 180), (71, 198), (62, 196), (66, 168),
               viewer_left_is="left"),
        *_pair("arm-back", _("Back of the arm, right"), _("Back of the arm, left"), 200,
               (51, 82), (63, 88), (63, 118), (58, 146), (42, 146), (47, 102),
               viewer_left_is="left"),
        *_pair("buttock", _("Buttock, right"), _("Buttock, left"), 200,
               (72, 190), (99, 196), (99, 236), (80, 242), (62, 230), (61, 208),
               viewer_left_is="left"),
        *_pair("thigh-back", _("Back of thigh, right"), _("Back of thigh, left"), 200,
               (64, 244), (80, 246), (97, 250), (95, 290), (92, 312), (74, 312), (68, 290),
               viewer_left_is="left"),
        *_pair("calf", _("Calf, right"), _("Calf, left"), 200,
               (72, 336), (92, 336), (90, 376), (76, 378), viewer_left_is="left"),
    ),
    details=("M100 62 L100 200 "  # spine
             "M72 90 C80 84 90 88 91 100 C89 112 79 118 72 113 "
             "M128 90 C120 84 110 88 109 100 C111 112 121 118 128 113 "  # shoulder blades
             "M100 204 L100 236 M70 236 C80 244 92 244 99 238 "
             "M130 236 C120 244 108 244 101 238 "  # buttocks
             "M76 326 C80 330 86 330 90 326 M110 326 C114 330 120 330 124 326"),  # knees
    caption=_("Seen from behind: the patient's left is on your left."))


MAPS: dict[str, ChartMapShape] = {m.code: m for m in (
    _FACE, _PROFILE_RIGHT, _PROFILE_LEFT, _SCALP, _BODY_FRONT, _BODY_BACK)}


def zone_label(map_code: str, zone_code: str) -> str:
    shape = MAPS.get(map_code)
    zone = shape.zone(zone_code) if shape else None
    return str(zone.label) if zone else zone_code
