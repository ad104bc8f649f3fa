"""Detections, one module per rule. ``load_rules`` imports them all into the registry."""

from __future__ import annotations

import importlib
import pkgutil

from chalicelib.rules.base import Rule
from chalicelib.rules.registry import REGISTRY

_SUPPORT = {"base", "registry"}


def load_rules() -> list[Rule]:
    """Import every rule module once (registration happens at import) and instantiate them."""
    for info in pkgutil.iter_modules(__path__):
        if info.name not in _SUPPORT and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    return REGISTRY.instances()
