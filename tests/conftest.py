"""Suite-wide test setup: `make test` runs the tests on two xdist workers (one per core)."""

from __future__ import annotations

import pytest

# Tests that package the app (`chalice package` builds inside the project) or read its packages:
# one worker runs them all, so the session's packages are built once and never concurrently.
PACKAGING = ("tests/deploy/",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(PACKAGING):
            item.add_marker(pytest.mark.xdist_group("package"))
