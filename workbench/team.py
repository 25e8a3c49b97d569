"""Team mode on PostgreSQL: users and roles, assignment with overlap, gold items, review tiers.

The project lead opens the project with the URL of a role that owns the
store's tables and may create roles, and runs :meth:`Team.setup` once::

    project = wb.Project("postgresql://lead@db/cats", schema=schema)
    team = project.team.setup(overlap=2, gold_share=0.1)
    alice = team.add_user("alice", "annotator")      # a URL for alice's notebook
    team.add_user("rita", "reviewer")
    team.fill()                                       # every item, needing 2 labels
    team.add_gold({"img-7": "cat"})                  # honeypots, mixed in unseen

Each person opens the project with their own URL; PostgreSQL's privileges and
row-level security (:mod:`workbench.store.team_sql`) decide what they may read
and write, and a refusal raises :class:`~workbench.PermissionDenied`::

    project = wb.Project(alice)                       # annotator: alice
    project.classify()                                # claims work as it goes
    project.team.claim(10)                            # or by hand

Tiers: annotators label (``annotate``); :meth:`Team.route` sends items whose
annotators disagree (or that one flagged ambiguous) to ``review``, where a
reviewer accepts, corrects with a reason, or sends back; a share of reviewed
items goes on to ``qa``. Corrections and send-backs become feedback rows that
the annotator's widget shows (:meth:`Team.feedback`).
"""

from __future__ import annotations

import json
import math
import re
import time
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from .decisions import CURRENT, decide
from .errors import PermissionDenied, SchemaError, StoreError, UnknownItemError
from .kinds import registry
from .store import team_sql
from .store.team import TeamStore

if TYPE_CHECKING:
    from .project import Project

__all__ = ["Team", "TEAM_ROLES"]

TEAM_ROLES = team_sql.ROLES
#: Settings and their defaults (see :meth:`Team.setup`).
DEFAULTS: dict[str, Any] = {
    "overlap": 2,
    "gold_share": 0.1,
    "lease_s": 900.0,
    "blind": True,
    "review_threshold": 0.0,
    "qa_share": 0.1,
}
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
#: Seconds a claim reuses the settings and role it read (they change rarely).
CACHE_S = 5.0
#: Names ``add_user`` refuses: the cluster's own, and those of group roles.
RESERVED_NAMES = frozenset({"postgres", "public", "none", "current_user", "session_user"})
RESERVED_PREFIXES = ("pg_", "wb_")


class Team:
    """Team-mode view of a PostgreSQL project. Get it as ``project.team``.

    Methods for the lead (an admin): :meth:`setup`, :meth:`add_user`,
    :meth:`fill`, :meth:`add_gold`, :meth:`route`, :meth:`gold_accuracy`,
    :meth:`consensus`, :meth:`labels`, :meth:`scorecards`, :meth:`queue`.
    For everyone: :meth:`claim`, :meth:`release`, :meth:`feedback`,
    :meth:`my_labels`; for reviewers and QA: :meth:`item_labels`,
    :meth:`accept`, :meth:`correct`, :meth:`send_back`.
    """

    def __init__(self, project: Project) -> None:
        from .store.postgres import PostgresStore

        if not isinstance(project.store, PostgresStore):
            raise StoreError(
                "team mode needs a PostgreSQL project (Project('postgresql://...')); "
                f"{project.store.url} is not one"
            )
        self.project = project
        self.store: PostgresStore = project.store
        #: Every read and write of team mode's tables goes through this.
        self.db = TeamStore(project.store)
        self._cache: dict[str, tuple[float, Any]] = {}

    # -- set-up (lead) ----------------------------------------------------------
    @property
    def enabled(self) -> bool:
        """Whether :meth:`setup` has been run on this database."""
        return self.db.enabled()

    @property
    def user(self) -> str:
        """The PostgreSQL role this connection logs in as (the name on its events)."""
        return self.db.session_user()

    def setup(self, **settings: Any) -> Team:
        """Create (or update) team mode's tables, roles, privileges and policies.

        Idempotent: run it again to change a setting.

        Other Parameters
        ----------------
        overlap : int
            How many different annotators label each item (default 2).
        gold_share : float
            Share of each annotator's queue made of gold items, in [0, 1) (0.1).
        lease_s : float
            Seconds a claim is held before it returns to the pool (900).
        blind : bool
            Annotators cannot read each other's labels (True).
        review_threshold : float
            Items whose disagreement (1 − share of the most common label, or
            1 − mean pairwise shape agreement) exceeds this go to review (0.0:
            any disagreement).
        qa_share : float
            Share of reviewed items that go on to QA (0.1).
        """
        unknown = set(settings) - set(DEFAULTS)
        if unknown:
            raise TypeError(f"unknown team settings {sorted(unknown)}; known: {list(DEFAULTS)}")
        current = self.settings() if self.enabled else dict(DEFAULTS)
        values = {**current, **settings}
        _check_settings(values)
        if not values["blind"] and self.enabled and self._gold_count():
            raise ValueError(
                "blind=False needs a project without gold items: annotators who read each "
                "other's labels can tell gold items apart (every annotator labels each one)"
            )
        if self._is_superuser():
            warnings.warn(
                f"{self.user} is a PostgreSQL superuser: team mode's definer functions would "
                "run with every privilege of the server. Make the lead an ordinary role that "
                "owns the project's database (workbench.local_postgres does; docs/security.md)",
                UserWarning,
                stacklevel=2,
            )
        self.db.install(
            {key: _setting_text(value) for key, value in values.items()},
            blind=bool(values["blind"]),
        )
        self._cache.clear()
        return self

    def settings(self) -> dict[str, Any]:
        """The team's settings (see :meth:`setup`)."""
        self._require_enabled()
        self._cache.pop("settings", None)
        return dict(self._cached("settings", self._read_settings))

    def _read_settings(self) -> dict[str, Any]:
        stored = self.db.settings()
        out = dict(DEFAULTS)
        for key, text in stored.items():
            if key in DEFAULTS:
                out[key] = type(DEFAULTS[key])(json.loads(text))
        return out

    def add_user(
        self,
        name: str,
        role: str,
        *,
        password: str | None = None,
        reset_password: bool = False,
    ) -> str:
        """Add a person (a PostgreSQL login role) with ``role``; return their project URL.

        ``role`` is ``"annotator"``, ``"reviewer"``, ``"qa"`` or ``"admin"``. A
        new login role gets ``password`` (none: the server's other means of
        authentication, e.g. a private socket with trust). An ordinary login role
        that already exists (a member of another project of the cluster) is
        reused as it is: its password and attributes are never changed, unless
        ``reset_password=True`` is given with the new ``password``. A role that
        may do more than a member should (a superuser, or one that may create
        roles or databases, replicate or bypass row-level security: another
        project's lead) is refused, and so are the names PostgreSQL and
        workbench reserve (``postgres``, ``pg_*``, ``wb_*``). Calling again with
        another ``role`` changes the person's role.
        """
        self._require_enabled()
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError(
                f"user names are lower-case PostgreSQL identifiers ([a-z_][a-z0-9_]*, at most "
                f"63 characters), got {name!r}"
            )
        if role not in TEAM_ROLES:
            raise ValueError(f"role must be one of {list(TEAM_ROLES)}, got {role!r}")
        if name == self.user:
            raise ValueError(f"{name!r} is the lead's own role; add other people")
        if name in RESERVED_NAMES or name.startswith(RESERVED_PREFIXES):
            raise ValueError(
                f"{name!r} is a reserved name (postgres, public, pg_*, and wb_* for the "
                "projects' group roles); choose another"
            )
        if password is not None and not isinstance(password, str):
            raise ValueError(f"password must be a string, got {type(password).__name__}")
        if reset_password and password is None:
            raise ValueError("reset_password=True needs the new password=")
        try:
            self.db.add_login(name, role, password, reset_password)
        except PermissionDenied as exc:
            raise PermissionDenied(
                f"adding people needs a role that may create roles and grant this project's "
                f"roles (the lead's); {self.user} may not: {exc}"
            ) from None
        return self.url_for(name, password=password)

    def url_for(self, name: str, *, password: str | None = None) -> str:
        """The project URL with ``name`` (and ``password``) as the user."""
        return self.db.login_url(name, password)

    def users(self) -> pd.DataFrame:
        """Columns ``name, role, added_at, claims, gold_claims`` (the lead and admins:
        everyone; annotators, reviewers and QA: their own row, without ``gold_claims``)."""
        self._require_enabled()
        return self.db.users(with_gold=self._role() in (None, "admin"))

    def fill(
        self,
        task: str | None = None,
        *,
        items: Iterable[str] | None = None,
        overlap: int | None = None,
    ) -> int:
        """Put items in the annotation pool (all of the task's items by default).

        Each needs ``overlap`` different annotators (the team's setting by
        default). Priorities come from the store's queue (``store.set_priority``,
        the sampling scores of :mod:`workbench.ml.sampling`); calling again adds new
        items and refreshes priorities. Returns how many items were added.
        """
        self._require_enabled()
        name = self.project._task(task)
        k = int(self.settings()["overlap"] if overlap is None else overlap)
        if k < 1:
            raise ValueError(f"overlap must be at least 1, got {k}")
        ids = None if items is None else [str(i) for i in items]
        if ids is not None:
            missing = self.store.missing_items(ids)
            if missing:
                raise UnknownItemError(f"no item {missing[0]!r} in this project")
        return self.db.fill(name, k, ids)

    def add_gold(self, answers: Mapping[str, Any], *, task: str | None = None) -> int:
        """Make items gold: their answers are kept where annotators cannot read them.

        Gold items are mixed into annotators' queues at the ``gold_share`` rate,
        each annotator getting each at most once, and never go to review.
        Answers are checked against the schema first. Returns how many were given.
        """
        self._require_enabled()
        if not self.settings()["blind"]:
            raise ValueError(
                "gold items need blind mode (setup(blind=True)): annotators who read each "
                "other's labels can tell gold items apart (every annotator labels each one)"
            )
        name = self.project._task(task)
        ids = [str(i) for i in answers]
        missing = self.store.missing_items(ids)
        if missing:
            raise UnknownItemError(f"gold answer for {missing[0]!r}, which is not in this project")
        answers_json = {
            str(iid): json.dumps(self.project.schema.validate(name, v))
            for iid, v in answers.items()
        }
        self.db.add_gold(name, answers_json)
        return len(answers)

    # -- work (everyone) --------------------------------------------------------
    def claim(
        self,
        n: int = 10,
        *,
        task: str | None = None,
        tier: str | None = None,
        exclude: Iterable[str] = (),
        lease_s: float | None = None,
    ) -> list[str]:
        """Take up to ``n`` items to work on; return their ids.

        Items a reviewer sent back come first, then items already held (and
        not in ``exclude``) with their lease renewed, then new ones by priority,
        with gold items mixed in. The tier is the role's (admins choose with
        ``tier``). Reviewers and QA route new disagreements first.
        """
        self._require_enabled()
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= team_sql.MAX_CLAIM:
            raise ValueError(f"n must be an integer from 0 to {team_sql.MAX_CLAIM}, got {n!r}")
        name = self.project._task(task)
        if tier is not None and tier not in team_sql.TIERS:
            raise ValueError(f"tier must be one of {list(team_sql.TIERS)}, got {tier!r}")
        if lease_s is None:
            lease_s = self._cached("settings", self._read_settings)["lease_s"]
        lease = _lease(lease_s)
        exclude = [str(i) for i in exclude]
        if len(exclude) > team_sql.MAX_EXCLUDE:
            raise ValueError(f"exclude holds at most {team_sql.MAX_EXCLUDE} items")
        if n == 0:
            return []
        if tier in ("review", "qa") or self._role() in ("reviewer", "qa"):
            self.route(name)
        return self.db.claim(name, tier, n, lease, exclude)

    def review(
        self,
        n: int = 20,
        *,
        task: str | None = None,
        prefetch: int = 8,
        max_size: int = 512,
        annotator: str | None = None,
    ):
        """Claim up to ``n`` items of this user's tier and open them in a
        :class:`~workbench.ReviewWidget` (reviewers and QA): each card shows the
        annotators' labels; decisions are written in the user's tier, and a
        correction or send-back asks for the reason the annotators will see.
        ``prefetch``, ``max_size`` and ``annotator`` are as in :meth:`Project.review`."""
        name = self.project._task(task)
        return self.project.review(
            self.claim(n, task=name), task=name, prefetch=prefetch, max_size=max_size,
            annotator=annotator,
        )  # fmt: skip

    def release(self, item_ids: Iterable[str], *, task: str | None = None) -> int:
        """Give back claims not worked on; their slots return to the pool now."""
        self._require_enabled()
        return self.db.release(self.project._task(task), [str(i) for i in item_ids])

    def my_claims(self, task: str | None = None) -> pd.DataFrame:
        """This user's claims: ``task, tier, item_id, state, claimed_at, lease_until, done_at``."""
        self._require_enabled()
        return self.db.my_claims(None if task is None else self.project._task(task))

    def progress(self, task: str | None = None) -> tuple[int, int]:
        """``(complete, total)`` of the annotation pool: items with every label they
        need, and items in the pool (gold items left out). What an annotator's
        widget shows; anyone in the team may read it."""
        self._require_enabled()
        return self.db.progress(self.project._task(task))

    def my_labels(self, task: str | None = None) -> pd.DataFrame:
        """This user's own current decisions, one row per item (readable in blind mode)."""
        df = self.db.my_labels(self.project._task(task))
        return df.sort_values("id").reset_index(drop=True)

    def my_values(self, task: str, item_ids: Sequence[str]) -> dict[str, tuple[str, Any]]:
        """``{item_id: (kind, value)}`` of this user's latest decision on each item."""
        return self.db.my_values(task, item_ids)

    def my_prelabels(self, task: str, item_ids: Sequence[str]) -> dict[str, tuple[Any, Any]]:
        """``{item_id: (value, score)}`` of the latest model suggestion (readable when blind)."""
        return self.db.my_prelabels(task, item_ids)

    def feedback(self, *, unseen: bool = False, mark_seen: bool = False) -> pd.DataFrame:
        """Reviewers' corrections and send-backs of this user's work, newest last.

        Columns ``id, task, item_id, reviewer, tier, kind, value, previous,
        note, created_at, seen_at``: ``kind`` is ``review-correct`` (``value``
        replaced ``previous``) or ``send-back`` (the item is back in the queue).
        """
        self._require_enabled()
        df = self.db.feedback(unseen=unseen)
        if mark_seen and len(df):
            self.mark_seen(df["id"].tolist())
        return df

    def item_feedback(self, task: str, item_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """``{item_id: feedback}``: the latest feedback on each of these items for this user."""
        from .stream import _feedback_dict

        if not item_ids:
            return {}
        rows = self.db.item_feedback(task, [str(i) for i in item_ids])
        return {row["item_id"]: _feedback_dict(row) for row in rows}

    def my_latest_event(self, task: str, item_id: str):
        """This user's latest decision on an item (not retracted) as an
        :class:`~workbench.store.Event`, or ``None``: the item's state as an
        annotator, who may not read others' labels, sees it."""
        return self.db.my_latest_event(task, str(item_id))

    def my_item_events(self, item_id: str) -> pd.DataFrame:
        """This user's events on one item (and models' suggestions), like ``store.events``."""
        return self.db.my_item_events(str(item_id))

    def mark_seen(self, feedback_ids: Iterable[int]) -> None:
        """Mark feedback rows as read."""
        self.db.mark_seen([int(i) for i in feedback_ids])

    # -- review (reviewers, QA) -------------------------------------------------
    def item_labels(self, item_id: str, *, task: str | None = None) -> pd.DataFrame:
        """The decisions on one item, tier by tier: ``annotator, tier, kind, value, note, id``."""
        name = self.project._task(task)
        if self.store.missing_items([item_id]):
            raise UnknownItemError(f"no item {item_id!r} in this project")
        df = self.db.item_labels(name, str(item_id))
        order = {t: i for i, t in enumerate(team_sql.TIERS)}
        df = df.sort_values(["tier", "id"], key=lambda c: c.map(order) if c.name == "tier" else c)
        return df[["annotator", "tier", "kind", "value", "note", "id", "created_at"]]

    def accept(
        self,
        item_id: str,
        value: Any = None,
        *,
        task: str | None = None,
        note: str = "",
        parent: Any = CURRENT,
    ) -> int:
        """Accept an item's label: ``value`` (one of the labels of the tier below, or
        the item's current label), or the lower tier's majority.

        Every decision goes through :func:`workbench.decisions.decide`: ``parent``
        is the event the decision is about (by default the item's current state),
        written on the decision; if the item changed since,
        :class:`~workbench.errors.StaleLabelError` and nothing is written.
        """
        name = self.project._task(task)
        below = self._below(item_id, name)
        if value is None:
            value = self._majority(item_id, below)
        return self._decide(item_id, "review-accept", value, name, note, parent, below)

    def correct(
        self, item_id: str, value: Any, *, reason: str, task: str | None = None,
        parent: Any = CURRENT,
    ) -> int:  # fmt: skip
        """Replace an item's label with ``value``; ``reason`` goes to the annotators.
        ``parent`` as in :meth:`accept`."""
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError("a correction needs a reason for the annotators: reason='...'")
        name = self.project._task(task)
        return self._decide(item_id, "review-correct", value, name, reason, parent)

    def send_back(
        self, item_id: str, *, reason: str, task: str | None = None, parent: Any = CURRENT
    ) -> int:
        """Return an item to the people of the tier below, with ``reason`` as feedback.
        ``parent`` as in :meth:`accept`."""
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError("sending back needs a reason for the annotators: reason='...'")
        name = self.project._task(task)
        return self._decide(item_id, "send-back", None, name, reason, parent)

    def _decide(
        self, item_id: str, kind: str, value: Any, task: str, note: str, parent: Any,
        also_accepted: Sequence[Any] = (),
    ) -> int:  # fmt: skip
        tier = self._decider_tier()
        return decide(
            self.store, self.project.schema, item_id=str(item_id), task=task, kind=kind,
            value=value, parent=parent, annotator=self.user, tier=tier, note=note,
            also_accepted=also_accepted,
        ).id  # fmt: skip

    def _below(self, item_id: str, task: str) -> list[Any]:
        """The current labels of the tier below this user's on one item."""
        below = {"review": "annotate", "qa": "review"}[self._decider_tier()]
        df = self.item_labels(item_id, task=task)
        return [
            v for v, t, k in zip(df["value"], df["tier"], df["kind"], strict=True)
            if t == below and k in ("label", "review-accept", "review-correct")
        ]  # fmt: skip

    def _decider_tier(self) -> str:
        """The tier this user decides in; annotators decide no reviews."""
        tier = self._work_tier()
        if tier == "annotate":
            raise PermissionDenied(
                f"{self.user} is an annotator: only reviewers, QA and admins decide reviews"
            )
        return tier

    def _majority(self, item_id: str, values: Sequence[Any]) -> Any:
        if not values:
            below = {"review": "annotate", "qa": "review"}[self._decider_tier()]
            raise StoreError(f"item {item_id!r} has no {below} label to accept; give value=")
        counts = Counter(json.dumps(v, sort_keys=True) for v in values)
        return json.loads(counts.most_common(1)[0][0])

    # -- routing and results (lead, reviewers) ----------------------------------
    def route(self, task: str | None = None, *, threshold: float | None = None) -> int:
        """Send completed items whose annotators disagree to review; return how many.

        Looks only at items completed since they were last looked at.
        Disagreement is ``1 − share of the most common value`` for
        classification and ``1 − mean pairwise shape agreement`` for shapes; an
        item goes to review when it exceeds ``threshold`` (the team's
        ``review_threshold``) or when an annotator flagged it ambiguous.
        """
        self._require_enabled()
        name = self.project._task(task)
        limit = float(self.settings()["review_threshold"] if threshold is None else threshold)
        kind = self.project.schema.task(name).kind

        def choose(by_item: dict[str, list[tuple[str, Any]]]) -> tuple[list, list, list]:
            ids, priorities, reasons = [], [], []
            for iid, decisions in by_item.items():
                score = disagreement([v for k, v in decisions if k == "label"], kind)
                ambiguous = any(k == "ambiguous" for k, _ in decisions)
                if ambiguous or score > limit:
                    ids.append(iid)
                    priorities.append(float(score))
                    reasons.append("ambiguous" if ambiguous else "disagreement")
            return ids, priorities, reasons

        return self.db.route(name, choose)

    def annotator_labels(self, task: str | None = None) -> pd.DataFrame:
        """Annotators' labels as a wide frame: one row per item, one column per annotator.

        Only ``annotate``-tier labels of non-gold items; missing labels are
        ``None``. This is the input of :mod:`workbench.agreement` and
        :func:`workbench.audit.consensus`.
        """
        name = self.project._task(task)
        long = self.db.annotator_labels(name)  # each distinct label once
        if long.empty:
            return pd.DataFrame()
        wide = long.pivot(index="item_id", columns="annotator", values="value")
        return wide.astype(object).where(wide.notna(), None)

    def agreement(self, task: str | None = None):
        """Agreement between annotators (annotate tier, gold items left out) on a
        single-label classification task: a :class:`~workbench.agreement.LabelAgreement`
        (Krippendorff's alpha, Fleiss' and Cohen's kappa, per class and annotator)."""
        from .ml.stats import table_agreement

        spec = self.project.schema.classification_task(task, purpose="label agreement")
        if spec.multi_label:
            raise SchemaError(f"task {spec.name!r} is multi-label; agreement needs one class")
        wide = self.annotator_labels(spec.name)
        return table_agreement(wide, spec.class_names, spec.name)

    def shape_agreement(self, task: str | None = None, **options: Any) -> pd.DataFrame:
        """IoU agreement of every pair of annotators on every item both drew (a shapes
        task; annotate tier, gold left out): :func:`workbench.agreement.pairwise`'s
        columns. ``options`` go to it (``iou_threshold``, ``by_class`` ...)."""
        from .ml.shape_agreement import table_pairwise

        spec = self.project.schema.task_of_kind(task, "shapes", purpose="shape agreement")
        return table_pairwise(self.annotator_labels(spec.name), **options)

    def open_reviews(self, task: str | None = None) -> dict[str, int]:
        """Items waiting in the review and QA tiers, by reason
        (``disagreement``, ``ambiguous``, ``sampled`` for QA)."""
        return self.db.open_reviews(self.project._task(task))

    @property
    def role(self) -> str | None:
        """This user's team role (``annotator`` ...), ``None`` for the lead (the owner)."""
        return self._role()

    def consensus(
        self, task: str | None = None, *, method: str = "majority", pred_probs: Any = None
    ) -> pd.DataFrame:
        """One label per item from its annotators: ``item_id, label, agreement, annotators``.

        ``method="majority"`` is a majority vote (ties to the class rarer
        overall); ``"crowdlab"`` weighs annotators and the model's out-of-fold
        ``pred_probs`` (rows in the order of :meth:`annotator_labels`' index) as
        cleanlab's CROWDLAB does (:func:`workbench.audit.consensus`).
        """
        name = self.project._task(task)
        if method not in ("majority", "crowdlab"):
            raise ValueError(f"method must be 'majority' or 'crowdlab', got {method!r}")
        if method == "crowdlab" and pred_probs is None:
            raise ValueError("method='crowdlab' needs the model's pred_probs")
        wide = self.annotator_labels(name)
        cols = ["item_id", "label", "agreement", "annotators"]
        if wide.empty:
            return pd.DataFrame(columns=cols)
        spec = self.project.schema.task(name)
        by_kind = self._consensus_for(spec)
        if by_kind is None:
            raise SchemaError(
                f"consensus needs a single-label classification task; {name!r} is not one"
            )
        res = by_kind(spec, wide, None if method == "majority" else pred_probs)
        table = res.items.reindex(wide.index)
        out = pd.DataFrame(
            {
                "item_id": wide.index.astype(str),
                "label": table["consensus_label"].to_numpy(),
                "agreement": table["annotator_agreement"].to_numpy(dtype=float),
                "annotators": wide.notna().sum(axis=1).to_numpy(),
            }
        )
        return out.reset_index(drop=True)

    def labels(
        self, task: str | None = None, *, method: str = "majority", pred_probs: Any = None
    ) -> pd.DataFrame:
        """Final labels: QA's decision, else review's, else the annotators' consensus.

        Columns ``item_id, label, source`` (``qa``, ``review`` or ``consensus``;
        ``method`` and ``pred_probs`` as in :meth:`consensus`). Items sent back
        and not annotated again, or still waiting for a decision, are left out.
        """
        name = self.project._task(task)
        # The latest decision above the annotate tier, and the latest annotation.
        decided = self.db.latest_decisions(name)
        pending = self.db.pending_reviews(name)
        final: dict[str, tuple[Any, str]] = {}
        redo = set()  # sent back and not yet annotated again
        for row in decided.itertuples():
            if row.kind != "send-back":
                final[row.item_id] = (row.value, row.tier)
            elif row.annotated is None or row.annotated < row.id:
                redo.add(row.item_id)
        cons = self.consensus(name, method=method, pred_probs=pred_probs)
        if len(cons):
            for iid, label in zip(cons["item_id"], cons["label"], strict=True):
                if iid not in final and iid not in pending and iid not in redo:
                    final[iid] = (label, "consensus")
        rows = [(iid, v, s) for iid, (v, s) in sorted(final.items())]
        return pd.DataFrame(rows, columns=["item_id", "label", "source"])

    def gold_accuracy(self, task: str | None = None) -> pd.DataFrame:
        """Each annotator's accuracy on gold items, per gold class and overall.

        Columns ``annotator, label`` (the gold answer; ``"(all)"`` for the
        total), ``n, correct, accuracy``.
        """
        name = self.project._task(task)
        cols = ["annotator", "label", "n", "correct", "accuracy"]
        df = self.db.gold_answers(name)
        if df.empty:
            return pd.DataFrame(columns=cols)
        df["correct"] = [g == v for g, v in zip(df["gold"], df["given"], strict=True)]
        df["label"] = [_label_key(g) for g in df["gold"]]
        per = df.groupby(["annotator", "label"])["correct"].agg(["size", "sum"]).reset_index()
        tot = df.groupby("annotator")["correct"].agg(["size", "sum"]).reset_index()
        tot["label"] = "(all)"
        out = pd.concat([per, tot], ignore_index=True)
        out = out.rename(columns={"size": "n", "sum": "correct"})
        out["correct"] = out["correct"].astype(int)
        out["accuracy"] = out["correct"] / out["n"]
        return out.sort_values(["annotator", "label"]).reset_index(drop=True)[cols]

    def queue(self, task: str | None = None, *, stuck_after_s: float = 3600.0) -> pd.DataFrame:
        """Work per tier: ``tier, items, open, claimed, done, complete, stuck``.

        ``open`` are free slots; ``claimed`` live claims; ``complete`` items with
        every needed slot done; ``stuck`` items still incomplete whose last
        claim is older than ``stuck_after_s``.
        """
        name = self.project._task(task)
        return self.db.queue(name, stuck_before=time.time() - stuck_after_s)

    def scorecards(self, task: str | None = None) -> pd.DataFrame:
        """One row per annotator: labels, gold accuracy, agreement with consensus,
        corrections received, median seconds per label."""
        name = self.project._task(task)
        work = self.db.work_stats(name).set_index("annotator")
        fb = self.db.feedback_counts(name).set_index("annotator")
        gold = self.gold_accuracy(name)
        gold = gold[gold["label"] == "(all)"].set_index("annotator")["accuracy"]
        out = work.join(fb, how="left").fillna({"corrected": 0, "sent_back": 0})
        out["gold_accuracy"] = gold.reindex(out.index)
        wide = self.annotator_labels(name)
        agree = {}
        if not wide.empty and self._consensus_for(self.project.schema.task(name)) is not None:
            cons = self.consensus(name).set_index("item_id")["label"]
            for who in wide.columns:
                mine = wide[who].dropna()
                others = wide.loc[mine.index].notna().sum(axis=1) > 1
                mine = mine[others]
                if len(mine):
                    agree[who] = float((mine == cons.reindex(mine.index)).mean())
        out["agreement_with_consensus"] = pd.Series(agree).reindex(out.index)
        for col in ("corrected", "sent_back"):
            out[col] = out[col].astype(int)
        return out.reset_index().sort_values("annotator").reset_index(drop=True)

    # -- helpers ----------------------------------------------------------------
    @staticmethod
    def _consensus_for(spec: Any) -> Any:
        """The consensus of ``spec``'s task kind, ``None`` if it has none for this task
        (a kind without one; a multi-label classification task)."""
        by_kind = registry.get(spec.kind).consensus
        return None if by_kind is None or getattr(spec, "multi_label", False) else by_kind

    def _require_enabled(self) -> None:
        if "enabled" in self._cache:  # team mode, once on, stays on
            return
        if self.enabled:
            self._cache["enabled"] = (time.monotonic(), True)
        else:
            raise StoreError(
                f"{self.store.url} is not in team mode: the lead runs project.team.setup() first"
            )

    def _role(self) -> str | None:
        return self._cached("role", self.db.role)

    def _cached(self, key: str, read: Any, ttl: float = CACHE_S) -> Any:
        """``read()``, remembered for ``ttl`` seconds (one round trip less per claim)."""
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is None or now - hit[0] > ttl:
            hit = (now, read())
            self._cache[key] = hit
        return hit[1]

    def _work_tier(self) -> str:
        role = self._role()
        if role is None:
            return "review"  # the lead (owner) decides as a reviewer
        return team_sql.ROLE_TIER.get(role, "review")

    def _gold_count(self) -> int:
        return self.db.gold_count()

    def _is_superuser(self) -> bool:
        return self.db.is_superuser()

    def __repr__(self) -> str:
        return f"Team({self.store.url!r})"


def disagreement(values: Sequence[Any], kind: str) -> float:
    """How much a set of labels of one item disagree, in [0, 1] (0: all the same).

    The task kind's own measure (:func:`workbench.kinds.registry.disagreement`):
    classification ``1 − share of the most common value``, shapes ``1 − mean
    pairwise`` :func:`~workbench.agreement.shape_agreement`. Fewer than two labels: 0.
    """
    return registry.disagreement(kind, values)


def _label_key(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, sort_keys=True)


def _setting_text(value: Any) -> str:
    return json.dumps(value)


def _lease(lease_s: Any) -> float:
    """A lease in seconds: a number above 0 and at most :data:`team_sql.MAX_LEASE_S`."""
    lease = (
        float(lease_s)
        if isinstance(lease_s, int | float) and not isinstance(lease_s, bool)
        else math.nan
    )
    if not 0 < lease <= team_sql.MAX_LEASE_S:  # NaN and infinities fail too
        raise ValueError(
            f"lease_s must be a number of seconds above 0 and at most "
            f"{team_sql.MAX_LEASE_S:g} (a day), got {lease_s!r}"
        )
    return lease


def _check_settings(values: Mapping[str, Any]) -> None:
    k = values["overlap"]
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"overlap must be an integer >= 1, got {k!r}")
    for key in ("gold_share", "qa_share", "review_threshold"):
        v = values[key]
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1:
            raise ValueError(f"{key} must be a number in [0, 1], got {v!r}")
    if values["gold_share"] >= 1:
        raise ValueError("gold_share must be below 1: some of the queue must be real work")
    _lease(values["lease_s"])
    if not isinstance(values["blind"], bool):
        raise ValueError(f"blind must be True or False, got {values['blind']!r}")
