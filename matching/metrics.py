"""Matching metrics under the synthetic market's ground truth."""

from __future__ import annotations


from matching.assignment import AssignmentResult


def expected_successful_placements(result: AssignmentResult, market) -> float:
    """Sum over placements of the *true* P(placement lasts); needs the hidden ground truth."""
    if result.n_matched == 0:
        return 0.0
    p = market.truth.probability(market.seekers, market.vacancies, result.seeker_index, result.vacancy_index)
    return float(p.sum())


def assignment_summary(result: AssignmentResult, market) -> dict:
    """Headline figures of one assignment: sizes, placements, expected successes."""
    esp = expected_successful_placements(result, market)
    n_openings = int(market.vacancies.openings.sum())
    return {
        "matched": result.n_matched,
        "match_rate": result.n_matched / max(market.seekers.n, 1),
        "fill_rate": result.n_matched / max(n_openings, 1),
        "expected_successful_placements": esp,
        "success_per_placement": esp / max(result.n_matched, 1),
        "scorer_objective": result.objective,
    }
