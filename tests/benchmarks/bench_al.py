"""Active learning on digits: labels needed to reach 95% held-out accuracy, per strategy.

``al.labels_to_95pct.<strategy>``: logistic regression, 20 random seed labels,
batches of 10, through the shipped :class:`workbench.ActiveLearningLoop` with a
simulated labeler that answers the true class. The value is the mean over 5
seeds; ``baseline`` is random sampling's mean in the same run and ``ratio`` the
strategy's mean over random's (target for margin: ≤ 0.6). Per-seed figures
are in ``seeds``. Each seed splits digits into a pool (70%) and a held-out set
(30%) the same way for every strategy.

``--quick``: 2 seeds, margin and random only, a ceiling of 300 labels.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

TARGET = 0.95
SEED_LABELS = 20
BATCH = 10


def labels_to_target(strategy: str, seed: int, ceiling: int) -> int | None:
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    import workbench as wb

    digits = load_digits()
    X = digits.data / 16.0
    y = digits.target.astype(str)
    X_pool, X_test, y_pool, y_test = train_test_split(
        X, y, test_size=0.3, random_state=seed, stratify=y
    )
    with tempfile.TemporaryDirectory() as tmp:
        project = wb.Project(
            Path(tmp) / "al.db", schema=wb.Schema.classification("digit", list("0123456789"))
        )
        ids = [f"d{i}" for i in range(len(X_pool))]
        project.add_arrays(X_pool.reshape(-1, 8, 8), ids=ids)
        truth = dict(zip(ids, y_pool, strict=True))
        loop = wb.ActiveLearningLoop(
            project,
            LogisticRegression(max_iter=1000),
            strategy=strategy,
            batch_size=BATCH,
            features=X_pool,
            holdout=(X_test, y_test),
            initial=SEED_LABELS,
            seed=seed,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence warnings on tiny label sets
            loop.run(lambda batch: [truth[i] for i in batch], until=TARGET,
                     max_labels=ceiling, progress=False)  # fmt: skip
        project.close()
        return loop.labels_to(TARGET)


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    seeds = range(2 if quick else 5)
    strategies = ["margin", "random"] if quick else ["margin", "entropy", "least_confidence",
                                                     "random"]  # fmt: skip
    ceiling = 300 if quick else 1000
    results: dict[str, list[int | None]] = {}
    for strategy in strategies:
        results[strategy] = [labels_to_target(strategy, s, ceiling) for s in seeds]

    def mean(values: list[int | None]) -> float:
        # A run that never reached the target counts as the ceiling: a lower bound.
        return float(np.mean([v if v is not None else ceiling for v in values]))

    baseline = mean(results["random"])
    for strategy, values in results.items():
        value = mean(values)
        line = {
            "name": f"al.labels_to_95pct.{strategy}",
            "value": value,
            "unit": "labels",
            "baseline": baseline,
            "ratio": round(value / baseline, 3),
            "seeds": values,
        }
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
