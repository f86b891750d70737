"""Why each seeker, vacancy and training offer ended up where it did in a programme batch.

Every reason is derived from the final assignment and the options each party had, so it
can be checked: a seeker "blocked by seats" really had a pathway to a vacancy with a
free opening whose training was full.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matching.candidates import KNOCKOUT_TEXT, Knockout

_BLOCKING = [Knockout.MUST_HAVE, Knockout.TRAVEL, Knockout.LANGUAGE, Knockout.HOURS, Knockout.SECTOR_EXCLUDED]

SEEKER_OUTCOMES = ("placed_direct", "placed_via_training", "no_consent", "no_candidates", "below_min_fit",
                   "not_worth_the_training", "outcompeted", "blocked_by_seats", "blocked_by_budget",
                   "held_back_by_policy")


def _any_per_seeker(options, flag) -> np.ndarray:
    return np.bincount(options.seeker[flag], minlength=options.n_seekers) > 0


def explain_programme_seekers(run) -> pd.DataFrame:
    """One row per seeker: outcome, placement, training and the reason in plain words."""
    o, r = run.options, run.result
    seekers, vacancies, trainings = run.seekers, run.vacancies, run.trainings
    n = o.n_seekers
    fill, seat_use = r.vacancy_fill(), r.seat_use()
    vacancy_free = fill < o.openings
    seat_free = seat_use < o.seats
    budget = run.policy.training_budget_eur
    budget_left = np.inf if budget is None else budget - r.training_spend()
    via = o.training >= 0
    seat_free = np.append(seat_free, True)  # trainings may be absent: index −1 stays in range
    t = np.where(via, o.training, -1)

    open_direct = _any_per_seeker(o, ~via & vacancy_free[o.vacancy])
    open_pathway = via & vacancy_free[o.vacancy]
    affordable = o.cost_eur <= budget_left + 1e-9
    fully_open = _any_per_seeker(o, open_pathway & seat_free[t] & affordable)
    seat_blocked = _any_per_seeker(o, open_pathway & ~seat_free[t])
    budget_blocked = _any_per_seeker(o, open_pathway & seat_free[t] & ~affordable)
    n_options = np.bincount(o.seeker, minlength=n)
    n_direct_candidates = run.direct.candidates_per_seeker()
    n_pathways = np.bincount(run.pathways.seeker, minlength=n) if run.pathways.n else np.zeros(n, dtype=np.int64)

    outcome = np.full(n, "outcompeted", dtype=object)
    outcome[budget_blocked] = "blocked_by_budget"
    outcome[seat_blocked] = "blocked_by_seats"
    outcome[open_direct | fully_open] = "held_back_by_policy"
    # No option left: either nothing reached the minimum fit, or only pathways did and
    # the programme's time and cost penalties left them no value.
    best_scored = np.full(n, -np.inf)
    np.maximum.at(best_scored, run.direct.seeker, run.direct.score)
    if run.pathways.n:
        np.maximum.at(best_scored, run.pathways.seeker, run.pathways.score)
    reached_fit = best_scored >= run.policy.min_fit
    outcome[(n_options == 0) & reached_fit] = "not_worth_the_training"
    outcome[(n_options == 0) & ~reached_fit] = "below_min_fit"
    outcome[(n_options == 0) & (n_direct_candidates == 0) & (n_pathways == 0)] = "no_candidates"
    outcome[~seekers.consent_matching] = "no_consent"
    placed_training = np.full(n, -1, dtype=np.int64)
    placed_vacancy = np.full(n, -1, dtype=np.int64)
    placed_score = np.full(n, np.nan)
    placed_vacancy[r.seeker_index] = r.vacancy_index
    placed_training[r.seeker_index] = r.training_index
    placed_score[r.seeker_index] = r.score
    placed = placed_vacancy >= 0
    outcome[placed] = np.where(placed_training[placed] >= 0, "placed_via_training", "placed_direct")

    counts = run.direct.knockout_counts
    dominant = np.array(_BLOCKING)[np.argmax(counts[:, _BLOCKING], axis=1)]
    vacancy_ids = np.asarray(vacancies.ids, dtype=object)
    training_ids = np.asarray(trainings.ids, dtype=object)
    weeks = np.asarray(trainings.duration_weeks)

    reason = np.empty(n, dtype=object)
    for kind in SEEKER_OUTCOMES:
        rows = np.flatnonzero(outcome == kind)
        if rows.size == 0:
            continue
        if kind == "placed_direct":
            reason[rows] = [f"placed in vacancy {vacancy_ids[placed_vacancy[i]]} (expected success "
                            f"{placed_score[i]:.0%})" for i in rows]
        elif kind == "placed_via_training":
            reason[rows] = [f"first training {training_ids[placed_training[i]]} "
                            f"({weeks[placed_training[i]]:g} weeks), then vacancy {vacancy_ids[placed_vacancy[i]]} "
                            f"(expected success {placed_score[i]:.0%})" for i in rows]
        elif kind == "no_consent":
            reason[rows] = "not included: no consent for batch matching"
        elif kind == "no_candidates":
            reason[rows] = [f"no suitable vacancy: {counts[i, d]} of {o.n_vacancies} excluded because "
                            f"{KNOCKOUT_TEXT[Knockout(d)]}" for i, d in zip(rows, dominant[rows])]
        elif kind == "below_min_fit":
            reason[rows] = (f"every option's expected success is below the programme's minimum of "
                            f"{run.policy.min_fit:.0%}")
        elif kind == "not_worth_the_training":
            reason[rows] = ("only pathways through a training were left, and their time and cost outweigh "
                            "the gain under the programme's policy")
        elif kind == "outcompeted":
            ranked_by = ("expected fit, weighted by the programme's priorities" if run.policy.priority_weights
                         else "expected fit")
            reason[rows] = [f"{c} options, but every vacancy in them was filled by people ranked higher on "
                            f"{ranked_by}" for c in n_options[rows]]
        elif kind == "blocked_by_seats":
            reason[rows] = "a training would open a vacancy with a free place, but its seats are all taken"
        elif kind == "blocked_by_budget":
            reason[rows] = "a training would open a vacancy with a free place, but the training budget is spent"
        else:
            reason[rows] = ("a vacancy with a free place was open to you, but the programme's group floor "
                            "or priorities gave the places to others")
    return pd.DataFrame({
        "seeker_id": np.asarray(seekers.ids, dtype=object),
        "outcome": pd.Categorical(outcome, categories=SEEKER_OUTCOMES),
        "vacancy_id": np.where(placed, vacancy_ids[np.maximum(placed_vacancy, 0)], None),
        # The appended None keeps index −1 valid when there are no trainings at all.
        "training_id": np.append(training_ids, None)[placed_training],
        "expected_success": placed_score,
        "n_direct_candidates": n_direct_candidates,
        "n_pathway_options": n_pathways,
        "main_knockout": [Knockout(d).name.lower() for d in dominant],
        "reason": reason,
    })


def explain_programme_vacancies(run) -> pd.DataFrame:
    """One row per vacancy: openings, how they were filled, and why any stay empty.

    An open place with an unplaced candidate is explained by what held that candidate
    back: a full training, the spent budget, or the programme's floor or priorities.
    """
    o, r = run.options, run.result
    fill = r.vacancy_fill()
    via = r.training_index >= 0
    fill_via = np.bincount(r.vacancy_index[via], minlength=o.n_vacancies)
    n_options = np.bincount(o.vacancy, minlength=o.n_vacancies)
    n_candidates = np.bincount(run.direct.vacancy, minlength=o.n_vacancies)
    n_pathway_options = np.bincount(run.pathways.vacancy, minlength=o.n_vacancies)

    unplaced = np.ones(o.n_seekers, dtype=bool)
    unplaced[r.seeker_index] = False
    waiting = unplaced[o.seeker]
    pathway = o.training >= 0
    seat_full = np.append(r.seat_use() >= o.seats, False)[np.where(pathway, o.training, -1)]
    budget = run.policy.training_budget_eur
    budget_left = np.inf if budget is None else budget - r.training_spend()
    unaffordable = pathway & (o.cost_eur > budget_left + 1e-9)

    def any_for_vacancy(flag):
        return np.bincount(o.vacancy[flag], minlength=o.n_vacancies) > 0

    held_by_seats = any_for_vacancy(waiting & pathway & seat_full)
    held_by_budget = any_for_vacancy(waiting & pathway & ~seat_full & unaffordable)
    held_by_policy = any_for_vacancy(waiting & ~(pathway & (seat_full | unaffordable)))
    reason = np.full(o.n_vacancies, "open places left: every candidate was placed where their expected fit is higher",
                     dtype=object)
    reason[held_by_budget] = "open places left: its remaining candidates need a training the budget cannot pay"
    reason[held_by_seats] = "open places left: its remaining candidates need a training whose seats are taken"
    reason[held_by_policy] = "open places left: the programme's group floor or priorities placed others first"
    reason[n_options == 0] = "no candidate reached the programme's minimum expected success"
    reason[n_candidates + n_pathway_options == 0] = "no candidate passed the knock-outs"
    reason[fill >= o.openings] = "all openings filled"
    return pd.DataFrame({"vacancy_id": np.asarray(run.vacancies.ids, dtype=object), "openings": o.openings,
                         "filled": fill, "filled_via_training": fill_via, "n_candidates": n_candidates,
                         "n_options": n_options, "reason": reason})


def explain_programme_trainings(run) -> pd.DataFrame:
    """One row per training offer: seats, seats used, spend, and why seats stay empty."""
    o, r = run.options, run.result
    use = r.seat_use()
    pathways = np.bincount(o.training[o.training >= 0], minlength=o.n_trainings)
    budget = run.policy.training_budget_eur
    budget_left = np.inf if budget is None else budget - r.training_spend()
    cost = np.asarray(run.trainings.cost_eur, dtype=float)
    if not run.policy.allow_pathways:
        reason = np.full(o.n_trainings, "pathways are switched off by the programme policy", dtype=object)
        return pd.DataFrame({"training_id": np.asarray(run.trainings.ids, dtype=object), "seats": o.seats,
                             "seats_used": use, "cost_eur": cost, "spend_eur": use * cost,
                             "pathway_options": pathways, "reason": reason})
    reason = np.where(
        use >= o.seats, "all seats used",
        np.where(pathways == 0, "no pathway through this training beats going straight to work",
                 np.where(cost > budget_left + 1e-9, "seats left, but the remaining budget cannot pay for one",
                          "seats left: the people it could help are better placed otherwise")))
    return pd.DataFrame({"training_id": np.asarray(run.trainings.ids, dtype=object), "seats": o.seats,
                         "seats_used": use, "cost_eur": cost, "spend_eur": use * cost, "pathway_options": pathways,
                         "reason": reason})
