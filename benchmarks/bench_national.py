"""The national batch per stage, with peak memory, and the assignment step against its peers.

Each size runs in a fresh process, so peak memory (``ru_maxrss``) belongs to that size. The
batch itself is the direct optimal mode end to end: generating the market, pruned candidates
and the min-cost-flow assignment. Then, on the same prepared arrays (candidate pairs, scaled
scores, openings), in the same process:

* ``raw_ortools`` — the bare OR-Tools min-cost flow, the floor for our assignment step;
* ``ours`` — :func:`matching.assignment.max_weight_assignment` timed alone;
* ``scipy_matching`` — SciPy's sparse LAPJV (up to :data:`SCIPY_MAX_SEEKERS`: its
  per-opening expansion grows too big beyond);
* ``greedy`` — the global greedy matcher;
* ``stable`` — seeker-proposing deferred acceptance on two-sided preferences.

Reference checks: ours and raw OR-Tools (and SciPy where run) reach the same optimum; the
greedy and stable objectives do not exceed it; the stable matching has no blocking pair;
the pruned candidates keep at least 99 % of the exact top-k on a sample of seekers.
"""

from __future__ import annotations

import json
import subprocess
import sys

SCIPY_MAX_SEEKERS = 100_000
RECALL_SAMPLE = 300

CHILD = r"""
import json, resource, sys, time
import numpy as np
from benchmarks import peers
from matching.assignment import scale_scores
from matching.national import run_national_batch
from matching.pair_kernels import warm_up
from matching.pruned import candidate_recall
from matching.stable import blocking_pairs, deferred_acceptance, market_preferences
from matching.synthetic import generate_market
from matching.timing import StageTimer

n_seekers, n_vacancies, scipy_max, recall_sample = map(int, sys.argv[1:5])
peak_mb = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
kernel_load_seconds = warm_up()  # compiled once per machine; reported apart from the batch
timer = StageTimer()
start = time.perf_counter()
market = generate_market(n_seekers=n_seekers, n_vacancies=n_vacancies, geography="national", passports="noise",
                         seed=0, timer=timer)
run = run_national_batch(market.seekers, market.vacancies, market.taxonomy, mode="optimal", timer=timer)
batch_seconds = time.perf_counter() - start
batch_peak = peak_mb()
graph = run.graph
arrays = (graph.seeker, graph.vacancy, scale_scores(graph.score), market.vacancies.openings.astype(np.int64),
          graph.n_seekers)
results = {"ours": peers.ours(*arrays), "raw_ortools": peers.raw_ortools(*arrays), "greedy": peers.greedy(*arrays)}
if n_seekers <= scipy_max:
    results["scipy_matching"] = peers.scipy_matching(*arrays)
t = time.perf_counter()
prefs, _ = market_preferences(graph.seeker, graph.vacancy, graph.score, graph.distance_km, market.seekers,
                              market.vacancies, market.vacancies.openings)
stable = deferred_acceptance(prefs)
stable_seconds = time.perf_counter() - t
stable_weight = int(arrays[2][stable.edge_chosen].sum())
results["stable"] = {"seconds": stable_seconds, "objective": stable_weight, "matched": stable.n_matched}
recall = candidate_recall(graph, market.seekers, market.vacancies, run.score_fn, top_k=graph.top_k,
                          sample_size=recall_sample)
print(json.dumps({
    "n_seekers": n_seekers, "n_vacancies": n_vacancies, "candidate_pairs": graph.n_pairs,
    "pairs_within_travel": run.pruned.reachable_pairs, "vacancy_types": run.pruned.n_types,
    "seconds_per_stage": timer.seconds, "batch_seconds": batch_seconds, "batch_peak_mb": batch_peak,
    "peers": results, "recall_of_exact_top_k": recall,
    "stable_rounds": stable.rounds,
    "stable_blocking_pairs": int(len(blocking_pairs(prefs, stable.vacancy_of_seeker))),
    "optimal_blocking_pairs": int(len(blocking_pairs(prefs, run.optimal.vacancy_of_seeker()))),
    "peak_mb": peak_mb(), "kernel_load_seconds": kernel_load_seconds,
}))
"""


class National:
    params = [(20_000, 4_000), (100_000, 20_000), (300_000, 60_000), (1_000_000, 200_000)]
    fast_params = [(20_000, 4_000), (100_000, 20_000)]
    param_name = "n_seekers, n_vacancies"

    def run(self, size) -> dict:
        completed = subprocess.run([sys.executable, "-c", CHILD, *map(str, size), str(SCIPY_MAX_SEEKERS),
                                    str(RECALL_SAMPLE)], capture_output=True, text=True)
        if completed.returncode != 0:
            raise RuntimeError(f"national benchmark at {size} failed:\n{completed.stderr[-3000:]}")
        result = json.loads(completed.stdout.strip().splitlines()[-1])
        return _with_checks_and_ratios(result)


def _with_checks_and_ratios(result: dict) -> dict:
    peers = result["peers"]
    optimum = peers["ours"]["objective"]
    if peers["raw_ortools"]["objective"] != optimum:
        raise AssertionError(f"optima differ: ours {optimum}, raw OR-Tools {peers['raw_ortools']['objective']}")
    if "scipy_matching" in peers and peers["scipy_matching"]["objective"] != optimum:
        raise AssertionError(f"optima differ: ours {optimum}, SciPy {peers['scipy_matching']['objective']}")
    for name in ("greedy", "stable"):
        if peers[name]["objective"] > optimum:
            raise AssertionError(f"{name} beats the optimum: {peers[name]['objective']} > {optimum}")
    if result["stable_blocking_pairs"]:
        raise AssertionError(f"the stable matching has {result['stable_blocking_pairs']} blocking pairs")
    if result["recall_of_exact_top_k"]["recall"] < 0.99:
        raise AssertionError(f"pruned candidates keep only {result['recall_of_exact_top_k']['recall']:.4f} "
                             "of the exact top-k")
    ours_seconds = peers["ours"]["seconds"]
    result["assignment_cost_vs_raw_ortools"] = ours_seconds / peers["raw_ortools"]["seconds"]
    result["speed_ratio_vs"] = {name: peer["seconds"] / ours_seconds for name, peer in peers.items() if name != "ours"}
    result["greedy_loss_of_optimum"] = 1.0 - peers["greedy"]["objective"] / optimum if optimum else 0.0
    result["price_of_stability"] = 1.0 - peers["stable"]["objective"] / optimum if optimum else 0.0
    result["reference_check"] = ("equal optima (ours, raw OR-Tools, SciPy where run); greedy and stable ≤ optimum; "
                                 "stable matching has no blocking pair; recall ≥ 0.99")
    return result


def national_rows(results: list[dict]) -> list[dict]:
    """Rows for :func:`benchmarks.report.print_table` and :func:`benchmarks.report.write_plots`."""
    rows = []
    for result in results:
        size = {"n_seekers": result["n_seekers"], "n_vacancies": result["n_vacancies"]}
        stages = result["seconds_per_stage"]
        candidates = sum(v for k, v in stages.items() if k in ("index", "pre-screen fit", "blocks", "vacancy lists"))
        rows.append({**size, "stage": "generate market", "seconds": stages.get("generate market", 0.0)
                     + stages.get("build passports", 0.0)})
        rows.append({**size, "stage": "candidates (pruned)", "seconds": candidates})
        rows.append({**size, "stage": "national batch, end to end", "seconds": result["batch_seconds"],
                     "peak_mb": result["batch_peak_mb"], "objective": result["peers"]["ours"]["objective"]})
        peers = result["peers"]
        rows.append({**size, "stage": "assignment", "seconds": peers["ours"]["seconds"],
                     "objective": peers["ours"]["objective"], "ratios": result["speed_ratio_vs"]})
        for name, peer in peers.items():
            if name != "ours":
                rows.append({**size, "stage": f"peer: {name}", "seconds": peer["seconds"],
                             "objective": peer["objective"]})
    return rows
