"""Align two photos of the same area and measure colour in a region. No Django here.

Alignment: ORB features on reduced copies, matched with a ratio test, a RANSAC homography
scaled back to full size, then the "after" photo warped onto the "before" one. Colour: mean
CIELAB L* (lightness) and a* (redness), and the melanin and erythema indices computed from
the red and green reflectances (Diffey et al.): MI = 100·log10(1/R), EI = 100·log10(R/G).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

WORKING_EDGE = 1000  # features are found on copies no longer than this
MIN_MATCHES = 12


class AlignmentError(ValueError):
    pass


@dataclass(frozen=True)
class Region:
    x: int
    y: int
    w: int
    h: int

    def clipped(self, width: int, height: int) -> Region:
        x, y = max(0, min(self.x, width - 1)), max(0, min(self.y, height - 1))
        return Region(x, y, max(1, min(self.w, width - x)), max(1, min(self.h, height - y)))


@dataclass(frozen=True)
class Alignment:
    warped: np.ndarray
    homography: np.ndarray
    matches: int


def decode(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise AlignmentError("the picture could not be decoded")
    return image


def _reduced_gray(image: np.ndarray) -> tuple[np.ndarray, float]:
    scale = min(1.0, WORKING_EDGE / max(image.shape[:2]))
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) \
        if scale < 1 else image
    return cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), scale


def align(before: np.ndarray, after: np.ndarray) -> Alignment:
    """Warp ``after`` onto ``before``'s frame."""
    gray_before, scale_before = _reduced_gray(before)
    gray_after, scale_after = _reduced_gray(after)
    orb = cv2.ORB_create(nfeatures=3000)
    keys_before, desc_before = orb.detectAndCompute(gray_before, None)
    keys_after, desc_after = orb.detectAndCompute(gray_after, None)
    if desc_before is None or desc_after is None:
        raise AlignmentError("not enough detail to align the photos")
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(desc_after, desc_before, k=2)
    good = [m for m, *rest in pairs if rest and m.distance < 0.75 * rest[0].distance]
    if len(good) < MIN_MATCHES:
        raise AlignmentError(f"only {len(good)} matching points: take the photos of the "
                             "same area, from a similar angle")
    source = np.float32([keys_after[m.queryIdx].pt for m in good]) / scale_after
    target = np.float32([keys_before[m.trainIdx].pt for m in good]) / scale_before
    homography, mask = cv2.findHomography(source, target, cv2.RANSAC, 4.0 / scale_before)
    if homography is None:
        raise AlignmentError("the photos could not be aligned")
    inliers = int(mask.sum())
    if inliers < MIN_MATCHES:
        raise AlignmentError(f"only {inliers} consistent points: the photos differ too much")
    height, width = before.shape[:2]
    warped = cv2.warpPerspective(after, homography, (width, height),
                                 flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return Alignment(warped, homography, inliers)


def region_colour(image: np.ndarray, region: Region) -> dict[str, float]:
    r = region.clipped(image.shape[1], image.shape[0])
    patch = image[r.y:r.y + r.h, r.x:r.x + r.w].astype(np.float32) / 255.0
    lab = cv2.cvtColor(patch, cv2.COLOR_BGR2Lab)
    blue, green, red = (float(patch[..., i].mean()) for i in range(3))
    red, green = max(red, 1e-4), max(green, 1e-4)
    return {
        "L": round(float(lab[..., 0].mean()), 2),
        "a": round(float(lab[..., 1].mean()), 2),
        "b": round(float(lab[..., 2].mean()), 2),
        "melanin_index": round(100 * math.log10(1 / red), 2),
        "erythema_index": round(100 * math.log10(red / green), 2),
        "blue": round(blue, 4),
    }


@dataclass(frozen=True)
class Comparison:
    aligned_jpeg: bytes
    homography: list[list[float]]
    matches: int
    before: dict[str, float]
    after: dict[str, float]
    change: dict[str, float]


def compare(before_data: bytes, after_data: bytes, region: Region,
            progress: Callable[[int], None] = lambda _p: None) -> Comparison:
    before = decode(before_data)
    after = decode(after_data)
    progress(20)
    alignment = align(before, after)
    progress(70)
    colour_before = region_colour(before, region)
    colour_after = region_colour(alignment.warped, region)
    ok, jpeg = cv2.imencode(".jpg", alignment.warped, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise AlignmentError("the aligned photo could not be encoded")
    progress(90)
    return Comparison(
        aligned_jpeg=jpeg.tobytes(),
        homography=[[round(float(v), 6) for v in row] for row in alignment.homography],
        matches=alignment.matches,
        before=colour_before, after=colour_after,
        change={k: round(colour_after[k] - colour_before[k], 2)
                for k in ("L", "a", "b", "melanin_index", "erythema_index")},
    )
