"""Deferred acceptance reproduces the published hospitals/residents matchings in ../shared.

Each JSON file in ``../shared/benchmarks/hr`` lists residents' ranked hospitals, hospitals'
capacities and ranked residents, and the resident-optimal (and sometimes hospital-optimal)
stable matching; ``null`` means unmatched. Residents are seekers, hospitals vacancies.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matching.stable import TwoSidedPreferences, deferred_acceptance, is_stable

HR_DIR = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "hr"
FIXTURES = sorted(path.name for path in HR_DIR.glob("*.json")) if HR_DIR.is_dir() else []
SIDE_OF = {"resident_optimal": "seekers", "hospital_optimal": "vacancies"}


def load(shared_dir: Path, name: str) -> dict:
    path = shared_dir / "benchmarks" / "hr" / name
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    return json.loads(path.read_text())


def matching_by_name(instance: dict, proposing: str) -> dict:
    prefs, seekers, vacancies = TwoSidedPreferences.from_lists(instance["residents"], instance["hospitals"])
    result = deferred_acceptance(prefs, proposing)
    assert is_stable(prefs, result.vacancy_of_seeker)
    return {seeker: (vacancies[v] if v >= 0 else None) for seeker, v in zip(seekers, result.vacancy_of_seeker)}


@pytest.mark.external
def test_the_benchmark_folder_holds_the_documented_fixtures(shared_dir):
    if not (shared_dir / "benchmarks" / "hr").is_dir():
        pytest.skip("../shared/benchmarks/hr is not present")
    names = {path.stem for path in (shared_dir / "benchmarks" / "hr").glob("*.json")}
    assert {"gusfield_irving_1989_s1.6.5", "roth_sotomayor_1990_p16", "nrmp_example", "algmatch_hr1",
            "matching_issue_159"} <= names


@pytest.mark.external
@pytest.mark.parametrize("name", FIXTURES or [pytest.param(None, marks=pytest.mark.skip(
    reason="../shared/benchmarks/hr is not present"))])
@pytest.mark.parametrize("expected_key", list(SIDE_OF))
def test_deferred_acceptance_matches_the_published_matching(shared_dir, name, expected_key):
    instance = load(shared_dir, name)
    expected = instance["expected"].get(expected_key)
    if expected is None:
        pytest.skip(f"{name} publishes no {expected_key} matching")
    assert matching_by_name(instance, SIDE_OF[expected_key]) == expected
