"""The national batch: pruned candidates, then the optimal assignment, the stable matching, or both.

Optimal mode maximises expected successful placements (min-cost flow, as in a regional
batch). Stable mode runs seeker-proposing deferred acceptance on two-sided preferences:
employers rank candidates by fit, seekers rank vacancies by their own interests
(:func:`matching.stable.market_preferences`). Run together, the summary says what each
costs the other: how many blocking pairs the optimum leaves (pairs who would both rather
have each other), and the price of stability (the fit the stable matching gives up).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching._rule_based import RuleBasedScorer
from matching.assignment import AssignmentResult, solve_assignment
from matching.candidates import FeatureScorer
from matching.pruned import PrunedCandidates, Progress, generate_pruned_candidates
from matching.stable import (StableMatching, TwoSidedPreferences, blocking_pairs, deferred_acceptance,
                             market_preferences, price_of_stability)
from matching.timing import StageTimer
from passport.population import SeekerArrays, VacancyArrays
from passport.taxonomy import Taxonomy

MODES = ("optimal", "stable", "both")


@dataclass(eq=False)
class NationalRun:
    """What a national batch produced; the parts a mode does not compute are None."""

    seekers: SeekerArrays
    vacancies: VacancyArrays
    pruned: PrunedCandidates
    score_fn: FeatureScorer
    optimal: AssignmentResult | None
    stable: StableMatching | None
    preferences: TwoSidedPreferences | None
    comparison: dict | None
    timer: StageTimer

    @property
    def graph(self):
        return self.pruned.graph


def run_national_batch(seekers: SeekerArrays, vacancies: VacancyArrays, taxonomy: Taxonomy, *, scorer=None,
                       mode: str = "optimal", top_k: int = 20, prescreen_k: int | None = None, per_opening: int = 5,
                       max_travel_km: float | None = None, timer: StageTimer | None = None,
                       progress: Progress | None = None) -> NationalRun:
    """Candidates and assignments for a whole country's caseload.

    Parameters
    ----------
    scorer : fitted or rule-based scikit-learn style scorer, optional
        Defaults to the rule-based scorer.
    mode : {'optimal', 'stable', 'both'}
    top_k, prescreen_k, per_opening, max_travel_km
        Passed to :func:`matching.pruned.generate_pruned_candidates`.
    progress : callable, optional
        ``progress(seekers_done, seekers_total)`` during candidate generation.
    """
    if mode not in MODES:
        raise ValueError(f"mode: expected one of {MODES}, got {mode!r}")
    timer = timer or StageTimer()
    score_fn = FeatureScorer(scorer or RuleBasedScorer(), taxonomy)
    pruned = generate_pruned_candidates(seekers, vacancies, score_fn, top_k=top_k, prescreen_k=prescreen_k,
                                        per_opening=per_opening, max_travel_km=max_travel_km, timer=timer,
                                        progress=progress)
    graph = pruned.graph
    optimal = stable = prefs = comparison = None
    if mode in ("optimal", "both"):
        with timer.stage("assignment"):
            optimal = solve_assignment(graph, vacancies.openings, seekers.consent_matching)
    if mode in ("stable", "both"):
        with timer.stage("stable matching"):
            prefs, _ = market_preferences(graph.seeker, graph.vacancy, graph.score, graph.distance_km, seekers,
                                          vacancies, vacancies.openings)
            stable = deferred_acceptance(prefs, proposing="seekers")
    if mode == "both":
        with timer.stage("stability comparison"):
            comparison = _compare(prefs, graph.score, optimal, stable)
    return NationalRun(seekers=seekers, vacancies=vacancies, pruned=pruned, score_fn=score_fn, optimal=optimal,
                       stable=stable,
                       preferences=prefs, comparison=comparison, timer=timer)


def _compare(prefs: TwoSidedPreferences, fit, optimal: AssignmentResult, stable: StableMatching) -> dict:
    price = price_of_stability(prefs, fit, stable.vacancy_of_seeker)
    return {"blocking_pairs_of_optimal": int(len(blocking_pairs(prefs, optimal.vacancy_of_seeker()))),
            "blocking_pairs_of_stable": int(len(blocking_pairs(prefs, stable.vacancy_of_seeker))),
            "price_of_stability": price}


def national_summary(run: NationalRun) -> dict:
    """Plain figures for the summary file and the console."""
    graph = run.graph
    per_seeker = graph.candidates_per_seeker()
    summary = {
        "seekers": run.seekers.n, "vacancies": run.vacancies.n, "openings": int(run.vacancies.openings.sum()),
        "candidate_pairs": graph.n_pairs, "vacancy_types": run.pruned.n_types,
        "pairs_within_travel": run.pruned.reachable_pairs,
        "seekers_without_candidates": int(np.count_nonzero((per_seeker == 0) & run.seekers.consent_matching)),
        "prescreen_r_squared": round(run.pruned.prescreen.r_squared, 4),
        "shortlist_margin": run.pruned.stats["shortlist_margin"],
        "shortlist_per_seeker": round(run.pruned.stats["shortlist_per_seeker"], 1),
        "seconds_per_stage": {k: round(v, 2) for k, v in run.timer.seconds.items()},
    }
    if run.optimal is not None:
        summary["optimal"] = {"matched": run.optimal.n_matched, "expected_successful_placements":
                              round(run.optimal.objective, 2), "certificate": run.optimal.certificate["status"]}
    if run.stable is not None:
        fit = graph.score[run.stable.edge_chosen]
        summary["stable"] = {"matched": run.stable.n_matched, "expected_successful_placements": round(float(fit.sum()), 2),
                             "rounds": run.stable.rounds}
    if run.comparison is not None:
        summary["comparison"] = run.comparison
    return summary
