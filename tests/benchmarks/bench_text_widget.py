"""AnnotateTextWidget latencies in a real JupyterLab and headless Chromium.

``python tests/benchmarks/bench_text_widget.py [--docs 60] [--interval 0.25]
[--repeat 1] [--quick]``

Three figures, each with its reference measured in the same run and browser:

``text.open_doc_ms.p95``
    Enter on a document to the next one painted with its pre-labels (the
    widget's ``window.__workbenchTimings``: keydown timestamp to the end of
    the first frame painted with the new document, layout and paint included). Documents of 10,000
    characters with 200 pre-labeled spans each. Baseline: the same without
    prefetch (``prefetch=0``: each document is asked of the kernel after the key).
``text.select_to_paint_ms.p95``
    A class key on a selected token to the span painted (the widget's
    ``wbText.editPaints()``: keydown to the end of the next frame painted
    after the marks are set), on those 10,000-character documents with their
    200 suggestions shown. Baseline: the same keys on a 100-character document
    without pre-labels (the cost of the key and the frame themselves).
    ``parts_p95_ms`` splits it (``wbText.editSteps()``, each part's own p95):
    ``handled`` (keydown to the end of the widget's handler: the browser's and
    JupyterLab's dispatch, then the handler), ``wait`` (to the start of the
    next frame), ``frame`` (its style, layout and paint).
``text.open_long_doc_ms``
    A 1,000,000-character document: Enter on the short document before it to
    the long one painted, plus scrolling it to its end (the last block painted).
    Baseline: the same text put whole into one ``white-space: pre-wrap``
    element in the same page (no windowing) and scrolled to its end.

Prints one JSON line per figure: ``{"name", "value", "unit", "baseline",
"ratio"}``; details go to stderr. With ``--repeat N`` each side runs N times
and the best (lowest) figure is kept.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.bench_widget import percentile  # noqa: E402
from tests.benchmarks.lab import Lab, lab  # noqa: E402
from tests.benchmarks.report import emit, log  # noqa: E402
from tests.browser.harness import LabPage, chromium_path, wait_events, wait_for  # noqa: E402
from tests.browser.views import WidgetView  # noqa: E402


class TextView(WidgetView):
    root_class = "wb-annotate-text"

    def hook(self, name: str) -> object:
        return self.page.evaluate(
            f"(s) => [...document.querySelectorAll(s)].pop().wbText.{name}()", self.selector
        )


#: The notebook's first cell: documents of whole words, and a pre-labeler that
#: marks every ``stride``-th word (a callable, so no model is needed).
SETUP = """\
import random, workbench as wb
DB = {db!r}
rng = random.Random(7)
WORDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'theta', 'kappa']
def doc(n):
    out, size = [], 0
    while size < n:
        w = rng.choice(WORDS)
        out.append(w)
        size += len(w) + 1
    return ' '.join(out)[:n].rstrip()
TEXTS = {texts}
IDS = [f'doc-{{i:04d}}' for i in range(len(TEXTS))]
schema = wb.Schema((wb.TextSpans('entities', classes=[
    wb.LabelClass('PER', key='1'), wb.LabelClass('LOC', key='2'), wb.LabelClass('ORG', key='3')],
    tokens='words'),))
project = wb.Project(DB, schema=schema, annotator='bench')
project.add_texts(TEXTS, ids=IDS)
def marks(text, n={spans}):
    words, at = [], 0
    for w in text.split(' '):
        words.append((at, at + len(w)))
        at += len(w) + 1
    step = max(1, len(words) // n) if n else 0
    picked = words[::step][:n] if n else []
    cls = ('PER', 'LOC', 'ORG')
    return [(s, e, cls[k % 3], 0.5 + (k % 50) / 100) for k, (s, e) in enumerate(picked)]
if {spans}:
    project.prelabel(marks, task='entities', name='bench', progress=False)
len(project)
"""


def open_view(lb: Lab, *, texts: str, spans: int, prefetch: int) -> tuple[LabPage, TextView, Path]:
    name = f"text_p{prefetch}_{int(time.time() * 1000)}"
    db = lb.notebooks / f"{name}.db"
    setup = SETUP.format(db=str(db), texts=texts, spans=spans)
    lp = lb.open(name, [setup, f"w = project.annotate_text(prefetch={prefetch})\nw"])
    view = TextView(lp)
    lp.run_all()
    view.wait_ready(timeout=180)
    view.focus()
    time.sleep(1.5)  # the first queue fills while the user reads the first document
    return lp, view, db


#: Select the ``k``-th word of the shown text (as a double-click would), through the
#: widget's test hook: the selection is not timed, the class key after it is.
SELECT_WORD_JS = """([s, k]) => {
    const root = [...document.querySelectorAll(s)].pop();
    const text = root.wbText.text();
    const re = /\\S+/g;
    let m = null;
    for (let i = 0; i <= k; i++) m = re.exec(text);
    if (m) root.wbText.select(m.index, m.index + m[0].length);
    return !!m;
}"""


def select_to_paint(
    lp: LabPage, view: TextView, presses: int, *, stride: int = 3
) -> tuple[list[float], list[list[float]]]:
    """Select every ``stride``-th word, press a class key on it: the key's paint, timed,
    and its three parts (``editSteps``: key to handled, wait for the frame, the frame)."""
    before = len(view.hook("editPaints"))  # type: ignore[arg-type]
    for k in range(presses):
        assert view.page.evaluate(SELECT_WORD_JS, [view.selector, 1 + k * stride]), k
        time.sleep(0.05)
        lp.page.keyboard.press("123"[k % 3])
        time.sleep(0.05)
    wait_for(
        lambda: len(view.hook("editPaints")) >= before + presses,  # type: ignore[arg-type]
        timeout=60,
        what=f"{presses} span paints",
    )
    steps = view.hook("editSteps")[before:]  # type: ignore[index]
    return [float(x) for x in view.hook("editPaints")[before:]], steps  # type: ignore[index]


def docs_run(
    lb: Lab, *, prefetch: int, docs: int, interval: float, select: int
) -> tuple[list[float], tuple[list[float], list[list[float]]]]:
    """Enter through ``docs`` 10k-character documents; then span keys on the next one."""
    texts = f"[doc(10_000) for _ in range({docs + 20})]"
    lp, view, db = open_view(lb, texts=texts, spans=200, prefetch=prefetch)
    try:
        assert view.state().get("spans") == "0", view.state()
        view.clear_timings()
        lp.press_keys(["Enter"] * docs, interval=interval)
        wait_for(lambda: len(view.timings()) >= docs, timeout=120, what=f"{docs} documents")
        wait_events(db, lambda ev: len(ev) >= docs, timeout=120, what=f"{docs} labels")
        opened = [float(t["ms"]) for t in view.timings()[:docs]]
        painted = select_to_paint(lp, view, select) if select else ([], [])
        return opened, painted
    finally:
        lb.done(lp)


def short_select_run(lb: Lab, *, select: int) -> tuple[list[float], list[list[float]]]:
    lp, view, _ = open_view(lb, texts="[doc(100) for _ in range(3)]", spans=0, prefetch=2)
    try:
        return select_to_paint(lp, view, min(select, 15), stride=1)  # 100 characters: ~17 words
    finally:
        lb.done(lp)


LONG_JS = """async ([s, plain]) => {
    const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
    const root = [...document.querySelectorAll(s)].pop();
    if (plain) {  // the reference: the whole text in one element, no windowing
        const text = root.wbText.text();
        const box = document.createElement('div');
        box.style.cssText = 'white-space: pre-wrap; overflow: auto; height: 400px';
        root.appendChild(box);
        const t0 = performance.now();
        box.textContent = text;
        await frame();
        const opened = performance.now() - t0;
        const t1 = performance.now();
        box.scrollTop = box.scrollHeight;
        await frame();
        const scrolled = performance.now() - t1;
        box.remove();
        return {opened, scrolled, chars: text.length};
    }
    const scroller = root.querySelector('.wb-text-scroll');
    const t1 = performance.now();
    let last = -1;
    for (let i = 0; i < 20; i++) {
        scroller.scrollTop = scroller.scrollHeight;
        await frame();
        last = root.wbText.blockCount() - 1;
        if (root.wbText.paintedBlocks().includes(last)
            && scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 2) break;
    }
    const scrolled = performance.now() - t1;
    return {scrolled, painted: root.wbText.paintedBlocks().includes(last), blocks: last + 1};
}"""


def long_run(lb: Lab, *, repeat: int) -> tuple[float, float]:
    """(widget ms, whole-text ms): open the 1M-character document and scroll to its end."""
    texts = f"[t for _ in range({repeat}) for t in (doc(2_000), doc(1_000_000))]"
    lp, view, _ = open_view(lb, texts=texts, spans=0, prefetch=1)
    best, best_plain = float("inf"), float("inf")
    try:
        for k in range(repeat):
            view.clear_timings()
            wait_for(
                lambda: int(view.state().get("queue") or 0) >= 1, timeout=60, what="prefetched"
            )
            lp.press_keys(["Enter"], interval=0.1)
            wait_for(lambda: len(view.timings()) >= 1, timeout=60, what="long document painted")
            opened = float(view.timings()[0]["ms"])
            assert view.state().get("itemId") == f"doc-{2 * k + 1:04d}", view.state()
            got = view.page.evaluate(LONG_JS, [view.selector, False])
            assert got["painted"], got
            # The reference, on the same text in the same page.
            plain = view.page.evaluate(LONG_JS, [view.selector, True])
            log(
                f"# long document {k}: opened {opened:.0f} ms + scrolled {got['scrolled']:.0f} ms"
                f" ({got['blocks']} blocks); whole text: {plain['opened']:.0f} + "
                f"{plain['scrolled']:.0f} ms ({plain['chars']} chars)"
            )
            best = min(best, opened + got["scrolled"])
            best_plain = min(best_plain, plain["opened"] + plain["scrolled"])
            if k + 1 < repeat:
                lp.press_keys(["Enter"], interval=0.1)  # on to the next short document
                wait_for(
                    lambda k=k: view.state().get("itemId") == f"doc-{2 * k + 2:04d}",
                    timeout=60,
                    what="next short document",
                )
                time.sleep(1.0)
        return best, best_plain
    finally:
        lb.done(lp)


def p95_logged(what: str, ms: list[float]) -> float:
    """The p95 of ``ms``, with its spread on stderr."""
    p95 = percentile(ms, 95)
    log(f"# {what} n={len(ms)} p50={percentile(ms, 50):.1f} p95={p95:.1f} max={max(ms):.1f} ms")
    return p95


#: The parts of an edit's key-to-paint time (``wbText.editSteps``).
STEPS = ("handled", "wait", "frame")


def steps_p95(steps: list[list[float]]) -> dict[str, float]:
    """Each part's p95 (ms): key to handled (the browser's and JupyterLab's dispatch and
    the widget's handler), the wait for the next frame, the frame (layout and paint)."""
    p95 = {name: round(percentile([s[k] for s in steps], 95), 1) for k, name in enumerate(STEPS)}
    log(f"#   parts p95: {p95}")
    return p95


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=60, help="documents opened per side")
    parser.add_argument("--select", type=int, default=60, help="span keys timed")
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between Enters")
    parser.add_argument("--prefetch", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=1, help="runs per side; best is kept")
    parser.add_argument("--quick", action="store_true", help="20 documents, 20 span keys")
    args, _ = parser.parse_known_args(argv)
    if args.quick:
        args.docs, args.select = min(args.docs, 20), min(args.select, 20)

    if chromium_path() is None:
        print("# bench_text_widget: Chromium not found; skipped", file=sys.stderr)
        return 0
    opened: dict[int, float] = {}
    selected: dict[str, float] = {}
    parts: dict[str, dict[str, float]] = {}
    with lab() as lb:
        for prefetch in (args.prefetch, 0):
            for run in range(args.repeat):
                ms, sel = docs_run(lb, prefetch=prefetch, docs=args.docs, interval=args.interval,
                                   select=args.select if prefetch else 0)  # fmt: skip
                p95 = p95_logged(f"open prefetch={prefetch} run={run}", ms)
                opened[prefetch] = min(p95, opened.get(prefetch, float("inf")))
                if sel[0]:
                    s95 = p95_logged(f"select 10k/200 spans run={run}", sel[0])
                    if s95 < selected.get("doc", float("inf")):
                        selected["doc"], parts["doc"] = s95, steps_p95(sel[1])
        for run in range(args.repeat):
            sel = short_select_run(lb, select=args.select)
            s95 = p95_logged(f"select 100 chars run={run}", sel[0])
            if s95 < selected.get("short", float("inf")):
                selected["short"], parts["short"] = s95, steps_p95(sel[1])
        long_ms, plain_ms = long_run(lb, repeat=max(2, args.repeat))

    emit("text.open_doc_ms.p95", opened[args.prefetch], "ms", opened[0], target_ms=50,
         documents=args.docs, chars=10_000, spans=200, prefetch=args.prefetch)  # fmt: skip
    emit("text.select_to_paint_ms.p95", selected["doc"], "ms", selected["short"], target_ms=16,
         keys=args.select, baseline_is="the same keys on a 100-character text",
         parts_p95_ms=parts["doc"], baseline_parts_p95_ms=parts["short"])  # fmt: skip
    emit("text.open_long_doc_ms", long_ms, "ms", plain_ms, target_ms=500, chars=1_000_000,
         baseline_is="the whole text in one pre-wrap element, scrolled to its end")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
