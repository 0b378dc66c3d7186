"""The OpenAPI document names each schema once: two request or answer models of the same
name would make one operation describe the other's data (as once happened to the
allergy test's injections)."""

import importlib
import pkgutil
from collections import defaultdict

from pydantic import BaseModel

import mesoclinic


def test_no_two_api_models_share_a_name():
    by_name: dict[str, set[str]] = defaultdict(set)
    for module_info in pkgutil.walk_packages(mesoclinic.__path__, "mesoclinic."):
        if module_info.name.rsplit(".", 1)[-1] not in ("api", "schemas", "services"):
            continue
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseModel) \
                    and value.__module__ == module.__name__:
                by_name[value.__name__].add(value.__module__)
    assert {name: places for name, places in by_name.items() if len(places) > 1} == {}
