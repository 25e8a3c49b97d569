"""Page objects for workbench widgets, on top of :class:`harness.LabPage`.

They rely only on the widgets' documented DOM hooks: the root element's class
(``wb-classify``, ``wb-gallery``, ``wb-review``) and its ``data-*`` attributes
(``data-ready="1"`` once the first item is painted, ``data-item-id`` of the
item shown, ``data-queue`` items prefetched, ``data-outbox`` labels not yet
acknowledged), plus the outbox's documented storage layout (one key per label:
``localStorage["workbench-outbox:<project_id>:<client_id>:<seq>"]``) and
``window.__workbenchTimings``.
"""

from __future__ import annotations

from typing import Any

from .harness import LabPage, wait_for

OUTBOX_PREFIX = "workbench-outbox:"


class WidgetView:
    root_class = ""

    def __init__(self, lp: LabPage) -> None:
        self.lp = lp
        self.page = lp.page

    @property
    def selector(self) -> str:
        # The live view: views left over from an earlier run of the cell are marked stale.
        return f".{self.root_class}:not([data-harness-stale])"

    def mark_stale(self) -> None:
        """Mark the views now on the page, so ``wait_ready`` waits for a new one."""
        self.page.evaluate(
            "(c) => document.querySelectorAll('.' + c).forEach("
            "e => e.setAttribute('data-harness-stale', '1'))",
            self.root_class,
        )

    def wait_ready(self, *, timeout: float = 60.0) -> None:
        self.lp.wait_selector(f'{self.selector}[data-ready="1"]', timeout=timeout)

    def state(self) -> dict[str, Any]:
        """The live view's ``data-*`` attributes (empty when there is none)."""
        return self.page.evaluate(
            "(s) => { const all = document.querySelectorAll(s); const e = all[all.length - 1];"
            " return e ? Object.assign({}, e.dataset) : {}; }",
            self.selector,
        )

    def focus(self) -> None:
        self.lp.focus(self.selector)

    def has_focus(self) -> bool:
        return self.page.evaluate(
            "(s) => { const e = document.querySelector(s);"
            " return !!e && e.contains(document.activeElement); }",
            self.selector,
        )

    def wait_outbox_empty(self, *, timeout: float = 60.0) -> None:
        wait_for(
            lambda: self.state().get("outbox") == "0",
            timeout=timeout,
            interval=0.2,
            what=f"{self.root_class} data-outbox == 0",
        )

    def outbox_entries(self) -> list[dict[str, Any]]:
        """Every label message waiting in the browser's outbox (all projects)."""
        return self.page.evaluate(
            """(prefix) => {
                const out = [];
                for (let i = 0; i < localStorage.length; i++) {
                    const k = localStorage.key(i);
                    if (!k.startsWith(prefix) || k.includes(':corrupt:')) continue;
                    const v = JSON.parse(localStorage.getItem(k) || 'null');
                    if (v && v.type === 'label') out.push(v);
                }
                return out;
            }""",
            OUTBOX_PREFIX,
        )

    # Team mode (classify and drawing views): the reviewers' notes (widgets/lib/feedback.ts).
    def feedback_count(self) -> int:
        """``data-feedback-count`` of the live view's notes strip (0 when there is none)."""
        n = self.page.evaluate(
            "(s) => { const all = document.querySelectorAll(s); const e = all[all.length - 1];"
            " const f = e && e.querySelector('.wb-feedback');"
            " return f ? f.dataset.feedbackCount : null; }",
            self.selector,
        )
        return int(n or 0)

    def feedback_notes(self) -> list[str]:
        """The text of each note in the strip (collapsed or not)."""
        return self.page.locator(f"{self.selector} .wb-feedback-item").all_text_contents()

    def item_feedback(self) -> str | None:
        """The shown item's own note, or None when it has none."""
        loc = self.page.locator(f"{self.selector} [data-item-feedback]")
        return loc.first.text_content() if loc.count() else None

    def timings(self) -> list[dict[str, Any]]:
        return self.page.evaluate("() => (window.__workbenchTimings || []).slice()")

    def clear_timings(self) -> None:
        self.page.evaluate(
            "() => { if (window.__workbenchTimings) window.__workbenchTimings.length = 0; }"
        )


class ClassifyView(WidgetView):
    root_class = "wb-classify"


class ShadowRootView(WidgetView):
    """A view whose widget sits in an open shadow root (marimo renders each anywidget
    in one), out of ``document.querySelector``'s reach: read through Playwright's
    locators, which look inside open shadow roots."""

    def state(self) -> dict[str, Any]:
        loc = self.page.locator(self.selector)
        n = loc.count()
        return loc.nth(n - 1).evaluate("(e) => Object.assign({}, e.dataset)") if n else {}

    def has_focus(self) -> bool:
        loc = self.page.locator(self.selector)
        return bool(loc.count()) and loc.first.evaluate(
            "(e) => e.contains(e.getRootNode().activeElement)"
        )

    def shadow_host(self) -> str | None:
        """The tag name of the element whose shadow root holds the live view (None if none)."""
        return self.page.locator(self.selector).last.evaluate(
            "(e) => { const r = e.getRootNode();"
            " return r.host ? r.host.tagName.toLowerCase() : null; }"
        )


class MarimoClassifyView(ShadowRootView, ClassifyView):
    """The classify widget shown by ``mo.ui.anywidget`` in marimo."""


class GalleryView(WidgetView):
    root_class = "wb-gallery"


class ReviewView(WidgetView):
    """Also ``data-position`` (0-based), ``data-total`` and ``data-decision``."""

    root_class = "wb-review"

    def text(self, part: str) -> str:
        """The text content of a part of the live view (``.wb-given``, ``.wb-errors`` ...)."""
        return self.page.locator(f"{self.selector} {part}").first.text_content() or ""


class AnnotateView(WidgetView):
    """The drawing widget. Besides ``data-item-id``/``data-ready`` it has ``data-tool``
    and ``root.wbAnnotate``: ``toClient(ix, iy)`` (image px → client px),
    ``shapes()``, ``suggestions()``, ``viewport()``, ``frames()`` and ``paints()``."""

    root_class = "wb-annotate"

    def hook(self, expr: str, *args: Any) -> Any:
        """Evaluate ``h => <expr>`` with ``h`` the live view's ``wbAnnotate``."""
        return self.page.evaluate(
            "([s, args]) => { const all = document.querySelectorAll(s);"
            " const h = all[all.length - 1].wbAnnotate;"
            f" return (function (h, ...args) {{ return {expr}; }})(h, ...args); }}",
            [self.selector, list(args)],
        )

    def client(self, x: float, y: float) -> tuple[float, float]:
        cx, cy = self.hook("h.toClient(args[0], args[1])", x, y)
        return float(cx), float(cy)

    def shapes(self) -> list[dict[str, Any]]:
        return self.hook("h.shapes()")

    def suggestions(self) -> list[dict[str, Any]]:
        return self.hook("h.suggestions()")

    def scale(self) -> float:
        return float(self.hook("h.viewport().scale"))

    def scroll_into_view(self) -> None:
        self.page.locator(f"{self.selector} canvas.wb-canvas").first.scroll_into_view_if_needed()

    # Real mouse events at image coordinates.
    def move(self, x: float, y: float, *, steps: int = 1) -> None:
        self.page.mouse.move(*self.client(x, y), steps=steps)

    def click(self, x: float, y: float, **kw: Any) -> None:
        self.move(x, y)
        self.page.mouse.down(**kw)
        self.page.mouse.up(**kw)

    def drag(self, points: list[tuple[float, float]], *, steps: int = 4, button: str = "left"):
        """Press at the first point, move through the others, release at the last."""
        screen = [self.client(x, y) for x, y in points]
        self.page.mouse.move(*screen[0])
        self.page.mouse.down(button=button)
        for p in screen[1:]:
            self.page.mouse.move(*p, steps=steps)
        self.page.mouse.up(button=button)
