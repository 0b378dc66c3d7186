"""Waiting for a server started on loopback (the durability tests and the benchmarks)."""

from __future__ import annotations

import http.client
import time


def healthy_within(port: int, seconds: float) -> bool:
    """Whether /healthz answers 200 on this port before ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            probe.request("GET", "/healthz")
            if probe.getresponse().status == 200:
                return True
        except OSError:
            time.sleep(0.2)
    return False
