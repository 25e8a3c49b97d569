"""How much of each property test ``make test-quick`` runs.

``WORKBENCH_QUICK_EXAMPLES=0.25`` (``make test-quick``): each property test runs
that share of the examples its ``@settings`` ask for. ``make test`` and CI run
them all. The collection hook in ``tests/conftest.py`` scales a test function's
own ``@settings``; a test whose ``@given`` is inside it asks :func:`examples`.
"""

from __future__ import annotations

import os

QUICK_EXAMPLES = float(os.environ.get("WORKBENCH_QUICK_EXAMPLES") or 1)


def examples(n: int, *, at_least: int = 10) -> int:
    """``n`` examples, or their quick share (``at_least`` of them, for a test that
    also asserts each outcome happens at least once)."""
    return n if QUICK_EXAMPLES >= 1 else min(n, max(at_least, round(n * QUICK_EXAMPLES)))
