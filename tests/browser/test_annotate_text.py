"""AnnotateTextWidget in a real JupyterLab: spans selected with the mouse and the
keyboard, a relation, undo, Enter, then a reload and a kernel restart with labels
still in the browser's outbox: no span is lost.

Texts are ASCII after an astral character (an emoji), so offsets in the store
(Python ``str`` indices) differ from the browser's UTF-16 ones: a span stored at
the wrong offsets shows as the wrong words.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from .harness import (
    LabPage,
    ensure_restarted,
    item_labels,
    kill_kernel,
    process_state,
    wait_for,
    wait_item_label,
)
from .views import WidgetView

TEXTS = [
    "😀 Ann Lee lives in Paris with Bob.",
    "שלום caf\u0065\u0301 לכולם from Oslo.",  # right-to-left words, a combining accent
    "Nothing to see here.",
]


class TextView(WidgetView):
    root_class = "wb-annotate-text"

    def box(self, text: str, *, nth: int = 0) -> dict[str, float]:
        """The page box of the ``nth`` occurrence of ``text`` in the shown item."""
        return self.page.evaluate(
            """([s, text, nth]) => {
                const root = [...document.querySelectorAll(s)].pop();
                const segs = [...root.querySelectorAll('.wb-seg')];
                const whole = segs.map((x) => x.textContent).join('');
                let at = -1;
                for (let k = 0; k <= nth; k++) at = whole.indexOf(text, at + 1);
                if (at < 0) return null;
                const point = (u) => {
                    for (const seg of segs) {
                        const o = Number(seg.dataset.o), e = Number(seg.dataset.e);
                        if (u >= o && u <= e) return [seg.firstChild, u - o];
                    }
                    return null;
                };
                const first = Number(segs[0].dataset.o);
                const r = document.createRange();
                r.setStart(...point(first + at));
                r.setEnd(...point(first + at + text.length));
                const b = r.getBoundingClientRect();
                return {x: b.left, y: b.top, w: b.width, h: b.height};
            }""",
            [self.selector, text, nth],
        )

    def drag_over(self, text: str) -> None:
        b = self.box(text)
        y = b["y"] + b["h"] / 2
        self.page.mouse.move(b["x"] + 1, y)
        self.page.mouse.down()
        self.page.mouse.move(b["x"] + b["w"] / 2, y, steps=4)
        self.page.mouse.move(b["x"] + b["w"] - 1, y, steps=4)
        self.page.mouse.up()

    def dblclick(self, text: str) -> None:
        b = self.box(text)
        self.page.mouse.dblclick(b["x"] + b["w"] / 2, b["y"] + b["h"] / 2)

    def click(self, text: str, *, modifiers: tuple[str, ...] = ()) -> None:
        b = self.box(text)
        for m in modifiers:
            self.page.keyboard.down(m)
        self.page.mouse.click(b["x"] + b["w"] / 2, b["y"] + b["h"] / 2)
        for m in modifiers:
            self.page.keyboard.up(m)


#: Contrast of the text, the span segments and the tags against what is behind them.
CONTRAST_JS = """(s) => {
    const root = [...document.querySelectorAll(s)].pop();
    const rgb = (c) => {  // "rgb(a) (...)" or "color(srgb r g b / a)" (what color-mix gives)
        const v = (c.match(/[\\d.]+/g) || []).map(Number);
        return c.startsWith('color(') ? [...v.slice(0, 3).map((x) => x * 255), ...v.slice(3)] : v;
    };
    const lum = ([r, g, b]) => {
        const f = (v) => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const over = (fg, bg) => {  // fg with alpha over an opaque bg
        const a = fg.length > 3 ? fg[3] : 1;
        return [0, 1, 2].map((i) => fg[i] * a + bg[i] * (1 - a));
    };
    const ratio = (a, b) => {
        const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
        return (x + 0.05) / (y + 0.05);
    };
    const scroller = root.querySelector('.wb-text-scroll');
    const base = rgb(getComputedStyle(scroller).backgroundColor);
    const out = [];
    for (const el of root.querySelectorAll('.wb-seg')) {
        const st = getComputedStyle(el);
        const bg = over(rgb(st.backgroundColor), base);
        out.push(['seg ' + el.textContent.slice(0, 12), ratio(over(rgb(st.color), bg), bg)]);
    }
    for (const el of root.querySelectorAll('.wb-tag')) {
        const st = getComputedStyle(el);
        const bg = over(rgb(st.backgroundColor), base);
        out.push(['tag ' + el.textContent, ratio(over(rgb(st.color), bg), bg)]);
    }
    return {dark: lum(base) < 0.2, contrast: out};
}"""


def _set_theme(lp: LabPage, theme: str) -> None:
    light = "false" if "Dark" in theme else "true"
    lp.page.evaluate(
        "(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", theme
    )
    lp.page.wait_for_function(
        "(l) => document.body.dataset.jpThemeLight === l", arg=light, timeout=30_000
    )
    lp.page.wait_for_timeout(500)  # the theme's variables applied


def _cells(db: Path, prefetch: int = 2) -> list[str]:
    setup = "\n".join(
        [
            "import workbench as wb",
            f"DB = {str(db)!r}",
            f"TEXTS = {TEXTS!r}",
            "IDS = [f'doc-{i}' for i in range(len(TEXTS))]",
            "schema = wb.Schema((wb.TextSpans('entities',",
            "    classes=[wb.LabelClass('PER', key='1'), wb.LabelClass('LOC', key='2')],",
            "    relations=[wb.Relation('lives_in', key='3', sources=('PER',), targets=('LOC',))],",
            "    tokens='words'),))",
            "project = wb.Project(DB, schema=schema, annotator='browser')",
            "project.add_texts(TEXTS, ids=IDS)",
            "len(project)",
        ]
    )
    return [setup, f"w = project.annotate_text(prefetch={prefetch})\nw"]


def _open(open_notebook, db: Path) -> tuple[LabPage, TextView]:
    lp = open_notebook(_cells(db))
    view = TextView(lp)
    lp.run_all()
    view.wait_ready(timeout=90)
    view.focus()
    assert view.state()["itemId"] == "doc-0"
    return lp, view


def _words(value: dict[str, Any], text: str) -> list[tuple[str, str]]:
    return [(text[s["start"] : s["end"]], s["class"]) for s in value["spans"]]


def test_select_label_relation_undo_and_enter(open_notebook, workdir):
    db = workdir / "text.db"
    lp, view = _open(open_notebook, db)
    text = TEXTS[0]

    # A drag over "nn Le" (cut words) snaps to the tokens: "Ann Lee", PER.
    view.drag_over("nn Le")
    lp.press_keys(["1"], interval=0.05)
    assert _words(wait_item_label(db, "doc-0", 1, "first span"), text) == [("Ann Lee", "PER")]

    # A double-click selects a word: "Paris", LOC.
    view.dblclick("Paris")
    lp.press_keys(["2"], interval=0.05)
    second = wait_item_label(db, "doc-0", 2, "second span")
    assert _words(second, text) == [("Ann Lee", "PER"), ("Paris", "LOC")]

    # Click one span, Ctrl-click the other, the relation key: Ann Lee lives_in Paris.
    view.click("Lee")
    view.click("Paris", modifiers=("Control",))
    lp.press_keys(["3"], interval=0.05)
    third = wait_item_label(db, "doc-0", 3, "relation")
    ids = {s["id"]: text[s["start"] : s["end"]] for s in third["spans"]}
    assert [(ids[r["from"]], r["class"], ids[r["to"]]) for r in third["relations"]] == [
        ("Ann Lee", "lives_in", "Paris")
    ]

    # The keyboard: → selects the token after the last span made, Shift+→ extends
    # (offsets in code points: the emoji before them is one).
    lp.press_keys(["Escape", "ArrowRight"], interval=0.05)
    assert view.state()["selection"] == "25:29"  # "with"
    lp.press_keys(["Shift+ArrowRight"], interval=0.05)
    assert view.state()["selection"] == "25:33"  # "with Bob"
    # Undo the relation, then Enter stores nothing more and moves on.
    lp.press_keys(["Escape", "Control+z"], interval=0.05)
    undone = wait_item_label(db, "doc-0", 4, "undo")
    assert undone["relations"] == [] and len(undone["spans"]) == 2
    lp.press_keys(["Enter"], interval=0.05)
    wait_for(lambda: view.state().get("itemId") == "doc-1", timeout=10, what="next item")
    view.wait_outbox_empty()
    assert len(item_labels(db, "doc-0")) == 4

    # Right-to-left words and a combining accent before the span keep its offsets.
    view.dblclick("לכולם")
    lp.press_keys(["1"], interval=0.05)
    view.dblclick("Oslo")
    lp.press_keys(["2"], interval=0.05)
    rtl = wait_item_label(db, "doc-1", 2, "spans after right-to-left text")
    assert _words(rtl, TEXTS[1]) == [("לכולם", "PER"), ("Oslo", "LOC")]
    paints = view.page.evaluate(
        "(s) => [...document.querySelectorAll(s)].pop().wbText.editPaints()", view.selector
    )
    opened = view.page.evaluate("() => (window.__workbenchTimings || []).map((t) => t.ms)")
    print(f"select_to_paint_ms: {sorted(paints)}; key to next document painted: {opened}")

    # Light and dark: the text, the spans and their tags keep their contrast.
    try:
        for theme in ("JupyterLab Dark", "JupyterLab Light"):
            _set_theme(lp, theme)
            seen = view.page.evaluate(CONTRAST_JS, view.selector)
            assert seen["dark"] == ("Dark" in theme), seen
            low = [(what, round(r, 2)) for what, r in seen["contrast"] if r < 4.5]
            assert not low, f"under 4.5:1 in {theme}: {low}"
            assert len(seen["contrast"]) >= 5, seen
    finally:
        _set_theme(lp, "JupyterLab Light")  # a server-wide user setting


def test_a_million_character_document_opens_scrolls_and_labels_at_its_end(open_notebook, workdir):
    db = workdir / "long.db"
    setup = "\n".join(
        [
            "import workbench as wb",
            f"DB = {str(db)!r}",
            "words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'] * 40000",
            "body = ' '.join(words)",
            "TEXT = body[: 1_000_000 - len(' Zurich.')] + ' Zurich.'",
            "schema = wb.Schema((wb.TextSpans('entities', classes=['PER', 'LOC'],",
            "    tokens='words'),))",
            "project = wb.Project(DB, schema=schema, annotator='browser')",
            "project.add_texts([TEXT], ids=['long'])",
            "len(TEXT)",
        ]
    )
    lp = open_notebook([setup, "w = project.annotate_text(prefetch=1)\nw"])
    view = TextView(lp)
    lp.run_all()
    view.wait_ready(timeout=90)
    view.focus()
    info = view.page.evaluate(
        """async (s) => {
            const root = [...document.querySelectorAll(s)].pop();
            const scroller = root.querySelector('.wb-text-scroll');
            const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
            const t0 = performance.now();
            scroller.scrollTop = scroller.scrollHeight;
            for (let i = 0; i < 4; i++) {
                await frame();
                scroller.scrollTop = scroller.scrollHeight;
            }
            const ms = performance.now() - t0;
            const painted = root.wbText.paintedBlocks();
            return {ms, painted, blocks: root.wbText.blockCount(),
                    chars: root.querySelector('.wb-text-content').textContent.length};
        }""",
        view.selector,
    )
    print(f"long document: {info['blocks']} blocks, scrolled to the end in {info['ms']:.0f} ms")
    assert info["blocks"] - 1 in info["painted"], info
    assert 0 not in info["painted"], "the blocks at the top were let go"
    assert info["chars"] < 100_000, "only the blocks near the view hold text"
    view.dblclick("Zurich")
    lp.press_keys(["2"], interval=0.05)
    (span,) = wait_item_label(db, "long", 1, "span at the end")["spans"]
    assert (span["start"], span["end"], span["class"]) == (999_993, 999_999, "LOC")


def test_spans_left_in_the_outbox_survive_a_reload_and_a_kernel_restart(
    open_notebook, workdir, lab_server
):
    db = workdir / "durable.db"
    lp, view = _open(open_notebook, db)
    kid = lab_server.kernel_id(lp.notebook)
    text = TEXTS[0]
    view.dblclick("Paris")
    lp.press_keys(["2"], interval=0.05)
    wait_item_label(db, "doc-0", 1, "first span")
    view.wait_outbox_empty()

    pid = kill_kernel(lab_server, lp.notebook, signal.SIGSTOP)
    wait_for(lambda: process_state(pid) == "T", timeout=5, what="kernel stopped")
    try:
        # Two more spans while the kernel cannot answer: "with Bob" by keyboard (the
        # token after Paris, extended), "Ann" by a double-click.
        lp.press_keys(["Escape", "ArrowRight", "Shift+ArrowRight", "1"], interval=0.05)
        view.dblclick("Ann")
        lp.press_keys(["1"], interval=0.05)
        wait_for(lambda: view.state()["outbox"] == "2", timeout=10, what="2 unacknowledged")
        assert len(item_labels(db, "doc-0")) == 1
        lp.page.reload(wait_until="domcontentloaded")
        lp.page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
        assert len(view.outbox_entries()) == 2
    finally:
        os.kill(pid, signal.SIGKILL)  # JupyterLab restarts the kernel
    ensure_restarted(lab_server, kid, pid)
    lp.wait_ready(timeout=90)
    view = TextView(lp)
    lp.run_all()
    view.wait_ready(timeout=90)
    view.wait_outbox_empty(timeout=60)
    final = wait_item_label(db, "doc-0", 3, "both snapshots stored")
    assert sorted(_words(final, text)) == [("Ann", "PER"), ("Paris", "LOC"), ("with Bob", "PER")]
    # The newest snapshot decides the item.
    assert sorted(_words(item_labels(db, "doc-0")[-1], text)) == sorted(_words(final, text))
