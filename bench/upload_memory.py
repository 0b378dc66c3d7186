"""Peak memory of one web worker taking a 50-megapixel upload (JPEG, then PNG), each in a
fresh worker process that has loaded the whole application first. Target: < 300 MB.

    python bench/upload_memory.py
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import write

WORKER = """
import json, sys
sys.path.insert(0, "bench")
from common import setup_django
setup_django()
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver
get_wsgi_application(); get_resolver().url_patterns  # a served worker's modules
from mesoclinic.consultation.images import clean_image
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024

raw = open(sys.argv[1], "rb").read()
loaded = status("VmRSS")
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")  # the peak starts again from what is resident now
clean = clean_image(raw, max_bytes=15 * 1024 * 1024, max_pixels=50_000_000)
print(json.dumps({"loaded_mb": loaded, "peak_mb": status("VmHWM"),
                  "stored_kb": len(clean.data) / 1024}))
"""


def picture(kind: str, folder: Path) -> Path:
    from PIL import Image

    path = folder / f"upload.{kind.lower()}"
    image = Image.linear_gradient("L").resize((7071, 7071)).convert("RGB")
    out = io.BytesIO()
    image.save(out, kind, **({"quality": 80} if kind == "JPEG" else {}))
    path.write_bytes(out.getvalue())
    return path


def main() -> None:
    report = {"benchmark": "clean_image on a 7071 × 7071 (50 MP) upload in a web worker",
              "target_peak_mb": 300}
    with tempfile.TemporaryDirectory() as folder:
        for kind in ("JPEG", "PNG"):
            path = picture(kind, Path(folder))
            run = subprocess.run([sys.executable, "-c", WORKER, str(path)], check=True,
                                 capture_output=True, text=True)
            figures = json.loads(run.stdout.strip().splitlines()[-1])
            figures["upload_kb"] = path.stat().st_size / 1024
            report[kind.lower()] = {k: round(v, 1) for k, v in figures.items()}
            print(kind, report[kind.lower()])
    write("upload_memory", report)


if __name__ == "__main__":
    main()
