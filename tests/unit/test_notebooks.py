"""Every notebook in notebooks/ runs top to bottom in a fresh kernel, and again over the
files its first run made (the README says re-running a notebook is safe)."""

import ast
import json
import re
import shutil
from pathlib import Path

import pytest

# A notebook, a server or a build: left out of `make test-quick`.
pytestmark = pytest.mark.slow

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("*.ipynb"))
#: Notebooks whose own test below runs them twice and checks what they print.
CHECKED = ("active_learning.ipynb", "audio_video.ipynb", "audit.ipynb", "detection.ipynb",
           "quickstart.ipynb", "team.ipynb", "text.ipynb")  # fmt: skip


def _execute(path: Path, tmp_path: Path) -> str:
    """Run ``path`` in a fresh kernel in ``tmp_path``; fail on any error output; return
    the text the cells printed."""
    # Imported here, not at the top: nbformat's schema validation compiles a grammar on
    # import (seconds), which every collection would pay, make test-quick included.
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": tmp_path}}).execute()  # fmt: skip
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, f"{path.name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    return "".join(o.get("text", "") for o in outputs)


def _first_run(name: str, tmp_path: Path) -> tuple[Path, str]:
    """Copy notebook ``name`` to ``tmp_path`` and run it there; its path and output text.
    Each test then runs it again with ``_execute(path, tmp_path)``: the second run finds
    the database and files of the first."""
    path = next(p for p in NOTEBOOKS if p.name == name)
    shutil.copy(path, tmp_path / name)
    return path, _execute(path, tmp_path)


def _run_twice(name: str, tmp_path: Path) -> tuple[str, str]:
    """Run notebook ``name`` twice in a row in the same folder; each run must finish
    without an error."""
    path, first = _first_run(name, tmp_path)
    return first, _execute(path, tmp_path)


def test_every_notebook_has_a_test():
    # Each notebook's own test below runs it twice and checks what it prints; a new
    # notebook needs one too.
    assert {p.name for p in NOTEBOOKS} == set(CHECKED)


def test_quickstart_reads_labels_back(tmp_path):
    _, text = _run_twice("quickstart.ipynb", tmp_path)  # a second run adds nothing twice
    import workbench as wb

    with wb.Project(tmp_path / "quickstart.db") as project:
        assert len(project) == 1797
        assert project.labels()["label"].tolist() == ["0", "1", "2", "3", "4"]
    assert "0 new items, 1797 in the project" in text
    assert "refused: task 'digit' has no class 'ten'" in text


def test_active_learning_notebook_margin_beats_random(tmp_path):
    import workbench as wb

    path, text = _first_run("active_learning.ipynb", tmp_path)
    pattern = r"labels to 95% accuracy: margin (\d+) random (\d+)"
    found = re.search(pattern, text)
    assert found, text[-2000:]
    assert int(found[1]) < int(found[2])
    with wb.Project(tmp_path / "active_learning.db") as project:
        # The step-mode round: 20 seed labels written from code, then the next batch of 10.
        assert len(project.labels()) == 20
    # Run again over its own files: the loops take their rounds back from the checkpoints.
    again = _execute(path, tmp_path)
    assert re.search(pattern, again)[0] == found[0]  # the simulations are not run twice
    with wb.Project(tmp_path / "active_learning.db") as project:
        assert len(project.labels()) == 30  # the resumed batch of 10 was labeled


def test_audit_notebook_finds_and_fixes_flipped_labels(tmp_path):
    path, text = _first_run("audit.ipynb", tmp_path)
    pattern = r"before review: ([0-9.]+), after: ([0-9.]+)"
    f1 = re.search(r"F1 ([0-9.]+)", text)
    before_after = re.search(pattern, text)
    assert f1 and before_after, text[-2000:]
    assert float(f1[1]) >= 0.8
    assert float(before_after[2]) > float(before_after[1]) + 0.05
    # Again over the reviewed labels: the contractor's labels are not written twice, and
    # a second review leaves the labels at least as right as the first left them.
    again = _execute(path, tmp_path)
    second = re.search(pattern, again)
    assert second and second[1] == before_after[1], again[-2000:]
    assert float(second[2]) >= float(before_after[2])
    import workbench as wb

    with wb.Project(tmp_path / "audit.db") as project:
        events = project.events()
        assert (events["annotator"] == "contractor").sum() == 1797  # written once


def test_detection_notebook_prelabels_and_round_trips_every_shape(tmp_path):
    pytest.importorskip("skimage")
    path, text = _first_run("detection.ipynb", tmp_path)
    coins = re.search(r"coins pre-labeled: (\d+), mean score ([0-9.]+)", text)
    trip = re.search(
        r"round trip: (\d+) shapes, (\d+) back, max coordinate difference (\S+) px, "
        r"(\d+) mask pixels differ, (\d+) fields differ",
        text,
    )
    exported = re.search(r"exported: +(\{.*\})", text)
    read_back = re.search(r"read back: (\{.*\})", text)
    assert coins and trip and exported and read_back, text[-2000:]
    assert int(coins[1]) >= 15 and float(coins[2]) >= 0.9  # most of the 24 coins, round
    # Six shapes drawn from code, one mask per coin accepted; all of them back from COCO.
    assert int(trip[1]) == int(trip[2]) == 6 + int(coins[1])
    assert (float(trip[3]), int(trip[4]), int(trip[5])) == (0.0, 0, 0)
    assert exported[1] == read_back[1]
    assert "'box': 3, 'keypoints': 1" in exported[1] and "'polygon': 1" in exported[1]
    import workbench as wb

    with wb.Project(tmp_path / "detection.db") as project:
        events = project.events()
        pre = events[events["kind"] == "prelabel"]
        assert pre["annotator"].tolist() == ["model:find_coins@1"]
        assert sorted(project.labels()["item_id"]) == [
            "astronaut", "camera", "chelsea", "coffee", "coins",
        ]  # fmt: skip
    # Again over its own files: the same shapes come back from the export.
    again = _execute(path, tmp_path)
    assert re.search(r"exported: +(\{.*\})", again)[1] == exported[1], again[-2000:]


@pytest.mark.postgres
def test_team_notebook_routes_every_disagreement_to_review(lead_url, tmp_path, monkeypatch):
    """The team notebook on the tests' PostgreSQL (``WORKBENCH_TEAM_URL``); its printed
    numbers are checked against what the database holds, read back as the lead."""
    import workbench as wb
    from workbench.agreement import krippendorff_alpha

    monkeypatch.setenv("WORKBENCH_TEAM_URL", lead_url)  # the kernel inherits it
    path, text = _first_run("team.ipynb", tmp_path)
    per_item = re.search(r"labels per item: \{2: (\d+)\}", text)
    routed = re.search(r"disagreements: (\d+), routed to review: (\d+)", text)
    alpha = re.search(r"Krippendorff's alpha: (-?[0-9.]+)", text)
    gold = dict(re.findall(r"gold accuracy (\w+): [0-9.]+ \((\d+ of \d+)\)", text))
    feedback = re.findall(r"(\w+): (\d+) feedback rows", text)
    final = re.search(r"final labels: (\d+) items, \{'consensus': (\d+), 'review': (\d+)\}",
                      text)  # fmt: skip
    assert per_item and routed and alpha and final and len(gold) == 3, text[-3000:]
    assert "alice may not read the gold answers: PermissionDenied" in text
    assert "routed after the second look: 0" in text

    with wb.Project(lead_url) as lead, lead.store._read() as cur:
        cur.execute("SELECT item_id, value FROM team_gold")
        answers = {i: json.loads(v) for i, v in cur.fetchall()}
        cur.execute("SELECT tier, count(*) FROM team_pool WHERE NOT gold GROUP BY tier")
        pool = dict(cur.fetchall())
        cur.execute("SELECT count(*) FROM team_feedback")
        (feedback_rows,) = cur.fetchone()
        events = lead.events()
    labels = events[(events["kind"] == "label") & (events["tier"] == "annotate")]
    labels = labels.sort_values("id").assign(value=labels["value"].astype(str))
    # Each annotator's first label of each item: what routing looked at.
    first = labels.drop_duplicates(["item_id", "annotator"], keep="first")
    work = first[~first["item_id"].isin(answers)]
    n_items = work["item_id"].nunique()
    assert n_items == int(per_item[1]) == pool["annotate"]
    assert (work.groupby("item_id")["annotator"].nunique() == 2).all()  # overlap 2, everywhere
    differ = int((work.groupby("item_id")["value"].nunique() > 1).sum())
    assert 0 < differ == int(routed[1]) == int(routed[2]) == pool["review"]
    # Agreement printed from team.annotator_labels(), recomputed from the event log.
    wide = work.pivot(index="item_id", columns="annotator", values="value")
    assert float(alpha[1]) == pytest.approx(krippendorff_alpha(wide), abs=5e-4)
    # Gold accuracy printed, recomputed from the gold answers and the labels given.
    on_gold = first[first["item_id"].isin(answers)]
    for who, printed in gold.items():
        mine = on_gold[on_gold["annotator"] == who]
        right = int((mine["value"] == mine["item_id"].map(answers)).sum())
        assert printed == f"{right} of {len(mine)}"
    share = {w: int(p.split(" of ")[0]) / int(p.split(" of ")[1]) for w, p in gold.items()}
    assert share["carol"] < min(share["alice"], share["bob"])  # the careless one shows
    # One item sent back, every other disagreement corrected; every item has a final label.
    decisions = events[events["tier"] == "review"]["kind"].value_counts().to_dict()
    assert decisions == {"review-correct": differ - 1, "send-back": 1}
    assert (int(final[1]), int(final[3])) == (n_items, differ - 1)
    assert int(final[2]) == n_items - (differ - 1)
    assert sum(int(n) for _, n in feedback) == feedback_rows > differ
    # Again, on the same database: it finds the team set up and finishes without an error.
    again = _execute(path, tmp_path)
    assert "final labels:" in again


def test_text_notebook_finds_the_planted_span_errors_and_round_trips(tmp_path):
    path, first = _first_run("text.ipynb", tmp_path)
    second = _execute(path, tmp_path)  # a second run over the same database and files
    for text in (first, second):
        # spaCy's example sentences: some hundreds, in some tens of languages.
        counts = re.search(r"^(\d+) sentences in (\d+) languages$", text, re.M)
        assert int(counts.group(1)) > 300 and int(counts.group(2)) > 30
        planted = re.search(r"planted mistakes in (\[.*\])$", text, re.M).group(1)
        assert len(ast.literal_eval(planted)) == 4
        assert f"planted mistakes found: {planted} of {planted}" in text
        assert "DocBin round trip exact: True" in text
        assert "'B-ORG', 'I-ORG', 'B-LOC'" in text


def test_audio_video_notebook_prelabels_every_event_and_track_and_round_trips(tmp_path):
    path, first = _first_run("audio_video.ipynb", tmp_path)
    second = _execute(path, tmp_path)  # a second run over the same database and files
    for text in (first, second):
        assert "clips: 20 (12 files, 8 arrays)" in text
        found = re.search(r"^pre-labeled events found: (\d+) of (\d+), false alarms: (\d+)$",
                          text, re.M)  # fmt: skip
        assert found.group(1) == found.group(2) and int(found.group(3)) <= 2, found.group(0)
        agreement = re.search(r"alpha=([\d.]+), segment_f1=([\d.]+), temporal_iou=([\d.]+)", text)
        assert 0.5 < float(agreement.group(1)) < 1 and 0.3 < float(agreement.group(2)) < 1
        assert "region table round trip exact: True" in text
        assert "Label Studio round trip exact: True" in text
        # Video: the detector's tracks (three objects, the blue square's two parts).
        assert re.search(r"VideoPrelabels\('colours@\d+', task='objects', items=1, tracks=4,", text)
        tracks = re.search(r"TrackAgreement\(task='objects', items=1, frame_f1=([\d.]+), "
                           r"idf1=([\d.]+), mota=([\d.]+)\)", text)  # fmt: skip
        assert float(tracks.group(1)) > 0.9 and float(tracks.group(3)) > 0.8, tracks.group(0)
        for fmt in ("MOT", "CVAT", "COCO"):
            assert f"{fmt} round trip, same boxes at every frame: True" in text
    assert len(list((tmp_path / "audacity_labels").glob("*.txt"))) == 10  # the clips labeled
