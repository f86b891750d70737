"""Ranked lists from a candidate graph: vacancies per seeker, candidates per vacancy."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matching.candidates import CandidateGraph, _top_k_within


def ranked_pairs(graph: CandidateGraph, by: str, k: int = 10) -> pd.DataFrame:
    """The *k* best pairs per seeker (``by="seeker"``) or per vacancy (``by="vacancy"``).

    Returns a frame with ``seeker``, ``vacancy``, ``rank`` (1 = best), ``score`` and
    ``distance_km``, sorted by the grouping column then rank.
    """
    if by not in ("seeker", "vacancy"):
        raise ValueError(f"by: expected 'seeker' or 'vacancy', got {by!r}")
    group = graph.seeker if by == "seeker" else graph.vacancy
    keep = _top_k_within(group, graph.score, k)
    kept_group = group[keep]
    rank = np.arange(len(keep)) - np.searchsorted(kept_group, kept_group, side="left") + 1
    return pd.DataFrame({
        "seeker": graph.seeker[keep], "vacancy": graph.vacancy[keep], "rank": rank.astype(np.int32),
        "score": graph.score[keep], "distance_km": graph.distance_km[keep],
    })
