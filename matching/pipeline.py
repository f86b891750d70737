"""The batch pipeline: candidates → scores → optimal assignment, beside two peer matchers."""

from __future__ import annotations

from dataclasses import dataclass, field

from matching._rule_based import RuleBasedScorer
from matching.assignment import AssignmentResult, solve_assignment
from matching.baselines import DiplomaScorer, RandomScorer
from matching.candidates import CandidateGraph, FeatureScorer, generate_candidates
from matching.metrics import assignment_summary
from matching.timing import StageTimer


@dataclass(eq=False)
class MatcherRun:
    name: str
    graph: CandidateGraph
    result: AssignmentResult
    summary: dict


@dataclass(eq=False)
class BatchRun:
    """Our matcher and the baselines on one market, with time per stage."""

    runs: dict[str, MatcherRun]
    timer: StageTimer = field(default_factory=StageTimer)

    @property
    def main(self) -> MatcherRun:
        return self.runs["skillpass"]


def match(seekers, vacancies, score_fn, *, top_k: int, per_opening: int, timer: StageTimer,
          stage_prefix: str = "") -> tuple[CandidateGraph, AssignmentResult]:
    """Candidates and the optimal assignment for one scorer."""
    inner = StageTimer()
    graph = generate_candidates(seekers, vacancies, score_fn, top_k=top_k, per_opening=per_opening, timer=inner)
    for name, seconds in inner.seconds.items():
        timer.seconds[stage_prefix + name] = timer.seconds.get(stage_prefix + name, 0.0) + seconds
    with timer.stage(stage_prefix + "assignment"):
        result = solve_assignment(graph, vacancies.openings, seekers.consent_matching)
    return graph, result


def run_batch(market, *, scorer=None, top_k: int = 100, per_opening: int = 20, baselines: bool = True,
              timer: StageTimer | None = None, random_state: int = 0) -> BatchRun:
    """Run our matcher (and the baselines) on a synthetic market and score them all."""
    timer = timer or StageTimer()
    matchers = {"skillpass": FeatureScorer(scorer or RuleBasedScorer(), market.taxonomy)}
    if baselines:
        matchers["random"] = RandomScorer(random_state)
        matchers["diploma_hard_skills"] = DiplomaScorer()
    runs = {}
    for name, score_fn in matchers.items():
        prefix = "" if name == "skillpass" else f"baseline {name}: "
        graph, result = match(market.seekers, market.vacancies, score_fn, top_k=top_k, per_opening=per_opening,
                              timer=timer, stage_prefix=prefix)
        with timer.stage("metrics"):
            result.check_validity(graph)
            runs[name] = MatcherRun(name, graph, result, assignment_summary(result, market))
    return BatchRun(runs=runs, timer=timer)
