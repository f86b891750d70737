"""The programme batch: candidates → pathways → options → optimal assignment under a policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from matching._rule_based import RuleBasedScorer
from matching.candidates import CandidateGraph, FeatureScorer, generate_candidates
from matching.decomposition import solve_decomposed
from matching.options import OptionGraph, build_option_graph
from matching.pathways import PathwayOptions, generate_pathways, training_eligibility
from matching.policy import MatchingPolicy
from matching.programme import ProgrammeResult
from matching.timing import StageTimer
from passport.population import SeekerArrays, TrainingArrays, VacancyArrays
from passport.taxonomy import Taxonomy


@dataclass(eq=False)
class ProgrammeRun:
    """Everything one batch produced, for explanations, exports and metrics."""

    seekers: SeekerArrays
    vacancies: VacancyArrays
    trainings: TrainingArrays
    policy: MatchingPolicy
    direct: CandidateGraph
    pathways: PathwayOptions
    options: OptionGraph
    result: ProgrammeResult
    timer: StageTimer = field(default_factory=StageTimer)


def run_programme(seekers: SeekerArrays, vacancies: VacancyArrays, trainings: TrainingArrays, taxonomy: Taxonomy, *,
                  policy: MatchingPolicy | None = None, groups: pd.DataFrame | None = None, scorer=None,
                  top_k: int = 100, per_opening: int = 20, workers: int = 1, timer: StageTimer | None = None,
                  progress: Callable[[str], None] | None = None) -> ProgrammeRun:
    """Match a caseload to vacancies directly and through training pathways, optimally.

    Parameters
    ----------
    groups : DataFrame, optional
        One row per seeker (same order), a bool column per target group the policy names.
    scorer : estimator, optional
        A fitted or rule-based pair scorer; :class:`RuleBasedScorer` by default.
    progress : callable, optional
        Called with the name of each long stage as it starts.
    """
    policy = policy or MatchingPolicy()
    timer = timer or StageTimer()
    say = progress or (lambda stage: None)
    if groups is not None and len(groups) != seekers.n:
        raise ValueError(f"groups: expected {seekers.n} rows (one per seeker), got {len(groups)}")
    score_fn = FeatureScorer(scorer or RuleBasedScorer(), taxonomy)
    say("knock-outs and scoring of direct candidates")
    with_pathways = policy.allow_pathways and trainings.n > 0
    direct = generate_candidates(seekers, vacancies, score_fn, top_k=top_k, per_opening=per_opening, timer=timer,
                                 max_travel_km=policy.max_travel_km, keep_near_misses=with_pathways)
    pathways = PathwayOptions.empty()
    if with_pathways:
        say("training pathways")
        eligible = training_eligibility(seekers, trainings, max_weeks=policy.max_training_weeks,
                                        max_cost_eur=policy.training_budget_eur)
        pathways = generate_pathways(seekers, vacancies, trainings, score_fn, direct, eligible=eligible,
                                     completion_rate=policy.training_completion_rate,
                                     per_seeker=policy.pathways_per_seeker, max_travel_km=policy.max_travel_km,
                                     timer=timer)
    with timer.stage("options"):
        options = build_option_graph(direct, pathways, openings=vacancies.openings, trainings=trainings, policy=policy,
                                     groups=groups)
    say("optimal assignment")
    with timer.stage("assignment"):
        result = solve_decomposed(options, policy, workers=workers)
    with timer.stage("validity check"):
        result.check_validity(policy)
    return ProgrammeRun(seekers=seekers, vacancies=vacancies, trainings=trainings, policy=policy, direct=direct,
                        pathways=pathways, options=options, result=result, timer=timer)


def true_success(run: ProgrammeRun, truth) -> np.ndarray:
    """P(lasting placement) of each chosen option under a synthetic market's hidden truth."""
    r = run.result
    s, v, t = r.seeker_index, r.vacancy_index, r.training_index
    p = np.zeros(r.n_matched)
    direct = t < 0
    if direct.any():
        p[direct] = truth.probability(run.seekers, run.vacancies, s[direct], v[direct])
    if (~direct).any():
        p[~direct] = truth.probability_via_training(run.seekers, run.vacancies, run.trainings, s[~direct], t[~direct],
                                                    v[~direct])
    return p


def programme_summary(run: ProgrammeRun, truth=None) -> dict:
    """Headline figures: placements direct and via training, seats, spend, expected successes."""
    r = run.result
    via = r.training_index >= 0
    seats = int(run.trainings.seats.sum())
    summary = {
        "seekers": run.seekers.n,
        "vacancies": run.vacancies.n,
        "openings": int(run.vacancies.openings.sum()),
        "training_offers": run.trainings.n,
        "training_seats": seats,
        "direct_candidate_pairs": run.direct.n_pairs,
        "pathway_options": run.pathways.n,
        "options": run.options.n_options,
        "matched": r.n_matched,
        "matched_direct": int((~via).sum()),
        "matched_via_training": int(via.sum()),
        "match_rate": r.n_matched / max(run.seekers.n, 1),
        "seat_use_share": int(via.sum()) / max(seats, 1),
        "training_spend_eur": r.training_spend(),
        "training_budget_eur": run.policy.training_budget_eur,
        "objective": r.objective,
        "expected_placements_scorer": r.expected_placements,
        "certificate": r.certificate,
    }
    if truth is not None:
        p = true_success(run, truth)
        summary["expected_successful_placements"] = float(p.sum())
        summary["success_per_placement"] = float(p.sum()) / max(r.n_matched, 1)
    return summary
