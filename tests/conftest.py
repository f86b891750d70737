"""Shared fixtures and hypothesis profiles (select with HYPOTHESIS_PROFILE=ci|dev)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=60, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def taxonomy():
    from passport.taxonomy import load_taxonomy

    return load_taxonomy()


@pytest.fixture(scope="session")
def small_market(taxonomy):
    from matching.synthetic import generate_market

    return generate_market(n_seekers=600, n_vacancies=150, n_trainings=20, seed=11, taxonomy=taxonomy)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the repository; tests that need it skip cleanly without it."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present on this machine")
    return SHARED
