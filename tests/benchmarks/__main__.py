"""Run every benchmark: ``python -m tests.benchmarks [--quick] [name ...]``.

Each ``bench_*.py`` module has a ``main(argv)`` that prints one JSON line per
figure: ``{"name", "value", "unit", "baseline", "ratio"}``.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback
from pathlib import Path


def main(argv: list[str]) -> int:
    flags = [a for a in argv if a.startswith("-")]
    names = [a for a in argv if not a.startswith("-")]
    here = Path(__file__).parent
    failed = 0
    for mod in sorted(m.name for m in pkgutil.iter_modules([str(here)])):
        if not mod.startswith("bench_") or (names and mod not in names):
            continue
        print(f"# {mod}", file=sys.stderr, flush=True)
        try:
            importlib.import_module(f"tests.benchmarks.{mod}").main(flags)
        except Exception:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
