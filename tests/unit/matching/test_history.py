"""The simulated placement history: who was placed follows past practice, outcomes follow the truth."""

from __future__ import annotations

import numpy as np
import pytest

from matching.baselines import DiplomaScorer
from matching.candidates import knockout_codes
from matching.synthetic.history import HISTORY_COLUMNS, generate_history


def test_records_have_the_documented_columns_and_valid_values(history):
    records = history.records
    assert tuple(records.columns) == HISTORY_COLUMNS
    assert set(records["lasted"].unique()) <= {0, 1}
    assert records["propensity"].between(0, 1, inclusive="right").all()
    assert records["weight"].mean() == pytest.approx(1.0)
    assert (records["weight"] > 0).all()
    # at most one placement per seeker and year
    assert not records.duplicated(["year", "seeker"]).any()


def test_every_placement_passed_the_knock_outs(history, history_market):
    records = history.records.drop_duplicates(["seeker", "vacancy"]).head(300)
    codes, _, _ = knockout_codes(history_market.seekers, history_market.vacancies, records["seeker"].to_numpy())
    assert (codes[np.arange(len(records)), records["vacancy"].to_numpy()] == 0).all()


def test_past_practice_favoured_diplomas_so_the_records_are_selected(history, history_market):
    records = history.records
    seekers, vacancies = history_market.seekers, history_market.vacancies
    chosen = DiplomaScorer()(seekers, vacancies, records["seeker"].to_numpy(), records["vacancy"].to_numpy(),
                             records["distance_km"].to_numpy())
    rng = np.random.default_rng(0)
    s = rng.choice(seekers.n, 2_000)
    v = rng.choice(vacancies.n, 2_000)
    codes, _, chord = knockout_codes(seekers, vacancies, s)
    feasible = codes[np.arange(len(s)), v] == 0
    from matching.candidates import road_distance_km

    anywhere = DiplomaScorer()(seekers, vacancies, s[feasible], v[feasible],
                               road_distance_km(chord[np.arange(len(s)), v][feasible]))
    assert chosen.mean() > anywhere.mean() + 0.05


def test_outcomes_follow_the_hidden_truth(history, history_market):
    r = history.records
    p = history_market.truth.probability(history_market.seekers, history_market.vacancies, r["seeker"], r["vacancy"])
    assert abs(r["lasted"].mean() - p.mean()) < 0.03


def test_the_same_seed_gives_the_same_history(history_market):
    first = generate_history(history_market, years=1, seed=9).records
    again = generate_history(history_market, years=1, seed=9).records
    other = generate_history(history_market, years=1, seed=10).records
    assert first.equals(again)
    assert not first.equals(other)


@pytest.mark.parametrize("kwargs, field", [({"years": 0}, "years"), ({"placement_rate": 1.5}, "placement_rate"),
                                           ({"temperature": 0.0}, "temperature")])
def test_bad_settings_are_refused_by_name(history_market, kwargs, field):
    with pytest.raises(ValueError, match=field):
        generate_history(history_market, **kwargs)
