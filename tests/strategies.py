"""Hypothesis strategies reused across property tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


@st.composite
def candidate_instances(draw, max_seekers: int = 6, max_vacancies: int = 4, max_capacity: int = 3):
    """A small bipartite instance: edges (seeker, vacancy, score) and vacancy capacities.

    Scores are multiples of 1/1000 so that ties and zeros happen often.
    """
    n_seekers = draw(st.integers(1, max_seekers))
    n_vacancies = draw(st.integers(1, max_vacancies))
    capacity = np.array(draw(st.lists(st.integers(0, max_capacity), min_size=n_vacancies, max_size=n_vacancies)))
    pairs = [(s, v) for s in range(n_seekers) for v in range(n_vacancies)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs))) if pairs else []
    scores = draw(st.lists(st.integers(0, 1000), min_size=len(chosen), max_size=len(chosen)))
    seeker = np.array([p[0] for p in chosen], dtype=np.int32)
    vacancy = np.array([p[1] for p in chosen], dtype=np.int32)
    score = np.array(scores, dtype=np.float32) / 1000.0
    return n_seekers, n_vacancies, seeker, vacancy, score, capacity


def graph_from(n_seekers, n_vacancies, seeker, vacancy, score):
    """A CandidateGraph around raw edges (no knock-out bookkeeping)."""
    from matching.candidates import N_REASONS, CandidateGraph

    order = np.lexsort((-score, seeker))
    counts = np.zeros((n_seekers, N_REASONS), dtype=np.int32)
    counts[:, 0] = np.bincount(seeker, minlength=n_seekers)
    return CandidateGraph(seeker=seeker[order], vacancy=vacancy[order], score=score[order],
                          distance_km=np.zeros(len(seeker), dtype=np.float32), n_seekers=n_seekers,
                          n_vacancies=n_vacancies, knockout_counts=counts, top_k=n_vacancies)


skill_levels = st.floats(1.0, 5.0, allow_nan=False)
standard_errors = st.floats(0.05, 1.5, allow_nan=False)
