"""Auditing a text-span task: suspected span errors from token probabilities (cleanlab).

:func:`span_issues` ranks the labeled items of a :class:`~workbench.TextSpans`
task worst first, with the suspected tokens and spans of each, for the text
widget's review walk: ``project.annotate_text(task, issues=df)`` serves the
items in this order and shows each one's ``suspects``, ``suggested`` spans and
``quality``. It hands cleanlab's
token-classification module (``cleanlab.token_classification``) what it asks for:

- **given labels**: each item's current label as one IO class per token
  (:func:`.tags.token_classes`: ``0`` outside, ``j + 1`` the task's ``j``-th
  class; with overlapping spans a token takes the shortest span's class);
- **pred_probs**: per item a ``T × (K + 1)`` array, ``T`` the item's tokens by
  the audit's tokenizer (the task's, ``"words"`` when it has none, or
  ``tokens=``), columns ``["O", *task classes]``; ideally *out of fold* (the
  model never saw the item): :func:`out_of_fold_token_probs` makes them with a
  small model trained here, so an audit needs no model of one's own.

``cleanlab.token_classification.filter.find_label_issues`` flags tokens
(confident learning over all tokens) and ``rank.get_label_quality_scores``
scores each item (its least-confident token by default).

Beside cleanlab's flags, a plain check (``disagreement=0.5``, the default): a
token is also suspect when the model's most probable class is not the given
one and has probability ≥ ``disagreement``. Why: confident learning flags a
token only when the model's probability of another class reaches that class's
threshold, the mean probability the model gives the class on tokens labeled
with it; a small model that is sure of names inside a sentence but less so at
its start (0.8 against a threshold of 0.9) then leaves a swapped class there
unflagged. On the planted-error set of the tests (90 template sentences, four
swapped classes and two dropped spans, out-of-fold probabilities from
:func:`out_of_fold_token_probs`; corpus seeds 0–4), cleanlab alone flagged 4,
2, 6, 6 and 6 of the 6 planted items, with the check 6 of 6 every time, and
no clean item was flagged either way. The margin is thin for so small a
model (the least probability a clean token's given class got was 0.49 to
0.71 across the seeds): raise ``disagreement`` for a noisier model, or pass
``disagreement=None`` for cleanlab's flags alone. ``quality`` is cleanlab's
score either way; an item is an issue when one of its tokens is flagged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...errors import require
from ...ml.annotations import annotator_labels
from .prelabel import item_texts
from .schema import tokenize
from .tags import OUTSIDE, decode, parse_tags, token_classes

if TYPE_CHECKING:
    from ...project import Project

__all__ = [
    "span_issues", "out_of_fold_token_probs", "token_features", "SPAN_ISSUE_COLUMNS",
]  # fmt: skip

SPAN_ISSUE_COLUMNS = ["label", "suggested", "quality", "is_issue", "issue_tokens",
                      "annotators", "suspects"]  # fmt: skip


def _audit_tokens(spec: Any, tokens: str | None) -> str:
    return tokens or spec.tokens or "words"


def span_issues(
    project: Project,
    pred_probs: Mapping[str, Any] | Sequence[Any] | Callable[[str], Any] | None = None,
    *,
    task: str | None = None,
    tokens: str | None = None,
    method: str = "self_confidence",
    sentence_score: str = "min",
    folds: int = 5,
    seed: int = 0,
    disagreement: float | None = 0.5,
    **find_options: Any,
) -> pd.DataFrame:
    """The labeled items of a spans task ranked for review, likeliest span errors first.

    Parameters
    ----------
    project : Project
    pred_probs : mapping, sequence or callable, optional
        Token probabilities (module docstring): ``{item_id: T × (K + 1)}``, a
        sequence of such arrays in ``project.labels(task)`` order, or a
        function ``item_id -> array``. None: :func:`out_of_fold_token_probs`
        with ``folds`` and ``seed``.
    task : str, optional
        The spans task; the schema's first by default.
    tokens : {"whitespace", "words"}, optional
        The tokenizer the probabilities are aligned to; the task's by default
        (``"words"`` when it has none).
    method : str
        cleanlab's token score (``"self_confidence"``, ``"normalized_margin"``,
        ``"confidence_weighted_entropy"``), for flags and ranks.
    sentence_score : {"min", "softmin"}
        How token scores make the item's quality.
    disagreement : float or None
        Also flag a token whose most probable class is not the given one and has
        at least this probability (module docstring); None: cleanlab's flags only.
    find_options
        Passed to ``cleanlab.token_classification.filter.find_label_issues``
        (``filter_by``, ``frac_noise`` …).

    Returns
    -------
    DataFrame
        Index ``item_id``, one row per labeled item, flagged items first, each
        group by ascending quality. Columns: ``label`` (the current value),
        ``suggested`` (the model's spans: each token's most probable class,
        decoded as IO tags, scored by mean probability), ``quality`` (cleanlab's
        item score, lower = worse), ``is_issue``, ``issue_tokens`` (how many
        flagged), ``annotators`` (``{annotator: value}``) and ``suspects``: per
        flagged token, worst first, ``{"token": index, "start", "end", "text",
        "given": class or "O", "suggested": class or "O", "score": cleanlab's
        token score, "span": id of the labeled span covering it or None,
        "flagged_by": "cleanlab" or "disagreement"}``.
        ``df.attrs["token_scores"]`` holds every item's token scores.
    """
    cleanlab_filter = require("cleanlab.token_classification.filter", "ml")
    cleanlab_rank = require("cleanlab.token_classification.rank", "ml")
    spec = project.schema.task_of_kind(task, "spans", purpose="a span audit")
    classes = list(spec.class_names)  # type: ignore[attr-defined]
    tokenizer = _audit_tokens(spec, tokens)
    current = project.labels(spec.name)
    if current.empty:
        return pd.DataFrame(columns=SPAN_ISSUE_COLUMNS, index=pd.Index([], name="item_id"))
    ids = current["item_id"].tolist()
    values = dict(zip(ids, current["label"].tolist(), strict=True))
    if pred_probs is None:
        pred_probs = out_of_fold_token_probs(project, task=spec.name, tokens=tokenizer,
                                             folds=folds, seed=seed)  # fmt: skip
    texts = dict(item_texts(project, ids))
    toks = {iid: tokenize(texts[iid], tokenizer) for iid in ids}
    probs = _aligned(pred_probs, ids, toks, len(classes) + 1, tokenizer)
    labels = [token_classes(values[iid], toks[iid], classes) for iid in ids]
    # Items with no token say nothing to cleanlab; they are left out of its input.
    used = [i for i, iid in enumerate(ids) if len(toks[iid])]
    flagged: list[tuple[int, int]] = []
    scores = np.ones(len(ids))
    token_scores: list[np.ndarray] = [np.ones(0) for _ in ids]
    if used:
        lab = [labels[i].tolist() for i in used]
        pp = [probs[i] for i in used]
        found = cleanlab_filter.find_label_issues(
            lab, pp, return_indices_ranked_by=method, **find_options
        )
        flagged = [(used[i], j) for i, j in found]
        item_scores, per_token = cleanlab_rank.get_label_quality_scores(
            lab, pp, token_score_method=method, sentence_score_method=sentence_score
        )
        for k, i in enumerate(used):
            scores[i] = float(item_scores[k])
            token_scores[i] = np.asarray(per_token[k], dtype=np.float64)
    by_item: dict[int, dict[int, str]] = {}
    for i, j in flagged:
        by_item.setdefault(i, {})[j] = "cleanlab"
    if disagreement is not None:
        if isinstance(disagreement, bool) or not 0.0 < float(disagreement) <= 1.0:
            raise ValueError(
                f"disagreement must be a number in (0, 1] or None, got {disagreement!r}"
            )
        for i in used:
            p = probs[i]
            top = p.argmax(axis=1)
            odd = np.flatnonzero((top != labels[i]) & (p.max(axis=1) >= float(disagreement)))
            for j in odd.tolist():
                by_item.setdefault(i, {}).setdefault(j, "disagreement")
    names = [OUTSIDE, *classes]
    parsed = parse_tags(names)
    wide = annotator_labels(project, spec.name)
    people = {
        iid: {a: v for a, v in zip(wide.columns, row, strict=True) if isinstance(v, Mapping)}
        for iid, row in zip(wide.index, wide.itertuples(index=False, name=None), strict=True)
    }
    rows = []
    for i, iid in enumerate(ids):
        t, p, text = toks[iid], probs[i], texts[iid]
        best = p.argmax(axis=1) if len(t) else np.zeros(0, dtype=np.int64)
        found_spans = decode(best, p[np.arange(len(t)), best], t, parsed)
        suggested = spec.validate([  # type: ignore[attr-defined]
            {"start": s, "end": e, "class": c, "score": float(min(max(sc, 0.0), 1.0))}
            for s, e, c, sc in found_spans
        ])  # fmt: skip
        suspects = []
        marked = by_item.get(i, {})
        for j in sorted(marked, key=lambda j: (token_scores[i][j], j)):
            s, e = t[j]
            covering = [sp for sp in values[iid]["spans"] if sp["start"] < e and s < sp["end"]]
            covering.sort(key=lambda sp: sp["end"] - sp["start"])
            suspects.append({
                "token": int(j), "start": int(s), "end": int(e), "text": text[s:e],
                "given": names[int(labels[i][j])], "suggested": names[int(best[j])],
                "score": float(token_scores[i][j]),
                "span": covering[0]["id"] if covering else None, "flagged_by": marked[j],
            })  # fmt: skip
        rows.append({
            "item_id": iid, "label": values[iid], "suggested": suggested,
            "quality": scores[i], "is_issue": bool(suspects), "issue_tokens": len(suspects),
            "annotators": people.get(iid, {}), "suspects": suspects,
        })  # fmt: skip
    df = pd.DataFrame(rows, columns=["item_id", *SPAN_ISSUE_COLUMNS])
    df["quality"] = df["quality"].astype(float)
    df = df.sort_values(["is_issue", "quality"], ascending=[False, True], kind="stable")
    df = df.set_index("item_id")
    df.attrs["token_scores"] = {iid: token_scores[i] for i, iid in enumerate(ids)}
    df.attrs["tokens"] = tokenizer
    return df


def _aligned(pred_probs: Any, ids: list[str], toks: Mapping[str, list[tuple[int, int]]],
             k: int, tokenizer: str) -> list[np.ndarray]:  # fmt: skip
    """One ``T × k`` float array per item of ``ids``, checked."""
    if callable(pred_probs) and not isinstance(pred_probs, Mapping):
        got = [pred_probs(iid) for iid in ids]
    elif isinstance(pred_probs, Mapping):
        missing = [iid for iid in ids if iid not in pred_probs]
        if missing:
            raise ValueError(
                f"pred_probs has no probabilities for labeled item {missing[0]!r} "
                f"({len(missing)} missing)"
            )
        got = [pred_probs[iid] for iid in ids]
    else:
        got = list(pred_probs)
        if len(got) != len(ids):
            raise ValueError(
                f"pred_probs has {len(got)} arrays; give one per labeled item ({len(ids)}, "
                "in project.labels() order) or a dict {item_id: array}"
            )
    out = []
    for iid, p in zip(ids, got, strict=True):
        a = np.asarray(p, dtype=np.float64)
        n = len(toks[iid])
        if a.shape != (n, k):
            raise ValueError(
                f"pred_probs of item {iid!r} has shape {a.shape}; expected ({n}, {k}): one row "
                f"per {tokenizer!r} token, columns 'O' then the task's classes"
            )
        if n and (not np.isfinite(a).all() or a.min() < -1e-6 or
                  np.abs(a.sum(axis=1) - 1).max() > 1e-3):  # fmt: skip
            raise ValueError(
                f"pred_probs of item {iid!r} are not probabilities (rows in [0, 1] summing to 1)"
            )
        out.append(a)
    return out


# -- a small model of one's own -------------------------------------------------------------
def token_features(text: str, tokens: Sequence[tuple[int, int]]) -> list[list[str]]:
    """String features of each token for a hashed linear model: the token lower-cased,
    its shape (``Xxxx``, ``dd``), prefix and suffix, and its neighbours' words."""
    words = [text[s:e] for s, e in tokens]
    low = [w.lower() for w in words]
    out = []
    for i, w in enumerate(words):
        shape = "".join("X" if c.isupper() else "x" if c.islower() else "d" if c.isdigit()
                        else c for c in w[:8])  # fmt: skip
        f = [f"w={low[i]}", f"shape={shape}", f"pre={low[i][:3]}", f"suf={low[i][-3:]}",
             f"title={w.istitle()}", "bias"]  # fmt: skip
        f.append(f"w-1={low[i - 1]}" if i else "w-1=<s>")
        f.append(f"w+1={low[i + 1]}" if i + 1 < len(words) else "w+1=</s>")
        if i:
            f.append(f"w-1|w={low[i - 1]}|{low[i]}")
        out.append(f)
    return out


def out_of_fold_token_probs(
    project: Project,
    *,
    task: str | None = None,
    tokens: str | None = None,
    folds: int = 5,
    seed: int = 0,
    n_features: int = 2**18,
    C: float = 1.0,
    max_iter: int = 100,
    tol: float = 1e-3,
) -> dict[str, np.ndarray]:
    """Out-of-fold token probabilities of the labeled items, from a small model trained here.

    A scikit-learn logistic regression on hashed token features
    (:func:`token_features`: the word, its shape, affixes and neighbours),
    trained on the items' current labels as IO token classes (hashed columns fewer
    than two tokens have are left out; ``tol`` stops the optimiser early: about
    20 s for 1,000 documents of 80 tokens on two busy CPU cores). Folds split the
    *items* (documents), never one document's tokens, so no item's tokens are
    predicted by a model that saw them. Classes a fold's training part lacks
    get probability 0 there.

    Returns
    -------
    dict
        ``{item_id: T × (K + 1)}`` for every labeled item, in the layout
        :func:`span_issues` takes.
    """
    require("sklearn", "ml")
    from sklearn.feature_extraction import FeatureHasher
    from sklearn.linear_model import LogisticRegression

    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ValueError(f"folds must be an int >= 2, got {folds!r}")
    spec = project.schema.task_of_kind(task, "spans", purpose="a span audit")
    classes = list(spec.class_names)  # type: ignore[attr-defined]
    tokenizer = _audit_tokens(spec, tokens)
    current = project.labels(spec.name)
    ids = current["item_id"].tolist()
    if len(ids) < folds:
        raise ValueError(
            f"out-of-fold probabilities need at least as many labeled items as folds "
            f"({folds}); task {spec.name!r} has {len(ids)}"
        )
    values = dict(zip(ids, current["label"].tolist(), strict=True))
    hasher = FeatureHasher(n_features=n_features, input_type="string", alternate_sign=False)
    feats, labels, owner = [], [], []
    for pos, (iid, text) in enumerate(item_texts(project, ids)):
        t = tokenize(text, tokenizer)
        feats.extend(token_features(text, t))
        labels.append(token_classes(values[iid], t, classes))
        owner.extend([pos] * len(t))
    k = len(classes) + 1
    x = hasher.transform(feats).tocsr()
    # Only the hashed columns at least two tokens have: a column no token has keeps a
    # zero weight under L2 anyway, and one a single token has cannot carry anything
    # from the training folds to another item; the cost is then set by the data, not
    # by n_features (the optimiser's step grows with the number of weights).
    seen = np.bincount(x.indices, minlength=x.shape[1])
    x = x[:, np.flatnonzero(seen >= 2)]
    y = np.concatenate(labels) if labels else np.zeros(0, np.int64)
    doc = np.asarray(owner, dtype=np.int64)
    fold_of = np.random.default_rng(seed).permutation(len(ids)) % folds
    probs = np.zeros((len(y), k))
    for f in range(folds):
        test = fold_of[doc] == f
        train = ~test
        if not test.any():
            continue
        seen = np.unique(y[train])
        if len(seen) == 1:
            probs[np.ix_(test, seen)] = 1.0
            continue
        model = LogisticRegression(C=C, max_iter=max_iter, tol=tol)
        model.fit(x[train], y[train])
        probs[np.ix_(test, model.classes_)] = model.predict_proba(x[test])
    out: dict[str, np.ndarray] = {}
    start = 0
    for iid, lab in zip(ids, labels, strict=True):
        out[iid] = probs[start : start + len(lab)]
        start += len(lab)
    return out
