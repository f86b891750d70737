"""Differential item functioning: does an item behave differently for two groups of equal skill?

Mantel–Haenszel with the ETS classification, the standard screen in test publishing. People
are matched on the rest score (their total on the scale's other items), so a group that is
truly stronger on average does not make an item look biased; within each stratum the item is
split at its middle category and a common odds ratio across strata compares the groups.
ETS delta = −2.35·ln(α_MH): category A (negligible) |Δ| < 1, B (moderate) 1 ≤ |Δ| < 1.5,
C (large) |Δ| ≥ 1.5 and significant. Only A items belong in a scored scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import chi2

MIN_STRATUM = 2


def mantel_haenszel(items: pd.DataFrame, scale_of: dict[str, str], focal: np.ndarray,
                    split_at: dict[str, float] | None = None) -> pd.DataFrame:
    """MH DIF per item; *items* holds ordinal scores (sessions × items, NaN = not given).

    *focal* marks the focal group (True) against the reference group (False).
    """
    focal = np.asarray(focal, dtype=bool)
    rows = []
    for scale, columns in pd.Series(scale_of).groupby(pd.Series(scale_of)):
        block = items[list(columns.index)]
        complete = block.notna().all(axis=1).to_numpy()
        values = block.to_numpy(dtype=float)[complete]
        group = focal[complete]
        total = values.sum(axis=1)
        for j, item in enumerate(columns.index):
            rest = (total - values[:, j]).round().astype(int)
            cut = (split_at or {}).get(item, np.median(values[:, j]))
            correct = values[:, j] > cut if np.mean(values[:, j] > cut) > 0.05 else values[:, j] >= cut
            table = pd.DataFrame({"stratum": rest, "a": correct & ~group, "b": ~correct & ~group,
                                  "c": correct & group, "d": ~correct & group}).groupby("stratum").sum()
            t = table.sum(axis=1)
            table = table[(t >= MIN_STRATUM) & ((table.a + table.b) > 0) & ((table.c + table.d) > 0)]
            t = table.sum(axis=1)
            numerator, denominator = (table.a * table.d / t).sum(), (table.b * table.c / t).sum()
            alpha = numerator / denominator if denominator > 0 and numerator > 0 else np.nan
            # Mantel–Haenszel chi-square with continuity correction.
            n_ref, n_foc = table.a + table.b, table.c + table.d
            m1, m0 = table.a + table.c, table.b + table.d
            expected = n_ref * m1 / t
            variance = n_ref * n_foc * m1 * m0 / (t * t * (t - 1)).where(t > 1)
            statistic = (abs(table.a.sum() - expected.sum()) - 0.5) ** 2 / variance.sum() if variance.sum() > 0 else np.nan
            p_value = float(chi2.sf(statistic, 1)) if np.isfinite(statistic) else np.nan
            delta = -2.35 * np.log(alpha) if np.isfinite(alpha) else np.nan
            rows.append({"item_id": item, "scale": scale, "n_reference": int((~group).sum()),
                         "n_focal": int(group.sum()), "alpha_mh": alpha, "ets_delta": delta, "p_value": p_value,
                         "category": ets_category(delta, p_value)})
    return pd.DataFrame(rows)


def ets_category(delta: float, p_value: float) -> str:
    if not np.isfinite(delta):
        return "n/a"
    if abs(delta) >= 1.5 and p_value < 0.05:
        return "C"
    if abs(delta) >= 1.0 and p_value < 0.05:
        return "B"
    return "A"
