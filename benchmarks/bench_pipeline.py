"""The whole batch pipeline per stage, with peak memory, against the job-board peer.

Each size runs in a fresh process so peak memory (``ru_maxrss``) belongs to that size.
Peer: the diploma/hard-skills matcher, run through the same knock-outs and solver in the
same process; the ratio is its candidates + assignment time over ours. Reference check:
skillpass must beat both baselines on expected successful placements.
"""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys
from matching.synthetic import generate_market
from matching.pipeline import run_batch
from matching.timing import StageTimer
n_seekers, n_vacancies = int(sys.argv[1]), int(sys.argv[2])
timer = StageTimer()
market = generate_market(n_seekers=n_seekers, n_vacancies=n_vacancies, seed=0, timer=timer)
batch = run_batch(market, timer=timer)
ours = sum(v for k, v in timer.seconds.items() if k in ("knock-outs", "scoring", "top-k", "assignment"))
peer = sum(v for k, v in timer.seconds.items() if k.startswith("baseline diploma_hard_skills"))
print(json.dumps({
    "n_seekers": n_seekers, "n_vacancies": n_vacancies,
    "seconds_per_stage": timer.seconds,
    "time_match_s": ours, "time_peer_diploma_s": peer, "speed_ratio_vs_diploma_peer": peer / ours,
    "peakmem_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "candidate_pairs": batch.main.graph.n_pairs,
    "track_expected_placements": {k: r.summary["expected_successful_placements"] for k, r in batch.runs.items()},
}))
"""


class Pipeline:
    params = [(6_000, 1_500), (100_000, 1_500), (100_000, 25_000)]
    fast_params = [(6_000, 1_500)]
    param_name = "n_seekers, n_vacancies"

    def run(self, size) -> dict:
        completed = subprocess.run([sys.executable, "-c", CHILD, *map(str, size)], capture_output=True, text=True,
                                   check=True)
        result = json.loads(completed.stdout)
        placements = result["track_expected_placements"]
        if not placements["skillpass"] > max(placements["random"], placements["diploma_hard_skills"]):
            raise AssertionError(f"skillpass does not beat the baselines: {placements}")
        result["reference_check"] = "skillpass beats both baselines"
        return result
