"""Plotly figures: learning curves now; progress, throughput and agreement with team mode."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from .errors import require

__all__ = ["learning_curves"]


def learning_curves(curves: Mapping[str, pd.DataFrame], *, metric: str = "accuracy") -> Any:
    """One line per named history (``labels`` against ``metric``), e.g. margin against random.

    Each history is a DataFrame with a ``labels`` column and the ``metric``
    column, such as :attr:`ActiveLearningLoop.history`. Returns a
    ``plotly.graph_objects.Figure``.
    """
    go = require("plotly.graph_objects", "ml")
    fig = go.Figure()
    for name, history in curves.items():
        if metric not in history.columns:
            raise ValueError(
                f"history {name!r} has no {metric!r} column (columns: {list(history.columns)}); "
                "give the loop a holdout= set to get held-out metrics"
            )
        rows = history.dropna(subset=[metric])
        fig.add_trace(go.Scatter(x=rows["labels"], y=rows[metric], mode="lines+markers", name=name))
    fig.update_layout(
        title=f"Learning curve: {metric} against labels",
        xaxis_title="labeled items",
        yaxis_title=metric,
        template="plotly_white",
        legend_title="strategy",
    )
    return fig
