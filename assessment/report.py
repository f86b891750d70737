"""The analysts' validation report: ``skillpass assessment report``.

Simulated players with known true levels play the whole Skillsprint; the report says how
well scoring recovers the truth and how honest its uncertainty is:

* per soft skill — recovery (correlation of true and estimated level), coverage of the 95%
  intervals, mean standard error, share measured; for attentive complete play and for
  realistic play (careless, unfinished and skipped games);
* per scale — reliability by the scale's own method (split-half with Spearman–Brown,
  Cronbach's alpha, IRT marginal reliability), standard error of measurement, correlation
  of the raw score with the latent trait;
* the adaptive scenario test against the full bank — items used, precision, recovery;
* data-quality flags — how often careless play is caught and attentive play wrongly flagged;
* differential item functioning between two groups of different average skill.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from assessment.dif import mantel_haenszel
from assessment.norms import scale_reliability
from assessment.skillsprint import (REALISTIC_PLAY, Engine, SimulatedPlay, draw_population_levels,
                                    play_skillsprint, score_skillsprint)

DEFAULT_REPORT_PLAYERS = 5_000
# The focal group is weaker on average by this many SDs: impact, which DIF screening must
# not mistake for item bias.
FOCAL_IMPACT_SD = 0.3
FOCAL_SHARE = 0.35
CARELESS_SIGNS = ("too_fast", "patterned", "inconsistent", "non_responding")


@dataclass(frozen=True, eq=False)
class AssessmentReport:
    n: int
    seed: int
    versions: dict
    skills: pd.DataFrame
    scales: pd.DataFrame
    cat: pd.DataFrame
    flags: pd.DataFrame
    dif: pd.DataFrame

    def to_dict(self) -> dict:
        def records(frame):
            return frame.reset_index().replace({np.nan: None}).to_dict("records")
        return {"players": self.n, "seed": self.seed, "versions": self.versions, "skills": records(self.skills),
                "scales": records(self.scales), "adaptive_scenarios": records(self.cat),
                "flags": records(self.flags), "dif": records(self.dif)}


def _instrument(engine: Engine, instrument_id: str):
    return next(i for i in engine.battery if i.id == instrument_id)


def _skill_metrics(levels: np.ndarray, result, prefix: str) -> pd.DataFrame:
    rows = {}
    for k in range(levels.shape[1]):
        measured = result.measured[:, k]
        truth, estimate, se = levels[measured, k], result.levels[measured, k], result.se[measured, k]
        rows[k] = {f"{prefix}recovery_r": float(np.corrcoef(truth, estimate)[0, 1]) if measured.sum() > 2 else np.nan,
                   f"{prefix}coverage_95": float(np.mean(np.abs(truth - estimate) <= 1.96 * se)) if measured.any() else np.nan,
                   f"{prefix}mean_se": float(se.mean()) if measured.any() else np.nan,
                   f"{prefix}measured": float(measured.mean())}
    return pd.DataFrame.from_dict(rows, orient="index")


def _scale_table(engine: Engine, simulated: SimulatedPlay, theta: np.ndarray) -> pd.DataFrame:
    rows = []
    for inst in engine.battery:
        scores = inst.score(simulated.events[inst.id])
        reliability = scale_reliability(inst, scores.events, scores.raw)
        for scale in inst.scales:
            raw = scores.raw[scale.id].reindex(np.arange(len(theta))).to_numpy(dtype=float)
            latent = theta[:, engine.model.scale_index(scale.id)]
            ok = np.isfinite(raw)
            r, method = reliability[scale.id]
            norm = engine.norms.scale(scale.id)
            rows.append({"scale_id": scale.id, "instrument": inst.id, "reliability": r, "method": method,
                         "sem_z": float(np.sqrt(max(0.0, 1 - r))), "sem_raw": float(np.nanstd(raw) * np.sqrt(max(0.0, 1 - r))),
                         "norm_reliability": norm.reliability,
                         "raw_latent_r": float(np.corrcoef(raw[ok], latent[ok])[0, 1])})
    return pd.DataFrame(rows).set_index("scale_id")


def _cat_table(engine: Engine, theta: np.ndarray, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Adaptive against full scenario test on the same simulees; also returns the full-bank
    item matrix for the DIF study (a field trial gives everyone every item)."""
    sjt = _instrument(engine, "sjt")
    columns = [engine.model.scale_index(s) for s in sjt.scale_ids]
    out = {}
    for mode, adaptive in (("adaptive", True), ("full", False)):
        rng = np.random.default_rng(seed + 17)
        events = sjt.simulate(theta[:, columns], rng, adaptive=adaptive)
        scores = sjt.score(events)
        out[mode] = (events, scores)
    rows = []
    items_per_scale = sjt.items_per_scale(out["adaptive"][1].events)
    full_items = sjt.items_per_scale(out["full"][1].events)
    for j, scale in enumerate(sjt.scale_ids):
        row = {"scale_id": scale}
        for mode, (_, scores) in out.items():
            raw = scores.raw.reindex(np.arange(len(theta)))
            row[f"{mode}_items"] = float((items_per_scale if mode == "adaptive" else full_items)[scale].mean())
            row[f"{mode}_mean_se"] = float(raw[scale + ".se"].mean())
            row[f"{mode}_latent_r"] = float(np.corrcoef(raw[scale], theta[:, columns[j]])[0, 1])
            row[f"{mode}_reliability"] = float(raw[scale].var() / (raw[scale].var() + (raw[scale + ".se"] ** 2).mean()))
        rows.append(row)
    table = pd.DataFrame(rows).set_index("scale_id")
    table["item_share"] = table["adaptive_items"] / table["full_items"]
    return table, sjt.item_scores(out["full"][1].events)


def _flag_table(engine: Engine, simulated: SimulatedPlay, result) -> pd.DataFrame:
    flags = result.flags
    # Unfinished play is flagged too, but it is not a sign of careless play.
    doubtful = flags[flags["flag"].isin(CARELESS_SIGNS)]
    rows = []
    sessions = simulated.played.index.to_numpy()
    for inst in engine.battery:
        caught = np.isin(sessions, doubtful.loc[doubtful["instrument"] == inst.id, "session_id"].to_numpy())
        played = simulated.played[inst.id].to_numpy() > 0
        careless, attentive = played & simulated.careless, played & ~simulated.careless
        rows.append({"instrument": inst.id,
                     "careless_caught": caught[careless].mean() if careless.any() else np.nan,
                     "attentive_flagged": caught[attentive].mean() if attentive.any() else np.nan,
                     "careless_sessions": int(careless.sum())})
    by_effect = flags.groupby(["instrument", "flag"]).size().unstack(fill_value=0)
    return pd.DataFrame(rows).set_index("instrument").join(by_effect.add_prefix("n_"))


def build_report(engine: Engine | None = None, *, n: int = DEFAULT_REPORT_PLAYERS, seed: int = 7) -> AssessmentReport:
    engine = engine or Engine.default()
    taxonomy, model = engine.taxonomy, engine.model
    rng = np.random.default_rng(seed)
    levels = draw_population_levels(taxonomy, model, n, rng)
    focal = rng.random(n) < FOCAL_SHARE
    levels = np.clip(levels - FOCAL_IMPACT_SD * model.sd_level * focal[:, None], 1.0, 5.0)
    theta = model.simulate_scale_traits(levels, rng)

    attentive = play_skillsprint(theta, rng, engine=engine)
    attentive_result = score_skillsprint(attentive.events, engine, sessions=np.arange(n))
    realistic = play_skillsprint(theta, rng, engine=engine, play=REALISTIC_PLAY)
    realistic_result = score_skillsprint(realistic.events, engine, sessions=np.arange(n))

    skills = _skill_metrics(levels, attentive_result, "").join(_skill_metrics(levels, realistic_result, "realistic_"))
    skills.index = pd.Index(taxonomy.skill_ids, name="skill_id")
    scales = _scale_table(engine, attentive, theta)
    cat, sjt_items = _cat_table(engine, theta, seed)

    questionnaire = _instrument(engine, "questionnaire")
    prepared, _ = questionnaire.prepare(attentive.events["questionnaire"])
    item_blocks, scale_of = [sjt_items], dict(_instrument(engine, "sjt").item_scale())
    for scale in questionnaire.scale_ids:
        block = questionnaire.item_matrix(prepared, scale)
        item_blocks.append(block)
        scale_of.update({item: scale for item in block.columns})
    items = pd.concat([b.reindex(np.arange(n)) for b in item_blocks], axis=1)
    dif = mantel_haenszel(items, scale_of, focal)
    flags = _flag_table(engine, realistic, realistic_result)
    return AssessmentReport(n, seed, attentive_result.versions, skills, scales, cat, flags, dif)


def render_report(report: AssessmentReport) -> str:
    lines = [f"Skillsprint validation report: {report.n:,} simulated players, seed {report.seed}",
             "versions: " + ", ".join(f"{k} {v}" for k, v in report.versions.items()), "",
             "Soft skills (attentive, complete play | realistic play)",
             f"{'skill':<24}{'recovery r':>11}{'cover 95%':>10}{'mean SE':>9}  |{'recovery r':>11}{'cover 95%':>10}"
             f"{'measured':>9}"]
    for skill, row in report.skills.iterrows():
        lines.append(f"{skill:<24}{row['recovery_r']:>11.3f}{row['coverage_95']:>10.3f}{row['mean_se']:>9.3f}  |"
                     f"{row['realistic_recovery_r']:>11.3f}{row['realistic_coverage_95']:>10.3f}"
                     f"{row['realistic_measured']:>9.3f}")
    lines += ["", "Scales", f"{'scale':<38}{'reliability':>12} {'method':<27}{'SEM (z)':>8}{'raw~latent r':>13}"]
    for scale, row in report.scales.iterrows():
        lines.append(f"{scale:<38}{row['reliability']:>12.3f} {row['method']:<27}{row['sem_z']:>8.3f}"
                     f"{row['raw_latent_r']:>13.3f}")
    lines += ["", "Adaptive scenario test against the full bank",
              f"{'scale':<28}{'items CAT/full':>15}{'share':>7}{'SE CAT/full':>15}{'r CAT/full':>14}{'rel CAT/full':>15}"]
    for scale, row in report.cat.iterrows():
        lines.append(f"{scale:<28}{row['adaptive_items']:>7.1f}/{row['full_items']:<7.1f}{row['item_share']:>7.2f}"
                     f"{row['adaptive_mean_se']:>8.3f}/{row['full_mean_se']:<6.3f}{row['adaptive_latent_r']:>8.3f}/"
                     f"{row['full_latent_r']:<5.3f}{row['adaptive_reliability']:>9.3f}/{row['full_reliability']:<5.3f}")
    total = report.cat["adaptive_items"].sum() / report.cat["full_items"].sum()
    lines.append(f"{'all scenario scales':<28}{'':>15}{total:>7.2f}")
    lines += ["", "Data-quality flags under realistic play (share of careless and of attentive sessions with a sign of "
              "careless play: too fast, patterned, inconsistent, non-responding)",
              f"{'instrument':<16}{'careless caught':>16}{'attentive flagged':>19}"]
    for inst, row in report.flags.iterrows():
        lines.append(f"{inst:<16}{row['careless_caught']:>16.3f}{row['attentive_flagged']:>19.3f}")
    counts = report.dif["category"].value_counts()
    lines += ["", f"Differential item functioning (Mantel–Haenszel, focal group {FOCAL_IMPACT_SD} SD weaker on average)",
              "items by ETS category: " + ", ".join(f"{c}: {counts.get(c, 0)}" for c in ("A", "B", "C", "n/a"))]
    flagged = report.dif[report.dif["category"].isin(["B", "C"])]
    for _, row in flagged.iterrows():
        lines.append(f"  {row['item_id']} ({row['scale']}): delta {row['ets_delta']:+.2f}, p {row['p_value']:.3g}, "
                     f"category {row['category']}")
    return "\n".join(lines)
