"""Skillsprint scoring: throughput per core, and the validation targets.

Speed: complete Skillsprints of simulated players scored in one batch on one core (BLAS
and OpenMP pinned to one thread), against the peer measured in the same run: the same
scorer called once per session, as a service scoring sessions one by one would. Quality:
the analysts' report on simulated players with known truth — recovery and 95% coverage
per soft skill, and the adaptive scenario test's share of items.

Targets (issue 3): ≥ 1,000 complete Skillsprints per second per core; recovery r ≥ 0.80 for
every soft skill; 95% intervals cover 93–97%; the adaptive test at the full test's precision
with ≤ 60% of the items.
"""

from __future__ import annotations

import time

import numpy as np
from threadpoolctl import threadpool_limits

from assessment.report import build_report
from assessment.skillsprint import Engine, draw_population_levels, score_skillsprint, simulate_skillsprint


class Skillsprint:
    params = [5_000]
    fast_params = [1_000]
    param_name = "players"
    peer_sample = 40

    def run(self, players) -> dict:
        engine = Engine.default()
        rng = np.random.default_rng(2026)
        levels = draw_population_levels(engine.taxonomy, engine.model, players, rng)
        events = simulate_skillsprint(levels, rng, engine=engine)
        with threadpool_limits(1):
            score_skillsprint({k: v[v["session_id"] < 50] for k, v in events.items()}, engine)  # warm caches
            start = time.perf_counter()
            score_skillsprint(events, engine)
            batch_seconds = time.perf_counter() - start
            start = time.perf_counter()
            for session in range(self.peer_sample):
                score_skillsprint({k: v[v["session_id"] == session] for k, v in events.items()}, engine)
            per_session_seconds = (time.perf_counter() - start) / self.peer_sample
        batch_rate = players / batch_seconds
        report = build_report(engine, n=players, seed=7)
        skills, cat = report.skills, report.cat
        item_share = float(cat["adaptive_items"].sum() / cat["full_items"].sum())
        return {
            "players": players, "events": int(sum(len(v) for v in events.values())),
            "batch_seconds": round(batch_seconds, 3), "skillsprints_per_second_per_core": round(batch_rate),
            "peer_one_by_one_per_second": round(1 / per_session_seconds, 1),
            "ratio_to_peer": round(batch_rate * per_session_seconds, 1),
            "target_rate_met": bool(batch_rate >= 1000),
            "recovery_r_min": round(float(skills["recovery_r"].min()), 3),
            "recovery_r_min_skill": str(skills["recovery_r"].idxmin()),
            "coverage_95_range": [round(float(skills["coverage_95"].min()), 3), round(float(skills["coverage_95"].max()), 3)],
            "realistic_recovery_r_min": round(float(skills["realistic_recovery_r"].min()), 3),
            "realistic_coverage_95_range": [round(float(skills["realistic_coverage_95"].min()), 3),
                                            round(float(skills["realistic_coverage_95"].max()), 3)],
            "cat_item_share": round(item_share, 3),
            "cat_mean_se": round(float(cat["adaptive_mean_se"].mean()), 3),
            "full_mean_se": round(float(cat["full_mean_se"].mean()), 3),
            "cat_latent_r": round(float(cat["adaptive_latent_r"].mean()), 3),
            "full_latent_r": round(float(cat["full_latent_r"].mean()), 3),
            "targets_met": {
                "recovery": bool(skills["recovery_r"].min() >= 0.80),
                "coverage": bool(skills["coverage_95"].between(0.93, 0.97).all()),
                "cat_items": bool(item_share <= 0.60),
                # the full target: the full test's precision with at most 60% of the items
                "cat_at_full_precision": bool(item_share <= 0.60
                                              and cat["adaptive_mean_se"].mean() <= cat["full_mean_se"].mean()),
                "rate": bool(batch_rate >= 1000),
            },
        }
