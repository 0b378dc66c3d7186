"""Imports run one way. Every module of mesoclinic has a layer, named by what it holds, and
the journey's apps have an order; an import must go down a layer, or stay in its layer and
go to its own app or to an app earlier in the journey. The README's Layout section draws
the same picture."""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "mesoclinic"

# The journey, from the ground up: an app may use the apps before it.
APP_ORDER = ["core", "catalog", "patients", "inventory", "consultation", "courses",
             "aftercare", "safety", "booking", "outcomes", "billing"]
# Above every app: the pages that gather all of them, and the demo that fills them.
TOP_PACKAGES = {"chart", "demo", "fhir", "portal"}
TOP_MODULES = {"urls", "api", "settings", "wsgi"}

PURE, DATA, READS, WRITES, WEB, TOP = range(6)
LAYER_NAMES = ["pure", "data", "reads", "writes", "web", "top"]

# Pure modules take plain values and import nothing of ours but other pure modules.
PURE_MODULES = {
    "core.clock", "core.errors", "core.languages", "core.rows", "core.csv_export",
    "core.links", "core.timeline", "core.retention", "core.countries",
    "safety.rules", "courses.schedule", "courses.zones", "outcomes.stats",
    "outcomes.photo_analysis", "booking.slots", "booking.gazetteer", "booking.grid",
    "aftercare.escalation",
    "patients.search_keys", "consultation.images", "consultation.forms",
    "billing.money", "billing.providers",
}
LAYER_OF_NAME = {
    "models": DATA, "schemas": DATA, "signals": DATA,
    "selectors": READS, "pdf": READS, "ics": READS, "plots": READS,
    "services": WRITES, "tasks": WRITES, "course_booking": WRITES,
    "views": WEB, "api": WEB, "apps": WEB, "web": WEB, "middleware": WEB,
    "context_processors": WEB,
}
# The ground every app stands on: who is acting, in which clinic, with which role.
CORE_DATA = {"core.context", "core.roles", "core.audit", "core.moments", "core.sqlite.base",
             "core.fields"}


def _module(path: Path) -> str:
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _app(module: str) -> str:
    return module.split(".")[0] if "." in module else ""


def layer_of(module: str) -> int:
    parts = module.split(".")
    if module in PURE_MODULES:
        return PURE
    if parts[0] in TOP_PACKAGES or module in TOP_MODULES or module == "":
        return TOP
    if module in CORE_DATA:
        return DATA
    if "management" in parts or "templatetags" in parts:
        return WEB
    if len(parts) == 1 and parts[0] in APP_ORDER:
        return DATA  # an app's package itself
    if parts[-1] in LAYER_OF_NAME:
        return LAYER_OF_NAME[parts[-1]]
    raise AssertionError(f"mesoclinic.{module} has no layer: name it in tests/test_layers.py")


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module of ours this file imports, at the top or inside a function (an import
    hidden in a function is still an import)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module:
            package = node.module.count(".") == 1 \
                and node.module.split(".")[1] in APP_ORDER + sorted(TOP_PACKAGES)
            if node.module == "mesoclinic" or package:
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found += [(node.lineno, name.removeprefix("mesoclinic."))
                  for name in names if name.startswith("mesoclinic.")]
    return found


def _known(module: str) -> str:
    """The module itself, for an import of a name from a module."""
    while module and not ((SOURCE / module.replace(".", "/")).with_suffix(".py").exists()
                          or (SOURCE / module.replace(".", "/") / "__init__.py").exists()):
        module = module.rpartition(".")[0]
    return module


def allowed(source: str, target: str) -> bool:
    low, high = layer_of(target), layer_of(source)
    same_app = _app(source) == _app(target)
    if high == PURE:
        return low == PURE
    if low == PURE or high == TOP:
        return True
    if high == WEB:
        return low < WEB or same_app or _app(target) == "core"
    if low < high:
        return True
    if low > high:
        return False
    return same_app or (_app(target) in APP_ORDER and _app(source) in APP_ORDER
                        and APP_ORDER.index(_app(target)) < APP_ORDER.index(_app(source)))


def _violations() -> list[str]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        source = _module(path)
        for line, name in _imports(path):
            target = _known(name)
            if target and target != source and not allowed(source, target):
                found.append(f"{source}:{line} ({LAYER_NAMES[layer_of(source)]}) imports "
                             f"{target} ({LAYER_NAMES[layer_of(target)]})")
    return found


def test_every_import_goes_down_a_layer_or_back_along_the_journey():
    assert _violations() == []


def test_the_apps_in_order_are_the_apps_there_are():
    packages = {p.parent.name for p in SOURCE.glob("*/__init__.py")}
    assert packages - {"static", "templates"} == set(APP_ORDER) | TOP_PACKAGES


def test_the_rules_refuse_what_the_design_forbids():
    # Each line is a mistake this layout was reorganised to remove.
    assert not allowed("core.selectors", "core.services")  # a read that writes
    assert not allowed("safety.selectors", "booking.selectors")  # back up the journey
    assert not allowed("courses.models", "aftercare.models")
    assert not allowed("consultation.views", "patients.views")  # one page in another
    assert not allowed("safety.rules", "courses.models")  # the engine takes plain values
    assert not allowed("courses.models", "courses.services")  # no model calls a service
    assert not allowed("core.models", "demo.seed")
    # …and what it allows.
    assert allowed("courses.services", "safety.selectors")  # a session runs the checklist
    assert allowed("safety.selectors", "aftercare.selectors")  # facts from lower apps
    assert allowed("courses.selectors", "safety.rules")
    assert allowed("chart.selectors", "outcomes.selectors")
    assert allowed("courses.views", "booking.course_booking")
