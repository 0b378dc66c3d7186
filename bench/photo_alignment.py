"""Photo pair alignment and colour metrics on a generated 12-megapixel pair, on one core.
Target: ≤ 1.5 s.

    python bench/photo_alignment.py
"""

from __future__ import annotations

import argparse

import cv2
from common import setup_django, summary, timed, write

setup_django()

from mesoclinic.outcomes.photo_analysis import Region, compare  # noqa: E402
from tests.pictures import synthetic_skin, warp_like_a_second_visit  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--height", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cv2.setNumThreads(1)  # one core, as the target says
    before = synthetic_skin(args.width, args.height)
    after = warp_like_a_second_visit(before)
    before_jpeg = cv2.imencode(".jpg", before, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()
    after_jpeg = cv2.imencode(".jpg", after, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()
    region = Region(args.width // 3, args.height // 3, args.width // 6, args.height // 6)
    result = compare(before_jpeg, after_jpeg, region)
    times = timed(lambda: compare(before_jpeg, after_jpeg, region), args.runs)
    write("photo_alignment", {
        "benchmark": "decode two JPEGs, ORB + RANSAC homography, warp, CIELAB and "
                     "melanin/erythema indices in a region",
        "megapixels": round(args.width * args.height / 1e6, 1),
        "threads": 1, "matches": result.matches, "change": result.change,
        **summary(times), "target_s": 1.5,
    })


if __name__ == "__main__":
    main()
