"""Fixtures of the learned-scoring tests: a small history market and a model trained on it."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def history_market(taxonomy):
    from matching.synthetic import generate_market

    return generate_market(n_seekers=2_500, n_vacancies=600, seed=21, passports="noise", taxonomy=taxonomy)


@pytest.fixture(scope="session")
def history(history_market):
    from matching.synthetic.history import generate_history

    return generate_history(history_market, years=3, seed=5)


@pytest.fixture(scope="session")
def trained(history):
    from matching.training import train_placement_model

    return train_placement_model(history, max_iter=200)
