"""ClassifyWidget in a real JupyterLab: real key presses, labels counted in the store.

Every test builds a project of >= 500 text items whose queue order is known
(``item-0000``, ``item-0001`` ...), presses keys drawn from a seeded RNG over
three classes (the seed is printed), and compares the stored (item, class)
pairs one by one with what was pressed. The prefetch depth (16) is below every
burst's length, so the kernel must keep refilling the queue mid-burst.

Set WORKBENCH_BROWSER_SEED to draw other sequences and kill points. The two
click tests at the end guard a fixed bug: focusing the widget on mousedown
scrolled the notebook, so the click landed elsewhere and was lost.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from .harness import (
    LabPage,
    ensure_restarted,
    kill_kernel,
    process_state,
    read_events,
    settle_events,
    wait_events,
    wait_for,
)
from .notebooks import KEYS, classify_cells, gallery_cells, item_id
from .views import ClassifyView, GalleryView

N_ITEMS = 520
PREFETCH = 16


def _seed(name: str) -> int:
    """A fixed seed per test, overridable with WORKBENCH_BROWSER_SEED to explore others."""
    base = int(os.environ.get("WORKBENCH_BROWSER_SEED", "1234"))
    seed = base * 1000 + sum(map(ord, name)) % 1000
    print(f"seed={seed} (WORKBENCH_BROWSER_SEED={base})")
    return seed


def _expected(keys: list[str], start: int = 0) -> list[tuple[str, str]]:
    """The (item, class) pairs ``keys`` make when the i-th press labels the i-th item."""
    return [(item_id(start + i), KEYS[k]) for i, k in enumerate(keys)]


def _pairs(events: list[dict]) -> list[tuple[str, str]]:
    return [(e["item_id"], e["value"]) for e in events]


def assert_stored_once(
    events: list[dict], expected: list[tuple[str, str]], *, ordered: bool = True
) -> None:
    """Stored label events equal ``expected`` one by one: same items, classes and count.

    With ``ordered``, also in the same order. Recovery after a kernel restart
    resends labels, and some may arrive after later ones (see the kill test),
    so there only the pairs are compared, item by item.
    """
    got = _pairs(events)
    dup_items = [i for i, n in Counter(i for i, _ in got).items() if n > 1]
    assert not dup_items, f"items labeled more than once: {dup_items[:10]}"
    keys = [(e["client_id"], e["seq"]) for e in events]
    assert len(set(keys)) == len(keys), "a (client_id, seq) was stored twice"
    if not ordered:
        print(f"stored out of press order at: {_disorder(events)}")
        got, expected = sorted(got), sorted(expected)
    for i, (g, x) in enumerate(zip(got, expected, strict=False)):
        assert g == x, f"label #{i}: stored {g}, pressed {x}"
    assert len(got) == len(expected), f"stored {len(got)} labels, expected {len(expected)}"


def _print_key_log(log: list[dict]) -> None:
    """Summarise what each key press met: the item shown and whether the widget had focus."""
    lines, prev = [], None
    for i, k in enumerate(log):
        shown = k["shown"] or "-"
        state = ("shown item-n" if shown == item_id(i) else f"shown {shown}", k["focused"])
        if state != prev:
            lines.append(f"  key #{i}: {state[0]}, focus {'in' if k['focused'] else 'OUT'}")
            prev = state
    print(f"{len(log)} keydowns seen by the page:\n" + "\n".join(lines[:40]))


def _disorder(events: list[dict]) -> list[tuple[int, str]]:
    """Positions where the stored items are not in queue order (for diagnostics)."""
    return [(i, e["item_id"]) for i, e in enumerate(events) if e["item_id"] != item_id(i)][:10]


def _open_classify(
    open_notebook, db: Path, *, prefetch: int = PREFETCH
) -> tuple[LabPage, ClassifyView]:
    lp = open_notebook(classify_cells(db, N_ITEMS, prefetch=prefetch))
    view = ClassifyView(lp)
    lp.run_all()
    view.wait_ready()
    view.focus()
    assert view.state()["itemId"] == item_id(0)
    return lp, view


def _rerun(lp: LabPage, view: ClassifyView) -> None:
    """Run every cell again and wait for the new view (after a restart or a reload)."""
    view.mark_stale()
    lp.run_all()
    view.wait_ready(timeout=90)
    view.focus()


def test_burst_of_200_keys_is_stored_once_in_order(open_notebook, workdir):
    rng = random.Random(_seed("burst"))
    keys = rng.choices(list(KEYS), k=200)
    db = workdir / "burst.db"
    lp, view = _open_classify(open_notebook, db)

    times = lp.press_keys(keys, interval=0.02)
    wait_events(db, lambda ev: len(ev) >= len(keys), timeout=60, what="200 label events")
    print(
        f"200 keys pressed in {times[-1] - times[0]:.2f} s; "
        f"all stored {time.monotonic() - times[-1]:.2f} s after the last"
    )
    view.wait_outbox_empty(timeout=30)
    events = settle_events(db, quiet=1.0)

    assert_stored_once(events, _expected(keys))
    assert {e["kind"] for e in read_events(db, kinds=None)} == {"label"}
    st = view.state()
    assert st["itemId"] == item_id(len(keys)), "the next unlabeled item is shown"
    assert int(st["queue"]) <= PREFETCH
    # Class keys never reached JupyterLab's command mode (1/2/3 turn cells into headings).
    assert lp.page.locator(".jp-Notebook .jp-Cell").count() == 2
    assert lp.page.locator(".jp-Notebook .jp-MarkdownCell").count() == 0


def test_kernel_killed_mid_burst_loses_no_sent_label(open_notebook, workdir, lab_server):
    rng = random.Random(_seed("kill"))
    keys = rng.choices(list(KEYS), k=150)
    kill_at = rng.randint(20, 130)
    print(f"SIGKILL before key #{kill_at} of {len(keys)}")
    db = workdir / "kill.db"
    lp, view = _open_classify(open_notebook, db)
    kid = lab_server.kernel_id(lp.notebook)
    killed: dict[str, int] = {}

    def on_press(i: int) -> None:
        if i == kill_at:
            killed["pid"] = kill_kernel(lab_server, lp.notebook, signal.SIGKILL)

    lp.record_keys(view.selector)
    lp.press_keys(keys, interval=0.02, on_press=on_press)
    _print_key_log(lp.recorded_keys())

    # What the browser sent: labels the dead kernel stored (and perhaps never
    # acknowledged) plus what is still in the outbox. Nothing writes now.
    stored_before = read_events(db, kinds=("label",))
    outbox = [m for m in view.outbox_entries() if m["kind"] == "label"]
    sent = {(e["client_id"], e["seq"]): (e["item_id"], e["value"]) for e in stored_before}
    sent.update({(m["client_id"], m["seq"]): (m["item_id"], m["value"]) for m in outbox})
    print("outbox:", [(m["item_id"], m["seq"], m["created"] % 100000) for m in outbox])
    print(
        f"stored before restart: {len(stored_before)}, in outbox: {len(outbox)}, "
        f"sent: {len(sent)}, keys pressed: {len(keys)}"
    )
    print("stored before restart, out of press order at:", _disorder(stored_before))
    errors = lp.page.locator(f"{view.selector} .wb-errors").inner_text()
    print(f"widget errors: {errors!r}")
    status = lp.page.locator(f"{view.selector} .wb-status").inner_text()
    print(f"status line before the restart: {status!r}")
    assert outbox, "labels not acknowledged when the kernel died must wait in the outbox"
    # Keys pressed while no item was there (the queue lags a 50 keys/s burst, and
    # the dead kernel sends none) wait in the view's type-ahead buffer: they are
    # not labels yet, and they go with the view when the cell runs again.

    new_pid = ensure_restarted(lab_server, kid, killed["pid"])
    print(f"kernel {killed['pid']} -> {new_pid}")
    lp.wait_kernel_idle(timeout=60)
    _rerun(lp, view)
    view.wait_outbox_empty(timeout=60)
    events = settle_events(db, quiet=1.5)

    # Each label sent is stored exactly once: item by item, the class pressed for it.
    # Not necessarily in press order: after an autorestart JupyterLab 4.6 may send
    # the new view's first comm messages on the dead kernel's subshell, the new
    # kernel drops them ("Unknown subshell_id"), and the outbox resends them
    # after later ones went through.
    assert {(e["client_id"], e["seq"]) for e in events} == set(sent)
    assert_stored_once(events, _expected(keys[: len(sent)]), ordered=False)

    # The new view carries on with the first unlabeled item.
    n = len(events)
    wait_for(
        lambda: view.state().get("itemId") == item_id(n), timeout=30, what=f"{item_id(n)} shown"
    )
    more = rng.choices(list(KEYS), k=5)
    lp.press_keys(more, interval=0.1)
    events = wait_events(db, lambda ev: len(ev) >= n + 5, timeout=30, what="5 more labels")
    events = settle_events(db, quiet=1.0)
    assert_stored_once(events, _expected(keys[:n] + more), ordered=False)


@pytest.mark.parametrize("resume", ["sigcont", "restart"])
def test_reload_resends_unacknowledged_labels(open_notebook, workdir, lab_server, resume):
    rng = random.Random(_seed(f"reload-{resume}"))
    # The queue holds at least prefetch/2 = 8 items at rest, plus the item shown:
    # 8 keys after SIGSTOP all find an item, so all 8 become unacknowledged labels.
    first, second = rng.choices(list(KEYS), k=20), rng.choices(list(KEYS), k=8)
    db = workdir / "reload.db"
    lp, view = _open_classify(open_notebook, db)
    kid = lab_server.kernel_id(lp.notebook)

    lp.press_keys(first, interval=0.05)
    wait_events(db, lambda ev: len(ev) >= len(first), timeout=30, what="first 20 labels")
    view.wait_outbox_empty(timeout=30)
    # Wait for the queue to be topped up again, so the next keys each get an item.
    wait_for(lambda: int(view.state()["queue"]) >= len(second), timeout=30, what="queue refill")

    pid = kill_kernel(lab_server, lp.notebook, signal.SIGSTOP)
    wait_for(lambda: process_state(pid) == "T", timeout=5, what="kernel stopped")
    try:
        lp.press_keys(second, interval=0.05)
        wait_for(lambda: view.state()["outbox"] == str(len(second)), timeout=10, what="8 unacked")
        assert len(read_events(db, kinds=("label",))) == len(first)
        unacked = {(m["client_id"], m["seq"]) for m in view.outbox_entries()}
        assert len(unacked) == len(second)

        lp.page.reload(wait_until="domcontentloaded")
        lp.page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
        # localStorage kept the outbox across the reload.
        assert len(view.outbox_entries()) == len(second)
    finally:
        if resume == "sigcont":
            os.kill(pid, signal.SIGCONT)
        else:
            os.kill(pid, signal.SIGKILL)  # a stopped process still dies at once
    if resume == "restart":
        ensure_restarted(lab_server, kid, pid)
    lp.wait_ready(timeout=90)
    _rerun(lp, view)
    view.wait_outbox_empty(timeout=60)
    events = settle_events(db, quiet=1.5)
    assert_stored_once(events, _expected(first + second), ordered=resume == "sigcont")
    # The labels stored last are the very messages the old page wrote to its outbox.
    assert {(e["client_id"], e["seq"]) for e in events[len(first) :]} == unacked
    wait_for(
        lambda: view.state().get("itemId") == item_id(len(events)),
        timeout=30,
        what="first unlabeled item shown",
    )


def test_backspace_retracts_the_last_label(open_notebook, workdir):
    import workbench as wb

    db = workdir / "undo.db"
    lp, view = _open_classify(open_notebook, db)
    lp.press_keys(["1", "2", "3", "1"], interval=0.15)
    labels = wait_events(db, lambda ev: len(ev) == 4, timeout=30, what="4 labels")
    assert _pairs(labels) == [
        (item_id(0), "a"),
        (item_id(1), "b"),
        (item_id(2), "c"),
        (item_id(3), "a"),
    ]
    view.wait_outbox_empty()
    assert view.state()["itemId"] == item_id(4)

    lp.press_keys(["Backspace"], interval=0)
    retracts = wait_events(
        db, lambda ev: len(ev) == 1, kinds=("retract",), timeout=30, what="a retract event"
    )
    assert retracts[0]["parent"] == labels[-1]["id"]
    assert retracts[0]["item_id"] == item_id(3)
    view.wait_outbox_empty()
    assert view.state()["itemId"] == item_id(3), "the undone item is shown again"
    with wb.Project(db) as p:
        current = p.labels()
    assert item_id(3) not in set(current["item_id"])
    assert len(current) == 3

    lp.press_keys(["2"], interval=0)
    labels = wait_events(db, lambda ev: len(ev) == 5, timeout=30, what="a new label")
    assert _pairs(labels[-1:]) == [(item_id(3), "b")]
    view.wait_outbox_empty()
    with wb.Project(db) as p:
        current = p.labels().set_index("item_id")["label"].to_dict()
    assert current == {item_id(0): "a", item_id(1): "b", item_id(2): "c", item_id(3): "b"}
    assert view.state()["itemId"] == item_id(4)


def test_gallery_bulk_label_of_a_mouse_selection(open_notebook, workdir):
    """Smoke test of GalleryWidget: click, shift-click, ctrl-click, one key labels them all."""
    db = workdir / "gallery.db"
    lp = open_notebook(gallery_cells(db, N_ITEMS, page_size=50, thumb_size=64))
    view = GalleryView(lp)
    lp.run_all()
    view.wait_ready()
    tile = f"{view.selector} .wb-tile"
    lp.page.locator(tile).nth(0).wait_for()
    assert lp.page.locator(tile).count() == 50
    ids = lp.page.locator(tile).evaluate_all("els => els.map(e => e.dataset.itemId)")
    assert ids == [item_id(i) for i in range(50)], "page 0 shows the first 50 items in order"

    view.focus()
    lp.page.locator(tile).nth(2).click()
    lp.page.locator(tile).nth(6).click(modifiers=["Shift"])
    lp.page.locator(tile).nth(9).click(modifiers=["Control"])
    wait_for(lambda: view.state().get("selected") == "6", timeout=10, what="6 selected")
    assert view.has_focus(), "clicking a tile leaves the keyboard focus in the gallery"
    lp.press_keys(["2"], interval=0)

    chosen = [item_id(i) for i in (2, 3, 4, 5, 6, 9)]
    events = wait_events(db, lambda ev: len(ev) >= 6, timeout=30, what="6 bulk labels")
    view.wait_outbox_empty()
    events = settle_events(db, quiet=1.0)
    assert sorted(_pairs(events)) == [(i, "b") for i in chosen]
    assert len({(e["client_id"], e["seq"]) for e in events}) == 6
    labeled = lp.page.locator(f"{tile}[data-label]").evaluate_all(
        "els => els.map(e => [e.dataset.itemId, e.dataset.label])"
    )
    assert sorted(map(tuple, labeled)) == [(i, "b") for i in chosen]

    # Backspace withdraws the whole bulk label: one retraction per item.
    lp.press_keys(["Backspace"], interval=0)
    retracts = wait_events(
        db, lambda ev: len(ev) >= 6, kinds=("retract",), timeout=30, what="6 retractions"
    )
    assert sorted(r["parent"] for r in retracts) == sorted(e["id"] for e in events)
    view.wait_outbox_empty()
    import workbench as wb

    with wb.Project(db) as p:
        assert p.labels().empty


def test_gallery_first_click_on_a_tile_selects_it(open_notebook, workdir):
    db = workdir / "gallery-click.db"
    lp = open_notebook(gallery_cells(db, 120, page_size=50, thumb_size=64))
    view = GalleryView(lp)
    lp.run_all()
    view.wait_ready()
    lp.scroll_top_out_of_view(view.selector, 100)
    tile = lp.page.locator(f"{view.selector} .wb-tile").nth(22)  # third row: in view
    tile.click()
    wait_for(
        lambda: view.state().get("selected") == "1", timeout=5, what="the clicked tile selected"
    )
    assert view.state()["itemId"] == item_id(22)


def test_clicking_a_class_chip_labels_the_item(open_notebook, workdir):
    db = workdir / "chip.db"
    lp = open_notebook(classify_cells(db, 120, prefetch=PREFETCH, items="image"))
    view = ClassifyView(lp)
    lp.run_all()
    view.wait_ready()
    lp.scroll_top_out_of_view(view.selector, 100)
    lp.page.locator(f"{view.selector} .wb-classes > *").nth(1).click()
    events = wait_events(db, lambda ev: len(ev) >= 1, timeout=10, what="a label from the chip")
    assert _pairs(events) == [(item_id(0), "b")]


def _digit_cells(db: Path, size: int) -> list[str]:
    """Ten classes "0".."9" (each bound to its own key by default) over 12 small images."""
    return [
        "\n".join(
            [
                "import numpy as np",
                "import workbench as wb",
                f"project = wb.Project({str(db)!r}, schema=wb.Schema.classification("
                "'digit', list('0123456789')), annotator='browser')",
                f"imgs = np.random.default_rng(0).integers(0, 17, size=(12, {size}, {size}))",
                "project.add_arrays(imgs, ids=[f'digit-{i:02d}' for i in range(12)])",
                "widget = project.classify(prefetch=4)\nwidget",
            ]
        ),
        "gallery = project.gallery()\ngallery",
    ]


_IMAGE_FIT = """(s) => {
    const img = document.querySelector(s + ' img.wb-image');
    const r = img.getBoundingClientRect();
    return {natural: [img.naturalWidth, img.naturalHeight], shown: [r.width, r.height],
            rendering: getComputedStyle(img).imageRendering};
}"""


@pytest.mark.parametrize("size", [8, 28])
def test_digit_classes_are_their_own_keys_and_small_images_stay_sharp(open_notebook, workdir, size):
    db = workdir / f"digits{size}.db"
    lp = open_notebook(_digit_cells(db, size))
    view = ClassifyView(lp)
    lp.run_all()
    view.wait_ready()
    lp.page.wait_for_function(
        "(s) => { const i = document.querySelector(s + ' img.wb-image');"
        " return i && i.complete && i.naturalWidth > 0; }",
        arg=view.selector,
    )
    # Shown enlarged by a whole factor, nearest-neighbour, to at most 256 px.
    fit = lp.page.evaluate(_IMAGE_FIT, view.selector)
    assert fit["natural"] == [size, size], fit
    ratio = fit["shown"][0] / size
    assert ratio == int(ratio) and ratio > 1, fit
    assert fit["shown"][0] <= 256 and fit["shown"][0] == fit["shown"][1], fit
    assert fit["rendering"] == "pixelated", fit
    # Each chip shows its digit once: no "7 7".
    chips = lp.page.locator(f"{view.selector} .wb-class").evaluate_all(
        "els => els.map(e => e.textContent)"
    )
    assert chips == list("0123456789")
    # Ids the user gave are shown (content-hash ids are not: tests/js/display.test.mjs).
    assert lp.page.locator(f"{view.selector} .wb-item-id").text_content() == "digit-00"

    # The gallery's thumbnails: whole factors too, within the 128 px thumbnail.
    gallery = GalleryView(lp)
    gallery.wait_ready()
    lp.page.locator(gallery.selector).scroll_into_view_if_needed()
    lp.page.wait_for_function(
        "(s) => [...document.querySelectorAll(s + ' .wb-thumb img')]"
        ".filter(i => i.complete && i.naturalWidth > 0).length === 12",
        arg=gallery.selector,
    )
    thumbs = lp.page.locator(f"{gallery.selector} .wb-thumb img").evaluate_all(
        "els => els.map(i => [i.naturalWidth, i.getBoundingClientRect().width,"
        " getComputedStyle(i).imageRendering])"
    )
    assert len(thumbs) == 12
    for natural, shown, rendering in thumbs:
        assert natural == size and shown / size == int(shown / size) > 1 and shown <= 128, thumbs
        assert rendering == "pixelated", thumbs
    gallery_chips = lp.page.locator(f"{gallery.selector} .wb-class").evaluate_all(
        "els => els.map(e => e.textContent)"
    )
    assert gallery_chips == list("0123456789")

    view.focus()
    lp.press_keys(["7", "0"], interval=0.2)
    events = wait_events(db, lambda ev: len(ev) >= 2, timeout=15, what="two digit labels")
    assert _pairs(events) == [("digit-00", "7"), ("digit-01", "0")]
    # The confirmation of the last label is up, and the focus never left the widget.
    toast = lp.page.locator(f"{view.selector} .wb-toast")
    assert toast.get_attribute("data-toast") == "✓ 0 → digit-01"
    assert toast.get_attribute("data-count") == "2"
    assert toast.is_visible()
    assert view.has_focus()
    assert view.state()["itemId"] == "digit-02"
