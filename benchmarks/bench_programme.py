"""Programme batches with training pathways at regional scale, under three policies.

Target (issue: matching core): 6,000 seekers, 1,500 vacancies, 40 training offers with
seats and a budget — the whole batch (candidates, scoring, pathways, assignment) in
under 3 s, proven optimal or within 0.1 % of the bound. The policies ask for that 0.1 %
(``relative_gap``); one more run keeps the default 10⁻⁴. Peer, measured in the same
process: the same batch with pathways switched off (direct-only min-cost flow), so the
speed ratio says what pathways cost and the placements say what they earn. Expected
successful placements come from the synthetic market's hidden ground truth.

Timing: the first batch in a fresh process is reported on its own (``cold_batch_seconds``:
first-touch memory, lazy imports, per-catalogue caches); then ours and the peer alternate
``REPEATS`` times and each reports its median (``batch_seconds``,
``peer_direct_only_seconds``), the figure a long-lived job worker sees. Alternating keeps
a slow spell of a shared machine from landing on one side only.
"""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = r"""
import json, resource, statistics, sys
from matching.batch import programme_summary, run_programme
from matching.policy import MatchingPolicy
from matching.synthetic import generate_market
from matching.timing import StageTimer
n_seekers, n_vacancies, n_trainings = map(int, sys.argv[1:4])
policy = MatchingPolicy.from_dict(json.loads(sys.argv[4]))
market = generate_market(n_seekers=n_seekers, n_vacancies=n_vacancies, n_trainings=n_trainings, seed=0)
def batch(p):
    timer = StageTimer()
    run = run_programme(market.seekers, market.vacancies, market.trainings, market.taxonomy, policy=p,
                        groups=market.groups, timer=timer)
    return run, timer
direct_policy = MatchingPolicy(**{**policy.to_dict(), "allow_pathways": False})
cold_run, cold_timer = batch(policy)
ours_runs, peer_runs = [], []
for _ in range(int(sys.argv[5])):
    run, timer = batch(policy)
    direct, direct_timer = batch(direct_policy)
    ours_runs.append((timer.total, run, timer))
    peer_runs.append(direct_timer.total)
# The run whose total is the median stands for all: its stages and certificate are reported.
ours, run, timer = sorted(ours_runs, key=lambda r: r[0])[len(ours_runs) // 2]
peer = statistics.median(peer_runs)
s, d = programme_summary(run, market.truth), programme_summary(direct, market.truth)
print(json.dumps({
    "size": [n_seekers, n_vacancies, n_trainings], "policy": policy.to_dict(),
    "seconds_per_stage": timer.seconds, "batch_seconds": ours, "peer_direct_only_seconds": peer,
    "cold_batch_seconds": cold_timer.total, "cold_seconds_per_stage": cold_timer.seconds,
    "batch_seconds_each": [r[0] for r in ours_runs], "peer_seconds_each": peer_runs,
    "time_ratio_vs_direct_only": ours / peer,
    "certificate": {k: v for k, v in s["certificate"].items() if k != "method"}, "method": s["certificate"]["method"],
    "matched": s["matched"], "matched_via_training": s["matched_via_training"],
    "seat_use_share": s["seat_use_share"], "training_spend_eur": s["training_spend_eur"],
    "expected_successful_placements": s["expected_successful_placements"],
    "direct_only_expected_successful_placements": d["expected_successful_placements"],
    "pathway_gain": s["expected_successful_placements"] / d["expected_successful_placements"] - 1,
    "peakmem_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


REPEATS = 3


class Programme:
    # The target's tolerance (0.1 % of the bound) is asked for explicitly; the last row
    # keeps the policy's default tolerance (10⁻⁴) to show what the tighter gap costs.
    params = [
        ((6_000, 1_500, 40), {"relative_gap": 1e-3}),
        ((6_000, 1_500, 40), {"training_budget_eur": 60_000, "relative_gap": 1e-3}),
        ((6_000, 1_500, 40), {"training_budget_eur": 60_000, "min_group_share": {"long_term_unemployed": 0.35},
                              "priority_weights": {"long_term_unemployed": 1.2}, "relative_gap": 1e-3}),
        ((6_000, 1_500, 40), {"training_budget_eur": 60_000}),
    ]
    fast_params = params[1:2]
    param_name = "size, policy"

    def run(self, param) -> dict:
        size, policy = param
        completed = subprocess.run([sys.executable, "-c", CHILD, *map(str, size), json.dumps(policy),
                                    str(REPEATS)],
                                   capture_output=True, text=True, check=True)
        result = json.loads(completed.stdout)
        cert = result["certificate"]
        result["target_gap_met"] = cert["status"] == "OPTIMAL" or cert["relative_gap"] <= 1e-3
        result["target_time_met"] = result["batch_seconds"] < 3.0
        return result
