"""How the code is laid out, checked: one clock, translations looked up when they are
read."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils.functional import Promise

SOURCE = Path(__file__).resolve().parent.parent / "mesoclinic"


def _python_files() -> list[Path]:
    return [p for p in SOURCE.rglob("*.py") if "migrations" not in p.parts]


def _lines_matching(pattern: re.Pattern[str], *, except_in: str) -> list[str]:
    return [f"{path.relative_to(SOURCE)}:{number}"
            for path in _python_files() if path.name != except_in
            for number, line in enumerate(path.read_text().splitlines(), 1)
            if pattern.search(line)]


def test_every_moment_and_every_today_comes_from_the_one_clock():
    # core.clock is what tests move; a clinic's "today" is moments.today(clinic).
    wall_clock = re.compile(
        r"timezone\.now\(\)|timezone\.localdate\(\)|date\.today\(\)|datetime\.now\(")
    assert _lines_matching(wall_clock, except_in="clock.py") == []


def test_texts_defined_at_import_are_translated_when_read():
    from mesoclinic.aftercare.selectors import REASON_LABELS
    from mesoclinic.booking.selectors import DEFAULT_TYPES
    from mesoclinic.core.web import _FRIENDLY
    from mesoclinic.courses.views import REACTIONS
    from mesoclinic.outcomes.selectors import DIMENSIONS

    texts = [*REASON_LABELS.values(), *(name for _k, name, *_ in DEFAULT_TYPES),
             *_FRIENDLY.values(), *(label for _k, label in REACTIONS), *DIMENSIONS.values()]
    assert texts and all(isinstance(text, Promise) for text in texts)


def test_an_exported_cell_that_could_start_a_formula_is_quoted_whatever_its_first_sign():
    from mesoclinic.core.csv_export import csv_response, spreadsheet_safe

    for risky in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert spreadsheet_safe(risky) == "'" + risky
    assert spreadsheet_safe("Durand") == "Durand" and spreadsheet_safe(-1.5) == -1.5
    response = csv_response(filename="x.csv", header=["a", "b"], rows=[["\t=cmd", 2]])
    assert response.content.decode().splitlines() == ["a,b", "'\t=cmd,2"]


def test_sets_of_roles_are_written_out_in_core_roles_only():
    # Who may do what is named there (CLINICAL_ROLES, PRESCRIBING_ROLES, may_prescribe…).
    role_set = re.compile(r"Role\.[A-Z]+\s*,\s*Role\.[A-Z]+|"
                          r"[\"'](owner|practitioner|nurse|reception)[\"']\s*,\s*"
                          r"[\"'](owner|practitioner|nurse|reception)[\"']")
    assert _lines_matching(role_set, except_in="roles.py") == []


def test_every_row_lock_says_what_it_protects():
    unexplained = []
    for path in _python_files():
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            if "select_for_update(" in line:
                before = " ".join(lines[max(0, number - 4):number + 1])
                if not re.search(r"#.*(Locked|lock)|\"\"\".*lock", before, re.I):
                    unexplained.append(f"{path.relative_to(SOURCE)}:{number + 1}")
    assert unexplained == []


def _page_patterns():
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern), entry

    return list(walk(get_resolver().url_patterns))


def test_every_page_that_only_changes_things_answers_405_to_a_get(client_as, personas):
    import inspect

    post_only = re.compile(r"@require_POST|@require_http_methods\(\[\"POST\"\]\)")
    checked = []
    for route, pattern in _page_patterns():
        if route.startswith("api/"):
            continue  # the API declares its methods in the OpenAPI document
        view = inspect.unwrap(pattern.callback)
        try:
            source = inspect.getsource(view)
        except (OSError, TypeError):
            continue
        if not post_only.search(source):
            continue
        path = "/" + re.sub(r"<(?:(\w+):)?\w+>",
                            lambda m: "1" if m.group(1) in ("int", None) else "x", route)
        # Whoever may use the page (some are the practitioner's alone) is told 405.
        statuses = {client_as(member).get(path).status_code
                    for member in (personas.owner, personas.practitioner)}
        assert 405 in statuses and not any(200 <= s < 300 for s in statuses), (path, statuses)
        checked.append(path)
    assert len(checked) >= 17  # the POST-only pages there are today


# What a query looks like in Python: a manager, a queryset method, a raw cursor.
_QUERYING = {"objects", "filter", "exclude", "select_related", "prefetch_related",
             "annotate", "aggregate", "order_by", "values_list", "only", "defer",
             "select_for_update", "bulk_create", "get_or_create", "update_or_create", "raw",
             "exists", "cursor", "in_bulk", "iterator"}
# Types and errors a page may name without querying.
_NAMES_NOT_QUERYING = {"QuerySet", "Model", "DataError", "IntegrityError", "DatabaseError"}


def _queries_in(path: Path) -> list[str]:
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr in _QUERYING:
            found.append(f"{path.relative_to(SOURCE)}:{node.lineno} .{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module in ("django.db",
                                                                  "django.db.models"):
            found.extend(f"{path.relative_to(SOURCE)}:{node.lineno} import {alias.name}"
                         for alias in node.names if alias.name not in _NAMES_NOT_QUERYING)
    return found


def test_pages_and_api_routers_read_through_selectors_never_the_orm():
    web = [p for p in _python_files() if p.name in ("views.py", "api.py")]
    assert len(web) >= 18
    assert [hit for path in web for hit in _queries_in(path)] == []


def test_the_query_finder_sees_a_query():
    # The test above is only as good as its finder.
    probe = SOURCE / "probe_views.py"
    probe.write_text("from django.db.models import Q\n"
                     "rows = Patient.objects.all()\nrows = patient.plans.order_by('id')\n")
    try:
        assert sorted(hit.split(" ", 1)[1] for hit in _queries_in(probe)) == [
            ".objects", ".order_by", "import Q"]
    finally:
        probe.unlink()


def test_pages_and_routers_leave_the_audit_trail_to_loaders_and_services():
    # An access_* loader audits what it shows, a service what it changes: a page that wrote
    # its own event could forget it, or write it outside the change's transaction.
    web = [p for p in _python_files() if p.name in ("views.py", "api.py")]
    writes = re.compile(r"\baudit_record\b|AuditEvent")
    assert [f"{path.relative_to(SOURCE)}:{number}" for path in web
            for number, line in enumerate(path.read_text().splitlines(), 1)
            if writes.search(line)] == []
