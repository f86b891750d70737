"""The measurement model: exact Gaussian posterior, prior when nothing is observed, checked data."""

from __future__ import annotations

import numpy as np
import pytest

from assessment.measurement import load_measurement_model
from passport.errors import TaxonomyError


@pytest.fixture(scope="module")
def model(taxonomy):
    return load_measurement_model(taxonomy)


def test_without_observations_the_posterior_is_the_prior(model):
    k = len(model.scale_ids)
    mean, sd = model.posterior(np.full((2, k), np.nan), np.full((2, k), np.inf))
    assert np.allclose(mean, 0.0) and np.allclose(sd, 1.0)


def test_posterior_equals_the_dense_gaussian_formula(model):
    rng = np.random.default_rng(0)
    k = len(model.scale_ids)
    y = rng.normal(size=(1, k))
    error_var = rng.uniform(0.05, 0.5, size=(1, k))
    y[0, 3], error_var[0, 3] = np.nan, np.inf  # one scale not played
    mean, sd = model.posterior(y, error_var)
    used = np.isfinite(y[0])
    lam = model.loadings[used]
    noise = np.diag(model.specific_variance[used] + error_var[0, used])
    # Conditional of z given y in the joint Gaussian (z, y): the textbook formula.
    cov_zy = model.prior_correlation @ lam.T
    cov_yy = lam @ model.prior_correlation @ lam.T + noise
    expected_mean = cov_zy @ np.linalg.solve(cov_yy, y[0, used])
    expected_cov = model.prior_correlation - cov_zy @ np.linalg.solve(cov_yy, cov_zy.T)
    assert np.allclose(mean[0], expected_mean)
    assert np.allclose(sd[0], np.sqrt(np.diag(expected_cov)))


def test_more_precise_scores_never_widen_any_skill(model):
    rng = np.random.default_rng(1)
    k = len(model.scale_ids)
    y = rng.normal(size=(1, k))
    _, loose = model.posterior(y, np.full((1, k), 0.4))
    _, tight = model.posterior(y, np.full((1, k), 0.1))
    assert np.all(tight <= loose + 1e-12)


def test_a_skill_is_measured_only_through_a_direct_scale(model, taxonomy):
    usable = np.zeros((1, len(model.scale_ids)), dtype=bool)
    usable[0, model.scale_index("gonogo.inhibition")] = True
    measured = model.measured(usable)[0]
    assert measured[taxonomy.skill_index("self_control")]
    assert measured.sum() == 1


def test_every_soft_skill_has_a_direct_scale(model):
    assert model.direct.any(axis=0).all()


def test_population_model_matches_the_synthetic_market(model):
    from matching.synthetic import MarketConfig

    config = MarketConfig()
    assert (model.mean_level, model.sd_level) == (config.mean_level, config.skill_sd)


def test_bad_loading_file_names_row_and_field(tmp_path, taxonomy):
    import shutil

    from passport.resources import data_dir

    shutil.copytree(data_dir() / "assessment", tmp_path / "assessment")
    path = tmp_path / "assessment" / "measurement_model.csv"
    text = path.read_text().replace("gonogo.inhibition,self_control", "gonogo.inhibition,self_kontrol")
    path.write_text(text)
    with pytest.raises(TaxonomyError, match=r"measurement_model.csv, line \d+, field 'skill_id': unknown soft skill"):
        load_measurement_model(taxonomy, tmp_path)
