"""Load a bench/ script as a module by its path: under pytest the name ``bench`` is this tests/bench package."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def load_script(name: str) -> ModuleType:
    """bench/NAME.py as the module ``trailwarden_bench_NAME``."""
    spec = importlib.util.spec_from_file_location(f"trailwarden_bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
