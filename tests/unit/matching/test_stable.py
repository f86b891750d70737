"""Stable matching on hand-worked instances: both proposing sides, blocking pairs, validation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from matching import RuleBasedScorer
from matching.candidates import FeatureScorer, generate_candidates
from matching import stable
from matching.stable import (TwoSidedPreferences, _grouped_order, blocking_pairs, deferred_acceptance, is_stable,
                             market_preferences, price_of_stability)

A, B = 0, 1


def prefs_from(edges, vacancy_lists, capacity):
    """Preferences from ``edges = [(seeker, vacancy, seeker_rank)]`` and each vacancy's seekers, best first."""
    seeker = np.array([e[0] for e in edges])
    vacancy = np.array([e[1] for e in edges])
    vacancy_rank = np.array([vacancy_lists[v].index(s) for s, v, _ in edges])
    return TwoSidedPreferences(seeker=seeker, vacancy=vacancy, seeker_rank=np.array([e[2] for e in edges]),
                               vacancy_rank=vacancy_rank, capacity=np.array(capacity),
                               n_seekers=int(seeker.max()) + 1, n_vacancies=len(capacity))


def chain():
    """s0: A > B, s1: B > A, s2: A > B; A: s1 > s2 > s0, B: s0 > s2 > s1; one opening each.

    Seekers proposing: round 1 s0→A, s1→B, s2→A; A keeps s2 and rejects s0. Round 2 s0→B
    displaces s1. Round 3 s1→A displaces s2. Round 4 s2→B is rejected (B prefers s0), and
    s2's list is done. Result s0–B, s1–A, s2 unmatched, after 4 rounds. Vacancies
    proposing: A offers s1, B offers s0, both accept, 1 round: the same, unique, matching.
    """
    edges = [(0, A, 0), (0, B, 1), (1, B, 0), (1, A, 1), (2, A, 0), (2, B, 1)]
    return prefs_from(edges, {A: [1, 2, 0], B: [0, 2, 1]}, [1, 1])


def two_optima():
    """s0: A > B, s1: B > A, s2: B > A; A (1 opening): s1 > s2 > s0, B (2 openings): s0 > s2 > s1.

    Seekers proposing: everyone gets their first choice at once: s0–A, s1–B, s2–B.
    Vacancies proposing: A offers s1, B offers s0 and s2; all accept: s0–B, s1–A, s2–B.
    """
    edges = [(0, A, 0), (0, B, 1), (1, B, 0), (1, A, 1), (2, B, 0), (2, A, 1)]
    return prefs_from(edges, {A: [1, 2, 0], B: [0, 2, 1]}, [1, 2])


def test_seekers_proposing_follows_the_hand_trace():
    result = deferred_acceptance(chain(), proposing="seekers")
    assert result.vacancy_of_seeker.tolist() == [B, A, -1]
    assert result.rounds == 4
    assert result.proposing == "seekers"
    assert result.n_matched == 2
    assert np.flatnonzero(result.edge_chosen).tolist() == [1, 3]


def test_vacancies_proposing_follows_the_hand_trace():
    result = deferred_acceptance(chain(), proposing="vacancies")
    assert result.vacancy_of_seeker.tolist() == [B, A, -1]
    assert result.rounds == 1


def test_vacancies_reoffer_after_a_decline():
    # A and B both want s0 most; s0 prefers B and declines A, which then offers to s1.
    prefs = prefs_from([(0, B, 0), (0, A, 1), (1, A, 0), (1, B, 1)], {A: [0, 1], B: [0, 1]}, [1, 1])
    by_vacancies = deferred_acceptance(prefs, proposing="vacancies")
    assert by_vacancies.vacancy_of_seeker.tolist() == [B, A]
    assert by_vacancies.rounds == 2
    assert deferred_acceptance(prefs).rounds == 1


def test_each_side_gets_its_own_optimum_when_they_differ():
    prefs = two_optima()
    assert deferred_acceptance(prefs, "seekers").vacancy_of_seeker.tolist() == [A, B, B]
    assert deferred_acceptance(prefs, "vacancies").vacancy_of_seeker.tolist() == [B, A, B]


def test_capacity_zero_and_empty_lists_leave_seekers_unmatched():
    prefs = prefs_from([(0, A, 0), (0, B, 1), (2, A, 0)], {A: [2, 0], B: [0]}, [0, 1])
    for side in ("seekers", "vacancies"):
        assert deferred_acceptance(prefs, side).vacancy_of_seeker.tolist() == [B, -1, -1]


def test_ranks_need_only_be_strict_not_consecutive():
    base = chain()
    spread = dataclasses.replace(base, seeker_rank=base.seeker_rank * 7 + 3, vacancy_rank=base.vacancy_rank * 100)
    for side in ("seekers", "vacancies"):
        assert np.array_equal(deferred_acceptance(spread, side).vacancy_of_seeker,
                              deferred_acceptance(base, side).vacancy_of_seeker)


def test_replacing_ranks_reorders_the_lists():
    # Reversed seeker lists: s0: B > A, s1: A > B, s2: A > B. A keeps s1 over s2, who falls back to B.
    base = two_optima()
    flipped = dataclasses.replace(base, seeker_rank=1 - base.seeker_rank)
    deferred_acceptance(base)  # builds and keeps base's list layout; the copy must not inherit it
    assert deferred_acceptance(flipped).vacancy_of_seeker.tolist() == [B, A, B]


def test_empty_market():
    prefs = TwoSidedPreferences(seeker=[], vacancy=[], seeker_rank=[], vacancy_rank=[], capacity=[2],
                                n_seekers=3, n_vacancies=1)
    for side in ("seekers", "vacancies"):
        result = deferred_acceptance(prefs, side)
        assert result.vacancy_of_seeker.tolist() == [-1, -1, -1]
        assert result.rounds == 0
        assert blocking_pairs(prefs, result.vacancy_of_seeker).size == 0
    nobody = TwoSidedPreferences(seeker=[], vacancy=[], seeker_rank=[], vacancy_rank=[], capacity=[],
                                 n_seekers=0, n_vacancies=0)
    assert price_of_stability(nobody, [], [])["relative_loss"] == 0.0


# --- blocking pairs --------------------------------------------------------------------------------


def test_blocking_pairs_of_a_deliberately_unstable_assignment():
    # s0→B, s1→B, s2→A. s2 prefers B and B prefers s2 (rank 1) to its worst, s1 (rank 2): one block.
    # s0 would rather have A, but A prefers its s2 to s0. Edge 4 is (s2, B).
    prefs = two_optima()
    assert blocking_pairs(prefs, [B, B, A]).tolist() == [4]
    assert not is_stable(prefs, [B, B, A])


def test_everyone_unmatched_is_blocked_by_every_edge():
    prefs = two_optima()
    assert blocking_pairs(prefs, [-1, -1, -1]).tolist() == list(range(6))


def test_a_full_vacancy_blocks_only_with_seekers_it_prefers():
    # s0→A alone. A (1 opening) ranks s1 > s2 > s0, so (s1, A) and (s2, A) block; B is empty, so
    # (s1, B) and (s2, B) block too, but not (s0, B): s0 prefers its A.
    prefs = two_optima()
    assert blocking_pairs(prefs, [A, -1, -1]).tolist() == [2, 3, 4, 5]


def test_both_optima_are_stable():
    prefs = two_optima()
    for side in ("seekers", "vacancies"):
        assert is_stable(prefs, deferred_acceptance(prefs, side).vacancy_of_seeker)


@pytest.mark.parametrize("assignment, message", [
    ([A, B], "shape"),
    ([2, -1, -1], "must lie in"),
    ([-2, -1, -1], "must lie in"),
    ([-1, -1, -1.0], "integers"),
    ([A, -1, A], "vacancy 0 gets 2 seekers but has capacity 1"),
])
def test_blocking_pairs_refuses_impossible_assignments(assignment, message):
    with pytest.raises(ValueError, match=f"^vacancy_of_seeker: .*({message})"):
        blocking_pairs(two_optima(), np.array(assignment))


def test_assignment_off_the_edges_is_refused():
    prefs = prefs_from([(0, A, 0), (1, B, 0)], {A: [0], B: [1]}, [1, 1])
    with pytest.raises(ValueError, match="^vacancy_of_seeker: seeker 0 is assigned to vacancy 1, which is not"):
        blocking_pairs(prefs, [B, -1])


# --- price of stability ----------------------------------------------------------------------------


def test_price_of_stability_on_the_two_optima_instance():
    prefs = two_optima()
    # edges: (s0,A) (s0,B) (s1,B) (s1,A) (s2,B) (s2,A)
    fit = np.array([0.2, 0.9, 0.3, 0.8, 0.5, 0.1])
    # Seeker-optimal s0–A, s1–B, s2–B: 0.2 + 0.3 + 0.5 = 1.0. Best total: s0–B, s1–A, s2–B = 2.2.
    report = price_of_stability(prefs, fit, deferred_acceptance(prefs, "seekers").vacancy_of_seeker)
    assert report["stable_fit"] == pytest.approx(1.0)
    assert report["optimal_fit"] == pytest.approx(2.2)
    assert report["absolute_loss"] == pytest.approx(1.2)
    assert report["relative_loss"] == pytest.approx(1 - 1.0 / 2.2)
    assert (report["stable_matched"], report["optimal_matched"]) == (3, 3)
    # The vacancy-optimal stable matching happens to be the best one here.
    report = price_of_stability(prefs, fit, deferred_acceptance(prefs, "vacancies").vacancy_of_seeker)
    assert report["relative_loss"] == pytest.approx(0.0, abs=1e-9)


def test_price_of_stability_checks_fit():
    prefs = two_optima()
    with pytest.raises(ValueError, match="^fit: must lie in"):
        price_of_stability(prefs, np.full(6, 1.5), [A, B, B])
    with pytest.raises(ValueError, match="^fit: expected shape"):
        price_of_stability(prefs, np.full(5, 0.5), [A, B, B])


# --- validation ------------------------------------------------------------------------------------


def valid_fields():
    return dict(seeker=[0, 0, 1], vacancy=[0, 1, 1], seeker_rank=[0, 1, 0], vacancy_rank=[0, 0, 1],
                capacity=[1, 1], n_seekers=2, n_vacancies=2)


@pytest.mark.parametrize("change, field, detail", [
    (dict(seeker=[0, 0, 2]), "seeker", r"must lie in \[0, 2\), got 2 at edge 2"),
    (dict(vacancy=[0, 1, -1]), "vacancy", "got -1 at edge 2"),
    (dict(seeker=[0.0, 0.0, 1.0]), "seeker", "integers"),
    (dict(vacancy_rank=[0, 0]), "vacancy_rank", "expected 3 entries"),
    (dict(seeker_rank=[0, 1, -1]), "seeker_rank", "got -1 at edge 2"),
    (dict(seeker=[[0, 0, 1]]), "seeker", "one-dimensional"),
    (dict(seeker=[0, 0, 0], seeker_rank=[0, 1, 2], vacancy_rank=[0, 0, 0]), "vacancy",
     "seeker 0 lists vacancy 1 twice"),
    (dict(seeker_rank=[1, 1, 0]), "seeker_rank", "seeker 0 gives rank 1 to two edges"),
    (dict(vacancy_rank=[0, 1, 1]), "vacancy_rank", "vacancy 1 gives rank 1 to two edges"),
    (dict(capacity=[1, -1]), "capacity", "must not be negative, got -1 at vacancy 1"),
    (dict(capacity=[1, 1, 1]), "capacity", "expected n_vacancies=2 entries"),
    (dict(n_seekers=-1), "n_seekers", "non-negative"),
])
def test_invalid_preferences_name_the_field(change, field, detail):
    with pytest.raises(ValueError, match=f"^{field}: .*{detail}"):
        TwoSidedPreferences(**(valid_fields() | change))


def test_arrays_are_normalised_and_copied():
    fields = valid_fields()
    seeker = np.array(fields.pop("seeker"), dtype=np.int64)
    prefs = TwoSidedPreferences(seeker=seeker, **fields)
    seeker[0] = 1
    assert prefs.seeker.dtype == np.int32 and prefs.seeker.tolist() == [0, 0, 1]
    assert prefs.capacity.dtype == np.int64
    assert prefs.n_edges == 3


def test_proposing_side_is_checked():
    with pytest.raises(ValueError, match="^proposing: "):
        deferred_acceptance(chain(), proposing="employers")


# --- from_scores -----------------------------------------------------------------------------------


def test_from_scores_breaks_ties_by_the_other_sides_index():
    # Seeker 0 likes vacancies 2 and 1 equally (0.5), vacancy 0 more (0.9): order 0, 1, 2.
    # Vacancy 1 rates seekers 2 and 0 equally (0.4): seeker 0 first.
    seeker = np.array([0, 0, 0, 2, 1])
    vacancy = np.array([2, 1, 0, 1, 1])
    utility = np.array([0.5, 0.5, 0.9, 0.3, 0.2])
    score = np.array([0.1, 0.4, 0.7, 0.4, 0.6])
    prefs = TwoSidedPreferences.from_scores(seeker, vacancy, utility, score, capacity=[1, 1, 1], n_seekers=3)
    assert prefs.seeker_rank.tolist() == [2, 1, 0, 0, 0]
    # Vacancy 1: seeker 1 (0.6) first, then seekers 0 and 2 tied at 0.4, seeker 0 first.
    assert prefs.vacancy_rank.tolist() == [0, 1, 0, 2, 0]


def test_from_scores_does_not_depend_on_edge_order():
    rng = np.random.default_rng(3)
    pairs = np.array([(s, v) for s in range(8) for v in range(5) if rng.random() < 0.6])
    utility = rng.integers(0, 3, len(pairs)) / 2  # many ties
    score = rng.integers(0, 3, len(pairs)) / 2
    prefs = TwoSidedPreferences.from_scores(pairs[:, 0], pairs[:, 1], utility, score, np.ones(5, int), 8)
    order = rng.permutation(len(pairs))
    shuffled = TwoSidedPreferences.from_scores(pairs[order, 0], pairs[order, 1], utility[order], score[order],
                                               np.ones(5, int), 8)
    assert np.array_equal(shuffled.seeker_rank, prefs.seeker_rank[order])
    assert np.array_equal(shuffled.vacancy_rank, prefs.vacancy_rank[order])


def test_packed_ordering_resolves_coarse_ties_exactly():
    # So many groups that only 11 bits are left for the value: close floats share a level
    # and must be put in order on their exact values, then by the tiebreak.
    rng = np.random.default_rng(5)
    group = rng.integers(0, 4, 3000)
    value = np.round(rng.random(3000), 5)  # exact ties too
    tiebreak = rng.permutation(3000)
    order, ties = _grouped_order(group, 2**40, value, tiebreak)
    assert np.array_equal(order, np.lexsort((tiebreak, value, group)))
    descending, _ = _grouped_order(group, 2**40, value, tiebreak, descending=True)
    assert np.array_equal(descending, np.lexsort((tiebreak, -value, group)))
    exact = (group[order][1:] == group[order][:-1]) & (value[order][1:] == value[order][:-1])
    assert np.array_equal(ties, np.flatnonzero(exact))


def test_lexsort_fallback_gives_the_same_preferences(monkeypatch):
    # Markets too large to pack (group, value, index) into 63 bits fall back to lexsort.
    rng = np.random.default_rng(8)
    pairs = np.array([(s, v) for s in range(20) for v in range(6) if rng.random() < 0.5])
    utility, score = rng.integers(0, 4, len(pairs)) / 3, rng.integers(0, 4, len(pairs)) / 3
    capacity = rng.integers(0, 3, 6)
    packed = TwoSidedPreferences.from_scores(pairs[:, 0], pairs[:, 1], utility, score, capacity, 20)
    monkeypatch.setattr(stable, "_MIN_VALUE_BITS", 64)
    fallback = TwoSidedPreferences.from_scores(pairs[:, 0], pairs[:, 1], utility, score, capacity, 20)
    assert np.array_equal(fallback.seeker_rank, packed.seeker_rank)
    assert np.array_equal(fallback.vacancy_rank, packed.vacancy_rank)
    for side in ("seekers", "vacancies"):
        assert np.array_equal(deferred_acceptance(fallback, side).vacancy_of_seeker,
                              deferred_acceptance(packed, side).vacancy_of_seeker)


def test_from_scores_refuses_missing_values():
    with pytest.raises(ValueError, match="^seeker_utility: must be finite"):
        TwoSidedPreferences.from_scores([0], [0], [np.nan], [0.5], [1], 1)
    with pytest.raises(ValueError, match="^employer_score: expected shape"):
        TwoSidedPreferences.from_scores([0], [0], [0.5], [0.5, 0.1], [1], 1)
    with pytest.raises(ValueError, match="^vacancy: must lie in"):
        TwoSidedPreferences.from_scores([0], [3], [0.5], [0.5], [1], 1)


# --- from_lists ------------------------------------------------------------------------------------


def test_from_lists_keeps_only_mutually_acceptable_pairs():
    residents = {"a": ["x", "y"], "b": ["y", "x"], "c": ["x"]}
    hospitals = {"x": {"capacity": 1, "preferences": ["b", "a"]}, "y": {"capacity": 1, "preferences": ["a", "c"]}}
    prefs, seekers, vacancies = TwoSidedPreferences.from_lists(residents, hospitals)
    assert (seekers, vacancies) == (["a", "b", "c"], ["x", "y"])
    pairs = sorted(zip(prefs.seeker.tolist(), prefs.vacancy.tolist(), prefs.seeker_rank.tolist(),
                       prefs.vacancy_rank.tolist()))
    # (b, y) and (c, x) are one-sided; b's rank of x closes up to 0 once y is gone.
    assert pairs == [(0, 0, 0, 1), (0, 1, 1, 0), (1, 0, 0, 0)]
    # x takes b, its favourite; a moves on to y; c has nobody left.
    assert deferred_acceptance(prefs).vacancy_of_seeker.tolist() == [1, 0, -1]


def test_from_lists_refuses_malformed_lists():
    hospitals = {"x": {"capacity": 1, "preferences": ["a"]}}
    with pytest.raises(ValueError, match="^resident_prefs: resident 'a' lists unknown hospital 'z'"):
        TwoSidedPreferences.from_lists({"a": ["z"]}, hospitals)
    with pytest.raises(ValueError, match="^resident_prefs: resident 'a' lists a hospital twice"):
        TwoSidedPreferences.from_lists({"a": ["x", "x"]}, hospitals)
    with pytest.raises(ValueError, match="^hospital_prefs: hospital 'x' needs 'capacity'"):
        TwoSidedPreferences.from_lists({"a": ["x"]}, {"x": {"preferences": ["a"]}})
    with pytest.raises(ValueError, match="^hospital_prefs: hospital 'x' capacity: must be a non-negative"):
        TwoSidedPreferences.from_lists({"a": ["x"]}, {"x": {"capacity": -1, "preferences": ["a"]}})
    with pytest.raises(ValueError, match="^hospital_prefs: hospital 'x' lists unknown resident 'q'"):
        TwoSidedPreferences.from_lists({"a": ["x"]}, {"x": {"capacity": 1, "preferences": ["q"]}})


# --- the synthetic market --------------------------------------------------------------------------


def test_market_preferences_follow_the_documented_weights(small_market):
    seekers = small_market.seekers.take([0, 1])
    n_sectors = seekers.sector_pref.shape[1]
    wants = np.zeros((2, n_sectors), dtype=bool)
    wants[0, 0] = True
    seekers = dataclasses.replace(seekers, hours_min=np.array([24, 30], dtype=np.int16),
                                  hours_max=np.array([32, 30], dtype=np.int16),
                                  max_travel_km=np.array([40.0, 20.0], dtype=np.float32), sector_pref=wants)
    vacancies = dataclasses.replace(small_market.vacancies.take([0, 1]), sector=np.array([0, 1], dtype=np.int8),
                                    hours_min=np.array([28, 16], dtype=np.int16),
                                    hours_max=np.array([40, 24], dtype=np.int16))
    seeker, vacancy = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    score = np.array([0.8, 0.9, 0.5, 1.0])
    distance = np.array([10.0, 40.0, 5.0, 30.0])
    prefs, utility = market_preferences(seeker, vacancy, score, distance, seekers, vacancies, [1, 1])
    # (0,0): sector 0.35 + hours 4/8 → 0.125 + travel 1 − 10/40 → 0.1875 + fit 0.15 × 0.8 = 0.7825
    # (0,1): no sector, no hour overlap, at the travel limit: only fit 0.15 × 0.9 = 0.135
    # (1,0): wants exactly 30 h, inside 28–40 → 0.25; travel 1 − 5/20 → 0.1875; fit 0.075 = 0.5125
    # (1,1): 30 h outside 16–24, beyond the travel limit: fit only, 0.15
    assert utility == pytest.approx([0.7825, 0.135, 0.5125, 0.15])
    assert prefs.seeker_rank.tolist() == [0, 1, 0, 1]
    # Employers rank by fit, which here disagrees with seeker 0: vacancy 1 wants seeker 1 first.
    assert prefs.vacancy_rank.tolist() == [0, 1, 1, 0]


def test_market_preferences_on_a_candidate_graph_give_a_stable_matching(small_market, taxonomy):
    m = small_market
    graph = generate_candidates(m.seekers, m.vacancies, FeatureScorer(RuleBasedScorer(), taxonomy), top_k=20)
    prefs, utility = market_preferences(graph.seeker, graph.vacancy, graph.score, graph.distance_km, m.seekers,
                                        m.vacancies, m.vacancies.openings)
    assert prefs.n_edges == graph.n_pairs
    assert utility.min() >= 0.0 and utility.max() <= 1.0
    matching = deferred_acceptance(prefs)
    assert is_stable(prefs, matching.vacancy_of_seeker)
    report = price_of_stability(prefs, graph.score, matching.vacancy_of_seeker)
    assert 0.0 <= report["relative_loss"] < 1.0
    assert report["stable_matched"] == matching.n_matched
