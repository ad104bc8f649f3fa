"""Hypothesis profiles for the fuzz tests: a short, seeded one for CI, a long one for ``make fuzz``.

``ci`` (the default) is derandomized — the same examples on every run, so a CI failure is
reproducible — and keeps the fuzz tests to ~20 s on two cores. ``fuzz`` (``make fuzz``, or
``HYPOTHESIS_PROFILE=fuzz``) runs 10,000 examples per test (``FUZZ_EXAMPLES`` to change it) with
random seeds and longer strings; a failure prints the ``@reproduce_failure`` line to pin it down.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
                 HealthCheck.large_base_example]
settings.register_profile("ci", max_examples=120, derandomize=True, deadline=None, database=None,
                          suppress_health_check=_SLOW_IS_FINE, print_blob=True)
settings.register_profile("fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "10000")), deadline=None,
                          suppress_health_check=_SLOW_IS_FINE, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
# Longest generated string: short in CI, up to ~1 MB in the long run.
LONG_MAX = 1_000_000 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 20_000
