"""The compiled block kernels against plain NumPy statements of what they compute."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.pair_kernels import best_per_group, feasible_pairs, shortlist, warm_up
from matching.pruned import ShortlistRule
from passport.geography import unit_vectors


@st.composite
def blocks(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    n_block, n_reach, n_types = draw(st.integers(1, 12)), draw(st.integers(0, 80)), draw(st.integers(1, 6))
    rng = np.random.default_rng(seed)
    # Homes and workplaces within a few tens of km, limits from nothing to all of them.
    seeker_units = unit_vectors(52.0 + rng.normal(0, 0.2, n_block), 5.0 + rng.normal(0, 0.3, n_block))
    vacancy_units = unit_vectors(52.0 + rng.normal(0, 0.2, n_reach), 5.0 + rng.normal(0, 0.3, n_reach))
    # Some limits exactly at a pair's own cosine: the boundary is inside.
    dot_limit = 1.0 - rng.uniform(0, 2e-5, n_block)
    if n_reach:
        on_edge = rng.random(n_block) < 0.3
        partner = vacancy_units[rng.integers(0, n_reach, n_block)]
        exact = (seeker_units[:, 0] * partner[:, 0] + seeker_units[:, 1] * partner[:, 1]) + seeker_units[:, 2] * partner[:, 2]
        dot_limit = np.where(on_edge, exact, dot_limit)
    return dict(seeker_units=seeker_units, vacancy_units=vacancy_units, dot_limit=dot_limit,
                travel_scale=rng.uniform(100, 3000, n_block).astype(np.float32),
                eligible=rng.random((n_block, n_types)) < draw(st.floats(0.0, 1.0)),
                reach_type=rng.integers(0, n_types, n_reach),
                table=rng.normal(size=(n_block, n_types)).astype(np.float32),
                vacancy_part=rng.normal(size=n_reach).astype(np.float32),
                travel_weight=float(rng.normal()))


@settings(max_examples=150, deadline=None)
@given(blocks(), st.booleans())
def test_feasible_pairs_are_the_cells_inside_travel_and_eligible(block, with_estimate):
    given_block = dict(block)
    if not with_estimate:
        for name in ("table", "vacancy_part", "travel_weight"):
            given_block.pop(name)
    pairs = feasible_pairs(**given_block)

    su, vu = block["seeker_units"], block["vacancy_units"]
    # The same three products and two sums per cell, in the same order.
    cosine = (su[:, None, 0] * vu[None, :, 0] + su[:, None, 1] * vu[None, :, 1]) + su[:, None, 2] * vu[None, :, 2]
    inside = cosine >= block["dot_limit"][:, None]
    feasible = inside & block["eligible"][:, block["reach_type"]]
    assert np.array_equal(pairs.within, inside.sum(axis=1))
    assert np.array_equal(np.diff(pairs.start), feasible.sum(axis=1))
    assert np.array_equal(pairs.local, np.repeat(np.arange(len(su)), feasible.sum(axis=1)))
    found = np.zeros_like(feasible)
    found[pairs.local, pairs.column] = True
    assert np.array_equal(found, feasible) and len(pairs.local) == feasible.sum()  # no pair twice

    chord = np.sqrt(np.maximum(cosine[pairs.local, pairs.column] * -2.0 + 2.0, 0.0))
    ratio = chord.astype(np.float32) * block["travel_scale"][pairs.local]
    assert np.array_equal(pairs.travel_ratio, ratio)
    if with_estimate:
        expected = (block["table"][pairs.local, block["reach_type"][pairs.column]]
                    + block["vacancy_part"][pairs.column]) + np.float32(block["travel_weight"]) * ratio
        assert np.array_equal(pairs.estimate, expected)
    else:
        assert pairs.estimate is None


def _shortlist_by_definition(local, estimate, top_k, margin, length, n_rows):
    chosen = []
    for seeker in range(n_rows):
        mine = np.flatnonzero(local == seeker)
        ranked = mine[np.argsort(-estimate[mine], kind="stable")]
        kth = float(estimate[ranked[top_k - 1]]) if margin is not None and len(ranked) >= top_k else -np.inf
        passing = [i for i in ranked if float(estimate[i]) >= kth - (margin or 0.0)]
        chosen += passing[:length]
    return sorted(chosen)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from([-1.0, 0.0, 0.25, 0.5, 2.0]) | st.floats(-5, 5, width=32)),
                max_size=200),
       st.integers(1, 30), st.none() | st.floats(0.0, 3.0), st.integers(1, 40), st.booleans())
def test_the_shortlist_equals_its_definition_with_ties_and_in_any_order(entries, top_k, margin, length, grouped):
    top_k = min(top_k, length)
    local = np.array([g for g, _ in entries], dtype=np.int64)
    estimate = np.array([e for _, e in entries], dtype=np.float32)
    if grouped:
        order = np.argsort(local, kind="stable")
        local, estimate = local[order], estimate[order]
    expected = _shortlist_by_definition(local, estimate, top_k, margin, length, 6)
    chosen = ShortlistRule(length=length, margin=margin).select(local, estimate, top_k, n_rows=6)
    assert sorted(chosen.tolist()) == expected
    if grouped:
        start = np.searchsorted(local, np.arange(7))
        assert np.array_equal(shortlist(start, estimate, top_k, margin, length), chosen)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.sampled_from([0.0, 0.5, 1.0]) | st.floats(-5, 5, width=32)),
                max_size=150),
       st.lists(st.integers(0, 6), min_size=8, max_size=8))
def test_best_per_group_keeps_each_groups_best_in_order_ties_to_the_earlier(entries, limit):
    group = np.array([g for g, _ in entries], dtype=np.int64)
    value = np.array([v for _, v in entries], dtype=np.float32)
    expected = []
    for g in range(8):
        mine = np.flatnonzero(group == g)
        expected += mine[np.argsort(-value[mine], kind="stable")][:limit[g]].tolist()
    assert best_per_group(group, value, np.array(limit)).tolist() == expected


def test_warm_up_runs_every_kernel_on_tiny_inputs():
    # The benchmarks call it before their clocks start; it must keep matching the kernels' signatures.
    assert warm_up() >= 0.0
