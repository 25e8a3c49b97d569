"""Run every benchmark: ``python -m tests.benchmarks [--quick] [name ...]``.

Each ``bench_*.py`` module has a ``main(argv)`` that prints one JSON line per
figure: ``{"name", "value", "unit", "baseline", "ratio"}``. How long each module
took, and the whole run, goes to stderr at the end (``# wall ...`` lines), so a
change that makes ``make bench`` slower shows where. The browser modules share one
JupyterLab, Chromium and page (:mod:`tests.benchmarks.lab`), started by the first
of them and stopped at the end of the run (its start counts in that module's wall).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
import traceback
from pathlib import Path

from tests.benchmarks import lab


def main(argv: list[str]) -> int:
    flags = [a for a in argv if a.startswith("-")]
    names = [a for a in argv if not a.startswith("-")]
    here = Path(__file__).parent
    found = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    unknown = [n for n in names if n not in found]
    if unknown:
        print(f"no benchmark module {', '.join(unknown)}; there are: {', '.join(found)}",
              file=sys.stderr)  # fmt: skip
        return 2
    failed: list[str] = []
    walls: list[tuple[str, float]] = []
    start = time.perf_counter()
    with lab.shared():  # one JupyterLab, browser and page for every browser module
        for mod in found:
            if names and mod not in names:
                continue
            print(f"# {mod}", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            try:
                importlib.import_module(f"tests.benchmarks.{mod}").main(flags)
            except Exception:  # one broken benchmark must not hide the others' figures
                traceback.print_exc()
                failed.append(mod)
            walls.append((mod, time.perf_counter() - t0))
    total = time.perf_counter() - start
    for mod, wall in walls:
        print(f"# wall {mod}: {wall:.0f} s{' (failed)' if mod in failed else ''}",
              file=sys.stderr)  # fmt: skip
    print(f"# wall total: {total:.0f} s ({total / 60:.1f} min)", file=sys.stderr, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
