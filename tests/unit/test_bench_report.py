"""The benchmark table, plots and peers on tiny inputs (speed is measured in benchmarks, never here)."""

from __future__ import annotations

from io import StringIO

import numpy as np
import pytest
from rich.console import Console

from benchmarks import peers
from benchmarks.report import assignment_rows, print_table, write_plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def sample_rows() -> list[dict]:
    return [
        {"n_seekers": 1_000, "n_vacancies": 200, "stage": "candidates", "seconds": 0.25, "peak_mb": 80.0},
        {"n_seekers": 1_000, "n_vacancies": 200, "stage": "assignment", "seconds": 0.5, "peak_mb": 120.0,
         "objective": 123_456, "ratios": {"scipy_matching": 2.5, "greedy": 0.125}},
        {"n_seekers": 10_000, "n_vacancies": 2_000, "stage": "candidates", "seconds": 2.0},
        {"n_seekers": 10_000, "n_vacancies": 2_000, "stage": "assignment", "seconds": 4.0, "peak_mb": 900.0,
         "objective": 1_234_567, "ratios": {"scipy_matching": 31.0}},
    ]


def rendered(rows) -> str:
    console = Console(file=StringIO(), width=200, record=True)
    print_table(rows, console=console)
    return console.export_text()


def test_table_shows_every_column_and_one_ratio_column_per_peer():
    text = rendered(sample_rows())
    for header in ("size", "stage", "seconds", "peak MB", "objective", "×scipy_matching", "×greedy"):
        assert header in text
    assert "1,000 × 200" in text
    assert "1,234,567" in text


def test_table_shows_ratios_where_given_and_blanks_elsewhere():
    lines = rendered(sample_rows()).splitlines()
    small_assignment = next(line for line in lines if "1,000 × 200" in line and "assignment" in line)
    assert "2.50" in small_assignment and "0.12" in small_assignment
    large_assignment = next(line for line in lines if "10,000 × 2,000" in line and "assignment" in line)
    assert "31.00" in large_assignment
    large_candidates = next(line for line in lines if "10,000 × 2,000" in line and "candidates" in line)
    assert "2.000" in large_candidates and "." not in large_candidates.replace("2.000", "")


def test_table_refuses_a_row_without_its_stage():
    with pytest.raises(ValueError, match="^rows: row 0 lacks stage"):
        print_table([{"n_seekers": 1, "n_vacancies": 1, "seconds": 1.0}], console=Console(file=StringIO()))


def test_assignment_rows_divide_peer_time_by_ours():
    results = {"ours": {"seconds": 2.0, "objective": 10}, "raw_ortools": {"seconds": 1.5, "objective": 10},
               "scipy_matching": {"seconds": 30.0, "objective": 10}}
    rows = assignment_rows(100, 20, results, peak_mb={"ours": 50.0})
    ours = rows[0]
    assert ours["stage"] == "assignment" and ours["peak_mb"] == 50.0
    assert ours["ratios"] == {"raw_ortools": 0.75, "scipy_matching": 15.0}
    assert [row["stage"] for row in rows[1:]] == ["peer: raw_ortools", "peer: scipy_matching"]
    assert "ratios" not in rows[1]


def test_plots_are_two_non_empty_pngs_written_without_leftovers(tmp_path):
    paths = write_plots(sample_rows(), tmp_path / "plots", "run")
    assert [path.name for path in paths] == ["run-seconds.png", "run-peak-mb.png"]
    for path in paths:
        content = path.read_bytes()
        assert len(content) > 1_000 and content.startswith(PNG_SIGNATURE)
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == ["run-peak-mb.png", "run-seconds.png"]


def test_plots_without_memory_figures_still_write_both_files(tmp_path):
    rows = [{k: v for k, v in row.items() if k != "peak_mb"} for row in sample_rows()]
    paths = write_plots(rows, tmp_path, "no-memory")
    assert all(path.stat().st_size > 0 for path in paths)


def test_plot_stem_must_not_be_a_path(tmp_path):
    with pytest.raises(ValueError, match="^stem: "):
        write_plots(sample_rows(), tmp_path, "../escape")


@pytest.fixture(scope="module")
def tiny_instance():
    return peers.random_instance(60, 12, 4, seed=5)


def test_random_instance_lists_distinct_vacancies_per_seeker(tiny_instance):
    keys = tiny_instance.seeker.astype(np.int64) * 12 + tiny_instance.vacancy
    assert len(np.unique(keys)) == len(keys) == 60 * 4
    assert np.all(tiny_instance.capacity >= 1)


def test_exact_peers_agree_and_greedy_does_not_beat_them(tiny_instance):
    raw = peers.raw_ortools(*tiny_instance)
    ours = peers.ours(*tiny_instance)
    scipy = peers.scipy_matching(*tiny_instance)
    greedy = peers.greedy(*tiny_instance)
    assert raw["objective"] == ours["objective"] == scipy["objective"] > 0
    assert ours["objective"] / 2 <= greedy["objective"] <= ours["objective"]
    assert raw["matched"] == ours["matched"] <= int(tiny_instance.capacity.sum())
    assert scipy["matched"] is None
    assert all(result["seconds"] >= 0 for result in (raw, ours, scipy, greedy))


def test_exact_peers_agree_when_optimum_is_hand_computed():
    # Greedy takes 0.9 and 0.3 (1.2); the optimum 0.7 + 0.8 = 1.5, in scaled weights.
    instance = peers.Instance(np.array([0, 0, 1, 2]), np.array([0, 1, 0, 1]),
                              np.array([900_000, 700_000, 800_000, 300_000]), np.array([1, 1]), 3)
    assert {peers.raw_ortools(*instance)["objective"], peers.ours(*instance)["objective"],
            peers.scipy_matching(*instance)["objective"]} == {1_500_000}
    assert peers.greedy(*instance) | {"seconds": 0} == {"seconds": 0, "objective": 1_200_000, "matched": 2}
