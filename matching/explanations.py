"""Why each seeker is placed where they are, or why not, in plain words."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matching.assignment import OUTCOME_TEXT, AssignmentResult, Outcome
from matching.candidates import KNOCKOUT_TEXT, CandidateGraph, Knockout

_BLOCKING = [Knockout.MUST_HAVE, Knockout.TRAVEL, Knockout.LANGUAGE, Knockout.HOURS, Knockout.SECTOR_EXCLUDED]


def explain_seekers(result: AssignmentResult, graph: CandidateGraph, seeker_ids, vacancy_ids) -> pd.DataFrame:
    """One row per seeker: outcome, placement (if any) and the reason in words.

    * placed: the vacancy and its rank among the seeker's own candidates;
    * no candidates: the knock-out that excluded most vacancies, with counts;
    * outcompeted: how many candidate vacancies there were, all filled.
    """
    n = graph.n_seekers
    seeker_ids = np.asarray(seeker_ids)
    vacancy_ids = np.asarray(vacancy_ids)
    placed_vacancy = np.full(n, -1, dtype=np.int64)
    placed_vacancy[result.seeker_index] = result.vacancy_index
    placed_score = np.full(n, np.nan)
    placed_score[result.seeker_index] = result.score

    # Rank of the placement among the seeker's candidates (graph is sorted by seeker, best first).
    starts = np.searchsorted(graph.seeker, np.arange(n), side="left")
    chosen_pair = np.flatnonzero(placed_vacancy[graph.seeker] == graph.vacancy)
    rank = np.zeros(n, dtype=np.int64)
    rank[graph.seeker[chosen_pair]] = chosen_pair - starts[graph.seeker[chosen_pair]] + 1

    counts = graph.knockout_counts
    dominant = np.array(_BLOCKING)[np.argmax(counts[:, _BLOCKING], axis=1)]
    n_candidates = graph.candidates_per_seeker()
    outcome = result.outcome

    text = np.empty(n, dtype=object)
    matched = outcome == Outcome.MATCHED
    text[matched] = [f"placed: option {r} of your {c} suitable vacancies" for r, c in
                     zip(rank[matched], n_candidates[matched])]
    no_cand = outcome == Outcome.NO_CANDIDATES
    text[no_cand] = [
        f"no suitable vacancy: {counts[i, d]} of {graph.n_vacancies} excluded because {KNOCKOUT_TEXT[Knockout(d)]}"
        for i, d in zip(np.flatnonzero(no_cand), dominant[no_cand])]
    lost = outcome == Outcome.OUTCOMPETED
    text[lost] = [f"{c} suitable vacancies, all filled by candidates with a better expected fit"
                  for c in n_candidates[lost]]
    text[outcome == Outcome.NO_CONSENT] = OUTCOME_TEXT[Outcome.NO_CONSENT]

    return pd.DataFrame({
        "seeker_id": seeker_ids,
        "outcome": pd.Categorical([Outcome(o).name.lower() for o in outcome]),
        "vacancy_id": np.where(matched, vacancy_ids[np.maximum(placed_vacancy, 0)], None),
        "score": placed_score,
        "n_candidates": n_candidates,
        "n_feasible": graph.n_feasible,
        "main_knockout": [Knockout(d).name.lower() for d in dominant],
        "reason": text,
    })


def explain_vacancies(result: AssignmentResult, graph: CandidateGraph, vacancy_ids) -> pd.DataFrame:
    """One row per vacancy: openings, filled, candidates, and why openings stay empty."""
    fill = result.vacancy_fill()
    n_candidates = np.bincount(graph.vacancy, minlength=graph.n_vacancies)
    openings = result.capacity
    reason = np.where(fill >= openings, "all openings filled",
                      np.where(n_candidates == 0, "no candidate passed the knock-outs",
                               "candidates were placed where their expected fit is higher"))
    return pd.DataFrame({"vacancy_id": np.asarray(vacancy_ids), "openings": openings, "filled": fill,
                         "n_candidates": n_candidates, "reason": reason})
