"""Exact scores for the pairs that can make one seeker's list, without scoring every feasible pair.

A seeker near a city passes the knock-outs for tens of thousands of vacancies, and exact
pair features cost about a microsecond a pair: 40 ms for the one list a page shows. The
shortlist works in two stages, as retrieval systems do:

1. The pre-screen terms (:func:`matching.prescreen.pair_terms`) of every feasible pair:
   the seeker's fit against each vacancy's occupation profile, how much harder the vacancy
   is than that profile, coverage, language, education, sector, hours and travel.
2. A linear stand-in for the scorer, fitted by least squares to *this seeker's own* exact
   scores on a fixed random sample of their feasible vacancies. For one seeker every
   seeker-side quantity is a constant, so the fit only has to capture how the vacancies
   differ — much easier than one fit for a whole population.

The best ``keep`` pairs by the stand-in are scored exactly. When a seeker has no more
feasible vacancies than ``keep`` every one is scored and the list is exact; above that,
how often the exact top 10 survives is measured (``tests/unit/matching/test_shortlist.py``
and the 100,000-vacancy platform database, see the README), not assumed.
"""

from __future__ import annotations

import numpy as np

from matching.bits import derived
from matching.candidates import PairScoreFn
from matching.parallel import score_pairs
from matching.prescreen import OccupationProxies, fit_prescreen, pair_terms
from passport.population import SeekerArrays, VacancyArrays

SHORTLIST = 1_000
# Enough pairs to fit eleven weights steadily; at most half the shortlist, so that the
# other half is chosen by the stand-in.
FIT_PAIRS = 400


def _proxies(vacancies: VacancyArrays) -> tuple[OccupationProxies, np.ndarray]:
    def build():
        proxies = OccupationProxies.from_vacancies(vacancies)
        return proxies, proxies.requirement_above(vacancies)
    return derived(vacancies, "_prescreen_proxies", build)


def seeker_shortlist(seekers: SeekerArrays, vacancies: VacancyArrays, seeker_row: int, vacancy_index: np.ndarray,
                     distance_km: np.ndarray, score_fn: PairScoreFn, *, keep: int = SHORTLIST,
                     random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Positions into *vacancy_index* worth an exact score, and those exact scores.

    Parameters
    ----------
    vacancy_index : ndarray of shape (n,)
        The seeker's feasible vacancies (knock-outs already applied).
    distance_km : ndarray of shape (n,)
        Road distance to each of them.
    keep : int
        Pairs scored exactly; with ``n <= keep`` all are, and the result is exact.

    Returns
    -------
    positions : ndarray of int64, ascending
    score : ndarray of float32, the scorer's P(success) for ``vacancy_index[positions]``
    """
    if keep < 1:
        raise ValueError(f"keep: must be at least 1, got {keep}")
    vacancy_index = np.asarray(vacancy_index)
    n = len(vacancy_index)
    seeker = np.full(n, seeker_row, dtype=np.int64)
    if n <= keep:
        positions = np.arange(n)
        return positions, score_pairs(score_fn, seekers, vacancies, seeker, vacancy_index, distance_km)

    proxies, requirement_above = _proxies(vacancies)
    travel_ratio = np.asarray(distance_km, dtype=np.float32) / np.float32(seekers.max_travel_km[seeker_row])
    terms = pair_terms(seekers, vacancies, seeker, vacancy_index, travel_ratio, proxies, requirement_above)
    # The sample depends only on the seed and n, so the same seeker and catalogue give the same list.
    sample = np.sort(np.random.default_rng(random_state).choice(n, size=min(FIT_PAIRS, keep // 2), replace=False))
    sample_score = score_pairs(score_fn, seekers, vacancies, seeker[sample], vacancy_index[sample],
                               np.asarray(distance_km)[sample])
    estimate = fit_prescreen(terms[sample], sample_score).estimate(terms)
    # The sampled pairs already have exact scores: only the rest compete for the other places.
    estimate[sample] = -np.inf
    rest = np.sort(np.argpartition(-estimate, keep - len(sample) - 1)[:keep - len(sample)])
    rest_score = score_pairs(score_fn, seekers, vacancies, seeker[rest], vacancy_index[rest],
                             np.asarray(distance_km)[rest])
    positions = np.concatenate([sample, rest])
    score = np.concatenate([sample_score, rest_score])
    order = np.argsort(positions)
    return positions[order], score[order]
