"""The project's scripts outside the package (benchmarks/, deploy/) loaded as modules by the tests that check them."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[3]


def load(relative: str, name: str) -> ModuleType:
    """The file at `relative` (from the repository's root), executed as a fresh module called `name`."""
    spec = importlib.util.spec_from_file_location(name, ROOT / relative)
    assert spec is not None and spec.loader is not None, relative
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
