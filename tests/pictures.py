"""Skin pictures made up for tests and benchmarks: nothing is downloaded."""

from __future__ import annotations

import cv2
import numpy as np


def synthetic_skin(width: int, height: int, seed: int = 7) -> np.ndarray:
    """A textured, skin-coloured test picture with enough detail to align (benchmarks and
    tests generate their photos)."""
    rng = np.random.default_rng(seed)
    base = np.zeros((height, width, 3), np.uint8)
    base[:] = (150, 170, 210)  # BGR, a light skin tone
    noise = rng.normal(0, 18, (height // 8 + 1, width // 8 + 1, 3)).astype(np.float32)
    texture = cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)
    image = np.clip(base.astype(np.float32) + texture, 0, 255).astype(np.uint8)
    for _ in range(max(40, width * height // 40000)):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        radius = int(rng.integers(3, max(4, min(width, height) // 60)))
        colour = tuple(int(c) for c in rng.integers(60, 140, 3))
        cv2.circle(image, centre, radius, colour, -1, lineType=cv2.LINE_AA)
    return image


def warp_like_a_second_visit(image: np.ndarray, *, shift: tuple[float, float] = (25, -15),
                             angle: float = 4.0, redden: float = 12.0) -> np.ndarray:
    """The same area photographed again: slightly moved and turned, a little redder."""
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.02)
    matrix[:, 2] += shift
    moved = cv2.warpAffine(image, matrix, (width, height), borderMode=cv2.BORDER_REFLECT)
    redder = moved.astype(np.float32)
    redder[..., 2] += redden
    redder[..., 1] -= redden / 2
    return np.clip(redder, 0, 255).astype(np.uint8)
