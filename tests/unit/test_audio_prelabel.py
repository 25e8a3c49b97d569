"""Pre-labeling an audio-regions task: models over windows (a callable and a torch module,
an energy detector on a synthesized clip), models over whole clips, and what is stored."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import workbench as wb
from workbench.kinds.audio.prelabel import AudioPrelabels, window_regions

SR = 8000
TONE = (1.0, 2.5)  # seconds of the "tone" clip that carry a tone


def clip(seconds, tone_at=None, freq=440.0):
    x = np.zeros(int(round(seconds * SR)), np.float32)
    if tone_at is not None:
        a, b = (int(round(t * SR)) for t in tone_at)
        x[a:b] = 0.5 * np.sin(2 * np.pi * freq * (np.arange(b - a) + 0.25) / SR)
    return x


def make_project(tmp_path):
    schema = wb.Schema(
        (
            wb.AudioRegions("events", classes=["tone", "hum"]),
            wb.AudioRegions("segments", classes=["tone", "hum"], overlapping=False),
        )
    )
    p = wb.Project(tmp_path / "p.db", schema=schema, annotator="me")
    p.add_audio([clip(4.0, TONE), clip(2.0)], sample_rate=SR, ids=["tone", "quiet"])
    return p


@pytest.fixture
def project(tmp_path):
    p = make_project(tmp_path)
    yield p
    p.close()


def energy(batch):
    """B × W windows -> B × 2 probabilities (tone, quiet): the share of loud samples."""
    p = (np.abs(batch) > 1e-3).mean(axis=1)
    return np.stack([p, 1 - p], axis=1)


def stored(project, task="events"):
    """``{item_id: [(start, end, class), ...]}`` of the latest pre-labels."""
    got = project.store.prelabels(task, project.item_ids())
    return {iid: [(r["start"], r["end"], r["class"]) for r in v["regions"]]
            for iid, (v, _) in got.items()}  # fmt: skip


def prelabel_events(project):
    events = project.events()
    return events[events["kind"] == "prelabel"]


# -- models over windows ------------------------------------------------------------------


def test_energy_model_over_windows_finds_the_tone(project):
    calls = []

    def model(batch):
        calls.append(batch.shape)
        assert batch.dtype == np.float32
        return energy(batch)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing skipped: no warning
        result = project.prelabel(
            model, task="events", window=0.25, classes=["tone", "quiet"],
            label_map={"quiet": None}, batch_size=5, name="energy", progress=False,
        )  # fmt: skip
    assert isinstance(result, AudioPrelabels)
    assert result.model == "energy@1" and result.task == "events"
    assert (result.items, result.regions, result.n_skipped) == (2, 1, 0)
    # Windows of 0.25 s (2000 frames), at most 5 per call: 16 for the 4 s clip, 8 for 2 s.
    assert {w for _, w in calls} == {2000} and max(b for b, _ in calls) == 5
    assert sum(b for b, _ in calls) == 16 + 8
    assert stored(project) == {"tone": [(1.0, 2.5, "tone")], "quiet": []}
    value = result.values["tone"]
    (region,) = value["regions"]
    assert region["score"] == pytest.approx(1.0, abs=0.01)
    assert result.values["quiet"] == {"regions": []}
    frame = result.frame.set_index("item_id")
    assert frame.loc["tone", "regions"] == 1 and frame.loc["tone", "score"] == region["score"]
    assert np.isnan(frame.loc["quiet", "score"])
    # The other task is untouched.
    assert project.store.prelabels("segments", project.item_ids()) == {}


def test_hop_shorter_than_the_window(project):
    result = project.prelabel(
        energy, task="events", window=0.5, hop=0.25, classes=["tone", "quiet"],
        label_map={"quiet": None}, name="energy", progress=False,
    )  # fmt: skip
    (region,) = result.values["tone"]["regions"]
    # Each window stands for the 0.25 s at its centre: the edges are found to within 1/8 s.
    assert region["class"] == "tone"
    assert abs(region["start"] - TONE[0]) <= 0.125 + 1e-9
    assert abs(region["end"] - TONE[1]) <= 0.125 + 1e-9
    assert result.values["quiet"] == {"regions": []}
    with pytest.raises(ValueError, match="hop"):
        project.prelabel(energy, task="events", window=0.25, hop=0.5, progress=False)
    with pytest.raises(ValueError, match="window"):
        project.prelabel(energy, task="events", window=0, progress=False)


def test_tone_to_the_end_and_a_padded_last_window(tmp_path):
    schema = wb.Schema((wb.AudioRegions("events", classes=["tone"]),))
    p = wb.Project(tmp_path / "p.db", schema=schema, annotator="me")
    p.add_audio([clip(3.1, (2.0, 3.1))], sample_rate=SR, ids=["late"])

    def model(batch):
        p = (np.abs(batch) > 1e-3).mean(axis=1)
        return np.stack([p, 1 - p], axis=1)

    result = p.prelabel(model, window=0.5, classes=["tone", "quiet"],
                        label_map={"quiet": None}, progress=False)  # fmt: skip
    # The last window (3.0-3.5 s) is padded with silence: one fifth of it is the tone.
    (region,) = result.values["late"]["regions"]
    assert region["start"] == 2.0 and region["end"] == 3.0
    # Read as independent probabilities, 0.2 is enough at min_score 0.1: the last window
    # counts, and the region it ends is cut at the clip's end, not the window's.
    result = p.prelabel(model, window=0.5, classes=["tone", "quiet"], label_map={"quiet": None},
                        min_score=0.1, multi_label=True, progress=False)  # fmt: skip
    (region,) = result.values["late"]["regions"]
    assert region["start"] == 2.0 and region["end"] == 3.1
    p.close()


def test_multi_label_needs_a_task_whose_regions_may_overlap(project):
    with pytest.raises(wb.SchemaError, match="overlap"):
        project.prelabel(energy, task="segments", window=0.25, multi_label=True, progress=False)
    assert len(prelabel_events(project)) == 0

    def both(batch):  # tone where loud; hum everywhere
        p = (np.abs(batch) > 1e-3).mean(axis=1)
        return np.stack([p, np.full(len(p), 0.9)], axis=1)

    result = project.prelabel(both, task="events", window=0.25, multi_label=True,
                              progress=False)  # fmt: skip
    assert stored(project)["tone"] == [(0.0, 4.0, "hum"), (1.0, 2.5, "tone")]
    assert stored(project)["quiet"] == [(0.0, 2.0, "hum")]
    assert result.regions == 3


def test_a_torch_module_over_windows(project):
    torch = pytest.importorskip("torch")

    class Energy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.seen = []

        def forward(self, x):
            self.seen.append((tuple(x.shape), x.dtype, x.device.type))
            p = (x.abs() > 1e-3).float().mean(dim=1)
            return torch.stack([p, 1 - p], dim=1)

    model = Energy()
    result = project.prelabel(
        model, task="segments", window=0.25, classes=["tone", "quiet"],
        label_map={"quiet": None}, device="cpu", name="energy-net", progress=False,
    )  # fmt: skip
    assert result.model == "energy-net@1"
    assert stored(project, "segments") == {"tone": [(1.0, 2.5, "tone")], "quiet": []}
    assert {s[0][1] for s in model.seen} == {2000}
    assert {s[1] for s in model.seen} == {torch.float32} and {s[2] for s in model.seen} == {"cpu"}
    with pytest.raises(TypeError, match="per='clip'"):
        project.prelabel(model, task="segments", per="clip", progress=False)


def test_logits_are_turned_into_probabilities(project):
    def logits(batch):  # tone: +4 / -4 where loud / quiet
        p = (np.abs(batch) > 1e-3).mean(axis=1)
        z = 8 * p - 4
        return np.stack([z, -z], axis=1)

    result = project.prelabel(logits, task="events", window=0.25, classes=["tone", "quiet"],
                              label_map={"quiet": None}, progress=False)  # fmt: skip
    (region,) = result.values["tone"]["regions"]
    assert (region["start"], region["end"]) == TONE
    assert 0.99 < region["score"] < 1.0  # softmax of (+4, -4), not the raw +4


def test_sample_rate_the_model_expects(project):
    with pytest.raises(wb.WorkbenchError, match="8000 Hz.*16000 Hz"):
        project.prelabel(energy, task="events", window=0.25, sample_rate=16000, progress=False)
    assert len(prelabel_events(project)) == 0
    result = project.prelabel(energy, task="events", window=0.25, sample_rate=SR,
                              classes=["tone", "quiet"], label_map={"quiet": None},
                              progress=False)  # fmt: skip
    assert result.items == 2


def test_a_model_returning_the_wrong_shape(project):
    with pytest.raises(wb.WorkbenchError):
        project.prelabel(lambda b: np.ones((len(b), 3)), task="events", window=0.25,
                         progress=False)  # fmt: skip
    assert len(prelabel_events(project)) == 0


# -- models over whole clips ---------------------------------------------------------------


def by_clip(audio):
    """Whatever a hand-written detector might return, good and bad."""
    if audio.duration < 3:
        return {"regions": [{"start": 0.25, "end": 0.5, "class": "hum", "score": 0.75}]}
    return [
        (0.5, 1.0, "tone", 0.9),
        {"start": 1.2, "end": 1.8, "class": "buzz", "score": 0.8},  # mapped to hum
        (1.0, 1.5, "bird"),  # unknown class
        ("soon", 1.0, "tone"),  # malformed
        (2.0, 1.0, "tone"),  # malformed: ends before it starts
        {"start": 1.0, "class": "tone"},  # malformed: no end
        (0.1, 0.2, "tone", 1.5),  # malformed: a score above 1
        {"start": 3.5, "end": 9.0, "class": "tone"},  # cut at the end (4 s)
        (5.0, 6.0, "tone", 0.9),  # after the clip
        (0.1, 0.2, "tone", 0.2),  # below min_score: dropped silently
        (0.1, 0.2, "noise"),  # mapped to None: dropped silently
    ]


def test_per_clip_callable_with_label_map_and_skips(project):
    with pytest.warns(UserWarning, match=r"6 of the model's regions were not stored") as rec:
        result = project.prelabel(by_clip, task="events", per="clip", name="detector",
                                  label_map={"buzz": "hum", "noise": None},
                                  progress=False)  # fmt: skip
    message = str(rec[0].message)
    assert "4 malformed" in message and "1 unknown class" in message
    assert "1 after the clip" in message
    assert result.skipped == {"malformed": 4, "unknown class": 1, "after the clip": 1}
    assert result.n_skipped == 6
    assert result.frame.set_index("item_id")["skipped"].to_dict() == {"tone": 6, "quiet": 0}
    assert stored(project) == {
        "tone": [(0.5, 1.0, "tone"), (1.2, 1.8, "hum"), (3.5, 4.0, "tone")],
        "quiet": [(0.25, 0.5, "hum")],
    }
    tone = result.values["tone"]["regions"]
    assert [r.get("score") for r in tone] == [0.9, 0.8, None]
    assert [r["id"] for r in tone] == ["r1", "r2", "r3"]
    # The event's score is the mean of its regions' scores.
    scores = {iid: s for iid, (_, s) in project.store.prelabels("events", ["tone"]).items()}
    assert scores["tone"] == pytest.approx(0.85)


def test_per_clip_overlaps_in_a_task_whose_regions_do_not(project):
    def overlapping(audio):
        return [(0.0, 1.0, "tone", 0.6), (0.5, 1.5, "hum", 0.9), (1.5, 2.0, "tone", 0.7),
                (0.2, 0.4, "tone")]  # fmt: skip

    with pytest.warns(UserWarning, match="2 overlapping"):
        result = project.prelabel(overlapping, task="segments", per="clip", progress=False)
    # The highest score is kept (a region without one counts as 1.0), then the longest.
    assert stored(project, "segments")["quiet"] == [(0.2, 0.4, "tone"), (0.5, 1.5, "hum"),
                                                    (1.5, 2.0, "tone")]  # fmt: skip
    assert result.skipped == {"overlapping": 2}


def test_per_clip_model_returning_nonsense(project):
    with pytest.raises(wb.WorkbenchError, match="list of regions"):
        project.prelabel(lambda audio: 3, task="events", per="clip", progress=False)
    with pytest.raises(ValueError, match="per"):
        project.prelabel(by_clip, task="events", per="item", progress=False)


# -- what is stored ------------------------------------------------------------------------


def test_prelabel_events_are_stored_under_the_model(project):
    with pytest.warns(UserWarning):
        project.prelabel(by_clip, task="events", per="clip", name="detector",
                         label_map={"buzz": "hum"}, progress=False)  # fmt: skip
    pre = prelabel_events(project)
    assert len(pre) == 2 and set(pre["item_id"]) == {"tone", "quiet"}
    assert set(pre["annotator"]) == {"model:detector@1"}
    assert set(pre["task"]) == {"events"}
    # A second run is the next version; nothing is written with write_events=False.
    with pytest.warns(UserWarning):
        again = project.prelabel(by_clip, task="events", per="clip", name="detector",
                                 progress=False)  # fmt: skip
    assert again.model == "detector@2"
    assert set(prelabel_events(project)["annotator"]) == {"model:detector@1", "model:detector@2"}
    with pytest.warns(UserWarning):
        dry = project.prelabel(by_clip, task="events", per="clip", name="detector",
                               write_events=False, progress=False)  # fmt: skip
    assert dry.written is False and len(dry.values) == 2
    assert len(prelabel_events(project)) == 4
    # Pre-labels are no one's label: the items still wait for a person.
    assert (project.events()["kind"] == "label").sum() == 0


def test_only_some_items(project):
    result = project.prelabel(energy, task="events", window=0.25, ids=["quiet"],
                              classes=["tone", "quiet"], label_map={"quiet": None},
                              progress=False)  # fmt: skip
    assert list(result.frame["item_id"]) == ["quiet"]
    assert set(prelabel_events(project)["item_id"]) == {"quiet"}


# -- window_regions ------------------------------------------------------------------------

PROBS = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.4], [0.6, 0.4]], np.float32)


def rows(found):
    return [(r["start"], r["end"], r["class"], round(r["score"], 6)) for r in found]


def test_window_regions_runs_of_one_class():
    got = window_regions(PROBS, ["a", "b"], window=1.0, hop=1.0, duration=4.5)
    # Window 3 takes no class (its best is 0.4 < 0.5); the last one ends with the clip.
    assert rows(got) == [(0.0, 2.0, "a", 0.85), (2.0, 3.0, "b", 0.7), (4.0, 4.5, "a", 0.6)]
    # A lower threshold takes window 3's first class (argmax of a tie: the first).
    got = window_regions(PROBS, ["a", "b"], window=1.0, hop=1.0, duration=4.5, min_score=0.4)
    assert rows(got) == [(0.0, 2.0, "a", 0.85), (2.0, 3.0, "b", 0.7), (3.0, 4.5, "a", 0.5)]


def test_window_regions_with_a_hop_shorter_than_the_window():
    got = window_regions(PROBS, ["a", "b"], window=1.0, hop=0.5, duration=10.0)
    # Window k (k*0.5 to k*0.5+1 s) stands for k*0.5+0.25 to k*0.5+0.75; the first from 0,
    # the last to its end (3 s).
    assert rows(got) == [(0.0, 1.25, "a", 0.85), (1.25, 1.75, "b", 0.7), (2.25, 3.0, "a", 0.6)]


def test_window_regions_multi_label_and_the_clip_end():
    got = window_regions(PROBS, ["a", "b"], window=1.0, hop=1.0, duration=4.5, min_score=0.35,
                         multi_label=True)  # fmt: skip
    assert rows(got) == [(0.0, 2.0, "a", 0.85), (2.0, 4.5, "b", 0.5), (3.0, 4.5, "a", 0.5)]
    # A window wholly after the clip's end gives nothing.
    got = window_regions(PROBS, ["a", "b"], window=1.0, hop=1.0, duration=3.5)
    assert rows(got) == [(0.0, 2.0, "a", 0.85), (2.0, 3.0, "b", 0.7)]
    assert window_regions(np.zeros((0, 2)), ["a", "b"], window=1.0, hop=1.0, duration=1) == []
