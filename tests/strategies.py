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


@st.composite
def programme_instances(draw, max_seekers: int = 5, max_vacancies: int = 3, max_trainings: int = 2,
                        max_capacity: int = 2, min_options: int = 4, max_options: int = 12):
    """A tiny :class:`matching.options.OptionGraph` built directly, small enough to brute-force.

    Options are a random subset of direct ``(seeker, −1, vacancy)`` and pathway
    ``(seeker, training, vacancy)`` triples; weights (and scores) are multiples of 1/1000 in
    (0, 1], so ties happen and the solver's 10⁻⁶ weight scaling is exact. Training costs are
    whole hundreds of euros. Two thirds of the instances carry one group ``"g"``.
    """
    from matching.options import OptionGraph

    n_seekers = draw(st.integers(2, max_seekers))
    n_vacancies = draw(st.integers(1, max_vacancies))
    n_trainings = draw(st.integers(0, max_trainings))
    openings = np.array(draw(st.lists(st.integers(0, max_capacity), min_size=n_vacancies, max_size=n_vacancies)),
                        dtype=np.int64)
    seats = np.array(draw(st.lists(st.integers(0, max_capacity), min_size=n_trainings, max_size=n_trainings)),
                     dtype=np.int64)
    training_cost = np.array(draw(st.lists(st.integers(0, 15), min_size=n_trainings, max_size=n_trainings)),
                             dtype=np.float64) * 100.0
    triples = [(s, t, v) for s in range(n_seekers) for t in range(-1, n_trainings) for v in range(n_vacancies)]
    # A prefix of a permutation rather than st.lists: lists stay short, and tiny graphs bind nothing.
    n_options = draw(st.integers(min(min_options, len(triples)), min(max_options, len(triples))))
    chosen = draw(st.permutations(triples))[:n_options]
    weights = draw(st.lists(st.integers(1, 1000), min_size=len(chosen), max_size=len(chosen)))
    seeker = np.array([c[0] for c in chosen], dtype=np.int32)
    training = np.array([c[1] for c in chosen], dtype=np.int32)
    vacancy = np.array([c[2] for c in chosen], dtype=np.int32)
    weight = np.array(weights, dtype=np.float64) / 1000.0
    cost = np.where(training >= 0, training_cost[np.maximum(training, 0)] if n_trainings else 0.0, 0.0)
    if draw(st.integers(0, 2)):
        member = np.array(draw(st.lists(st.booleans(), min_size=n_seekers, max_size=n_seekers)),
                          dtype=bool).reshape(n_seekers, 1)
        names = ("g",)
    else:
        member, names = np.zeros((n_seekers, 0), dtype=bool), ()
    return OptionGraph(seeker=seeker, vacancy=vacancy, training=training, score=weight.copy(), weight=weight,
                       cost_eur=cost.astype(np.float64), distance_km=np.zeros(len(seeker), dtype=np.float32),
                       n_seekers=n_seekers, openings=openings, seats=seats, group_member=member, group_names=names)


@st.composite
def programme_policies(draw, options):
    """A :class:`matching.policy.MatchingPolicy` for *options*: none, a training budget, a floor on
    group ``"g"`` (when the instance has it), or both."""
    from matching.policy import MatchingPolicy

    budget = draw(st.none() | st.integers(0, 30).map(lambda k: k * 50.0))
    floors = {}
    if "g" in options.group_names and draw(st.booleans()):
        floors["g"] = draw(st.integers(0, 70)) / 100.0
    return MatchingPolicy(training_budget_eur=budget, min_group_share=floors)
