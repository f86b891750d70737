"""The national batch in each mode, and what its summary reports."""

from __future__ import annotations

import numpy as np
import pytest

from matching.national import national_summary, run_national_batch
from matching.stable import is_stable


@pytest.fixture(scope="module")
def market(taxonomy):
    from matching.synthetic import generate_market

    return generate_market(n_seekers=3_000, n_vacancies=800, seed=11, geography="national", passports="noise",
                           taxonomy=taxonomy)


@pytest.fixture(scope="module")
def both(market):
    return run_national_batch(market.seekers, market.vacancies, market.taxonomy, mode="both", top_k=10)


def test_optimal_mode_gives_a_valid_optimal_assignment(both):
    both.optimal.check_validity(both.graph)
    assert both.optimal.certificate["status"] == "OPTIMAL"


def test_stable_mode_is_stable_and_never_beats_the_optimum(both):
    assert is_stable(both.preferences, both.stable.vacancy_of_seeker)
    stable_fit = both.graph.score[both.stable.edge_chosen].sum()
    assert stable_fit <= both.optimal.objective + 1e-6
    price = both.comparison["price_of_stability"]
    assert price["relative_loss"] == pytest.approx(1 - price["stable_fit"] / price["optimal_fit"])
    assert price["optimal_fit"] == pytest.approx(both.optimal.objective, rel=1e-6)


def test_two_sided_preferences_make_the_optimum_unstable(both):
    # Seekers weigh sector, hours and travel; employers weigh fit. The fit-maximising
    # assignment then leaves pairs who would both rather have each other.
    assert both.comparison["blocking_pairs_of_optimal"] > 0
    assert both.comparison["blocking_pairs_of_stable"] == 0


def test_summary_reports_every_mode_it_ran(both, market):
    summary = national_summary(both)
    assert summary["seekers"] == market.seekers.n and summary["candidate_pairs"] == both.graph.n_pairs
    assert summary["optimal"]["matched"] == both.optimal.n_matched
    assert summary["stable"]["matched"] == both.stable.n_matched
    assert "comparison" in summary and summary["prescreen_r_squared"] > 0.9
    consenting_without = (both.graph.candidates_per_seeker() == 0) & market.seekers.consent_matching
    assert summary["seekers_without_candidates"] == int(consenting_without.sum())


def test_stable_only_mode_skips_the_solver(market):
    run = run_national_batch(market.seekers, market.vacancies, market.taxonomy, mode="stable", top_k=5)
    assert run.optimal is None and run.comparison is None and run.stable is not None
    assert np.all(np.bincount(run.stable.vacancy_of_seeker[run.stable.vacancy_of_seeker >= 0],
                              minlength=market.vacancies.n) <= market.vacancies.openings)


def test_unknown_mode_is_refused(market):
    with pytest.raises(ValueError, match="mode"):
        run_national_batch(market.seekers, market.vacancies, market.taxonomy, mode="fastest")
