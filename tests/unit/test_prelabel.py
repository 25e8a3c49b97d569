"""Pre-labeling: a real torch model, estimator or callable over a real project on disk."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from sklearn.datasets import load_digits  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

import workbench as wb  # noqa: E402
from workbench import predictions as wb_predictions  # noqa: E402
from workbench.prelabel import resolve_device, to_probabilities  # noqa: E402

DIGITS = list("0123456789")
N = 240


@pytest.fixture(autouse=True)
def one_thread():
    # Tiny models: extra intra-op threads only contend on a shared machine.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    return d.images[:N].astype(np.float32), d.target[:N]


@pytest.fixture
def project(tmp_path, digits):
    p = wb.Project(tmp_path / "p.db", schema=wb.Schema.classification("digit", DIGITS))
    p.add_arrays(digits[0])
    yield p
    p.close()


class TinyCNN(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.head = torch.nn.Linear(4 * 4 * 4, 10)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv(x)), 2)
        return self.head(x.flatten(1))


def direct_probs(model, images):
    with torch.no_grad():
        return torch.softmax(model(torch.from_numpy(images)[:, None]), dim=1).numpy()


def test_torch_module_probabilities_equal_a_direct_softmax(project, digits):
    model = TinyCNN()
    model.train()  # the run puts it in eval mode and gives it back in train mode
    preds = project.prelabel(model, batch_size=64, progress=False)
    assert preds.model == "tinycnn@1"
    assert preds.ids == project.item_ids()
    assert preds.classes == DIGITS
    assert isinstance(preds.probs, np.memmap)
    np.testing.assert_allclose(preds.probs, direct_probs(model, digits[0]), atol=1e-6)
    assert model.training
    assert next(model.parameters()).device.type == "cpu"


def test_versions_increment_and_are_saved_memory_mapped(project):
    model = TinyCNN()
    first = project.prelabel(model, progress=False, write_events=False)
    second = project.prelabel(model, progress=False, write_events=False)
    assert (first.model, second.model) == ("tinycnn@1", "tinycnn@2")
    assert wb_predictions.versions(project.models_dir, "digit") == ["tinycnn@1", "tinycnn@2"]
    assert (second.path / "probs.npy").is_file()
    loaded = project.predictions()
    assert loaded.model == "tinycnn@2"
    np.testing.assert_array_equal(loaded.probs, first.probs)
    named = project.prelabel(model, name="cnn@7", progress=False, write_events=False)
    assert named.model == "cnn@7"
    assert project.prelabel(model, name="cnn", progress=False, write_events=False).model == "cnn@8"
    # No temporary folders are left behind.
    assert not [p for p in (project.models_dir / "digit").iterdir() if ".tmp" in p.name]


def test_events_carry_annotator_top_class_and_score(project, digits):
    model = TinyCNN()
    preds = project.prelabel(model, progress=False)
    expected = direct_probs(model, digits[0])
    events = project.events()
    pre = events[events["kind"] == "prelabel"]
    assert len(pre) == N
    assert set(pre["annotator"]) == {"model:tinycnn@1"}
    ids = project.item_ids()
    shown = project.store.prelabels("digit", ids)
    for i, iid in enumerate(ids):
        value, score = shown[iid]
        assert value == DIGITS[int(expected[i].argmax())]
        assert score == pytest.approx(float(expected[i].max()), abs=1e-6)
    assert preds.suggested() == [shown[i][0] for i in ids]
    # Pre-labels are suggestions, not labels.
    assert project.labels().empty
    assert project.progress() == (0, N)


def test_ids_subset_gets_rows_and_events_only_for_those(project, digits):
    ids = project.item_ids()[10:30]
    preds = project.prelabel(TinyCNN(), ids=ids, batch_size=7, progress=False)
    assert preds.ids == ids
    np.testing.assert_allclose(preds.probs, direct_probs(TinyCNN(), digits[0][10:30]), atol=1e-6)
    assert set(project.store.prelabels("digit", project.item_ids())) == set(ids)
    with pytest.raises(wb.UnknownItemError, match="nope"):
        project.prelabel(TinyCNN(), ids=["nope"], progress=False)
    with pytest.raises(ValueError, match="unique"):
        project.prelabel(TinyCNN(), ids=[ids[0], ids[1], ids[0]], progress=False)


def test_estimator_classes_are_mapped_to_schema_order(project, digits):
    images, target = digits
    keep = target < 5  # the estimator never saw classes 5 to 9: they get probability 0
    est = LogisticRegression(max_iter=500).fit(images[keep].reshape(-1, 64), target[keep])
    assert est.classes_.dtype.kind == "i"
    preds = project.prelabel(est, progress=False)
    assert preds.model == "logisticregression@1"
    probs = np.asarray(preds.probs)
    np.testing.assert_allclose(probs[:, :5], est.predict_proba(images.reshape(-1, 64)), atol=1e-6)
    assert not probs[:, 5:].any()
    assert set(v for v, _ in project.store.prelabels("digit", preds.ids).values()) <= set("01234")


def test_estimator_with_a_class_the_schema_lacks_is_refused(project, digits):
    images, target = digits
    y = np.where(target == 9, "nine", target.astype(str))
    est = LogisticRegression(max_iter=200).fit(images.reshape(-1, 64), y)
    with pytest.raises(wb.WorkbenchError, match="nine"):
        project.prelabel(est, progress=False)
    with pytest.raises(wb.WorkbenchError, match="fit it first"):
        project.prelabel(LogisticRegression(), progress=False)
    assert project.events().empty
    assert wb_predictions.versions(project.models_dir, "digit") == []


def test_callable_on_embeddings_probs_and_logits(project):
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(N, 5)).astype(np.float32)
    weights = rng.normal(size=(5, 10)).astype(np.float32)
    seen: list[tuple[int, ...]] = []

    def scorer(x):
        seen.append(x.shape)
        return x @ weights

    preds = project.prelabel(scorer, features=emb, outputs="logits", batch_size=100,
                             progress=False)  # fmt: skip
    assert preds.model == "scorer@1"
    assert seen == [(100, 5), (100, 5), (40, 5)]  # one features read per batch
    np.testing.assert_allclose(preds.probs, to_probabilities(emb @ weights, "logits"), rtol=1e-5)
    # Rows that already are probabilities are kept as they are with outputs="auto".
    probs = to_probabilities(emb @ weights, "logits")
    kept = project.prelabel(lambda x: probs[: len(x)], features=emb, batch_size=N, progress=False)
    assert kept.model == "model@1"
    np.testing.assert_allclose(kept.probs, probs, rtol=1e-6)
    # A DataFrame indexed by item id works as features too.
    import pandas as pd

    frame = pd.DataFrame(emb, index=project.item_ids())
    by_id = project.prelabel(scorer, features=frame, outputs="logits", progress=False)
    np.testing.assert_allclose(by_id.probs, preds.probs)


def test_torch_model_on_embeddings_is_not_reshaped(project):
    emb = np.random.default_rng(1).normal(size=(N, 16)).astype(np.float32)
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(16, 10), torch.nn.Softmax(dim=1))
    preds = project.prelabel(mlp, features=emb, progress=False)
    with torch.no_grad():
        expected = mlp(torch.from_numpy(emb)).numpy()
    # Softmax outputs are recognised as probabilities, not softmaxed twice.
    np.testing.assert_allclose(preds.probs, expected, atol=1e-6)


def test_transform_and_channel_layout(tmp_path):
    rgb = np.random.default_rng(2).integers(0, 256, size=(12, 6, 5, 3), dtype=np.uint8)
    project = wb.Project(tmp_path / "rgb.db", schema=wb.Schema.classification("c", ["a", "b"]))
    project.add_arrays(rgb)
    shapes = []

    class Probe(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(3, 2))

        def forward(self, x):
            shapes.append(tuple(x.shape))
            return x.mean(dim=(2, 3)) @ self.w if x.shape[1] == 3 else x.flatten(1)[:, :2]

    project.prelabel(Probe(), batch_size=5, progress=False, write_events=False)
    assert shapes == [(5, 3, 6, 5), (5, 3, 6, 5), (2, 3, 6, 5)]  # N×H×W×C → N×C×H×W
    shapes.clear()
    seen = []

    def scale(x):
        seen.append((x.dtype, x.shape, float(x.max())))
        return x / 255.0  # a transform decides the layout itself: kept channels-last

    preds = project.prelabel(Probe(), transform=scale, batch_size=12, progress=False)
    assert seen[0][:2] == (np.float32, (12, 6, 5, 3)) and seen[0][2] > 1
    assert shapes == [(12, 6, 5, 3)]
    assert preds.probs.shape == (12, 2)
    project.close()


def test_multi_label_task_uses_sigmoid_and_lists(tmp_path):
    schema = wb.Schema.classification("tags", ["red", "round", "big"], multi_label=True)
    project = wb.Project(tmp_path / "ml.db", schema=schema)
    project.add_arrays(np.zeros((4, 2, 2), dtype=np.uint8))
    logits = np.array([[3, -3, 0.5], [-3, -3, -3], [3, 3, 3], [-0.2, 0.1, -4]], np.float32)
    preds = project.prelabel(lambda x: logits[: len(x)], outputs="logits", progress=False)
    np.testing.assert_allclose(preds.probs, 1 / (1 + np.exp(-logits)), rtol=1e-6)
    shown = project.store.prelabels("tags", project.item_ids())
    values = [shown[i][0] for i in project.item_ids()]
    assert values == [["red", "big"], [], ["red", "round", "big"], ["round"]]
    # Score: confidence of the least certain per-class decision.
    p = 1 / (1 + np.exp(-logits))
    expected = np.maximum(p, 1 - p).min(axis=1)
    scores = [shown[i][1] for i in project.item_ids()]
    np.testing.assert_allclose(scores, expected, rtol=1e-5)
    project.close()


def test_clear_errors_for_shape_nan_device_and_model(project):
    with pytest.raises(wb.WorkbenchError, match=r"shape \(240, 3\).*expected \(240, 10\)"):
        project.prelabel(lambda x: np.ones((len(x), 3)), batch_size=N, progress=False)
    with pytest.raises(wb.WorkbenchError, match="NaN"):
        project.prelabel(lambda x: np.full((len(x), 10), np.nan), progress=False)
    with pytest.raises(wb.WorkbenchError, match="device"):
        project.prelabel(TinyCNN(), device="tpu", progress=False)
    if not torch.cuda.is_available():
        with pytest.raises(wb.WorkbenchError, match="CUDA is not available"):
            project.prelabel(TinyCNN(), device="cuda:1", progress=False)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        project.prelabel("not a model", progress=False)
    with pytest.raises(ValueError, match="outputs"):
        project.prelabel(TinyCNN(), outputs="scores", progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        project.prelabel(TinyCNN(), batch_size=0, progress=False)
    # Nothing half-written: no saved version, no events.
    assert wb_predictions.versions(project.models_dir, "digit") == []
    assert project.events().empty


def test_failure_midway_saves_nothing(project):
    calls = []

    def flaky(x):
        calls.append(len(x))
        if len(calls) == 2:
            raise RuntimeError("out of memory, say")
        return np.full((len(x), 10), 0.1)

    with pytest.raises(RuntimeError, match="out of memory"):
        project.prelabel(flaky, batch_size=100, progress=False)
    assert wb_predictions.versions(project.models_dir, "digit") == []
    assert not any((project.models_dir / "digit").iterdir())
    assert project.events().empty


def test_text_project_needs_features(tmp_path):
    project = wb.Project(tmp_path / "t.db", schema=wb.Schema.classification("s", ["pos", "neg"]))
    project.add_texts(["good", "bad", "fine"])
    with pytest.raises(wb.ItemReadError, match="features="):
        project.prelabel(lambda x: np.full((len(x), 2), 0.5), progress=False)
    emb = np.eye(3, 4, dtype=np.float32)
    preds = project.prelabel(lambda x: np.tile([0.8, 0.2], (len(x), 1)), features=emb,
                             progress=False)  # fmt: skip
    assert preds.suggested() == ["pos"] * 3
    project.close()


def test_device_resolution():
    assert resolve_device("cpu").type == "cpu"
    auto = resolve_device("auto")
    assert auto.type == ("cuda" if torch.cuda.is_available() else auto.type)
    if not torch.cuda.is_available() and not torch.backends.mps.is_available():
        assert auto.type == "cpu"
    with pytest.raises(wb.WorkbenchError, match="'auto', 'cpu'"):
        resolve_device("gpu")


def test_dataloader_workers_give_the_same_probabilities(project, digits):
    model = TinyCNN()
    preds = project.prelabel(model, num_workers=1, batch_size=100, progress=False,
                             write_events=False)  # fmt: skip
    np.testing.assert_allclose(preds.probs, direct_probs(model, digits[0]), atol=1e-6)
