"""Pseudonymised aggregates for analysts: funnel, placements, fairness, congestion, batch jobs.

Every function takes plain DataFrames (one row per person, session, connection, outcome,
vacancy or job) and returns a table of cells; no result holds an identifier of a person.

Small cells are suppressed (statistical disclosure control): a count of fewer than
:data:`K_MIN` people becomes missing, with its ``<name>_suppressed`` flag set, and so does
every rate and interval computed from it, because a rate and its denominator give the count
back. Where groups of people partition a total that is published too (monitoring groups of
passport holders, partners' seekers), a lone suppressed group would follow by subtraction, so
the next smallest group is suppressed with it (complementary suppression). Placements by
occupation and sector group invitations by the vacancy, not by anything about the person,
and get primary suppression only. Rates carry Wilson 95 % intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matching import ranking_metrics

K_MIN = 10
"""Fewest people a published cell may count; zero counts are below it too ("nobody in
group X" discloses something about every member of X)."""

MONITORING_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "age_band": ("18-26", "27-44", "45-54", "55+"),
    "gender": ("female", "male", "non_binary"),
    "migration_background": ("none", "first_generation", "second_generation"),
}
"""The voluntary, self-reported attributes (and their allowed values) that fairness is
measured over. Matching and scoring never read them."""

NOT_STATED = "not_stated"
"""The fairness group of passport holders who did not report the attribute."""

Z_95 = 1.959963984540054
N_BOOTSTRAP = 400

FUNNEL_STAGES: tuple[tuple[str, str | None], ...] = (
    ("seekers", None),
    ("sessions_started", "seekers"),
    ("sessions_finished", "sessions_started"),
    ("passports", "seekers"),
    ("visible_to_employers", "passports"),
    ("in_batch_matching", "passports"),
    ("invited", "passports"),
    ("accepted", "invited"),
    ("declined", "invited"),
    ("outcomes", "passports"),
)
"""(stage, parent): a person counts at a stage only if they also reached its parent, so every
stage counts at most as many people as its parent."""


# --------------------------------------------------------------------------- cells


def wilson_interval(successes, trials, z: float = Z_95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rate k/n and its Wilson score interval, elementwise; NaN where n is 0."""
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = k / n
        z2n = z * z / n
        centre = (rate + z2n / 2) / (1 + z2n)
        half = z * np.sqrt(rate * (1 - rate) / n + z2n / (4 * n)) / (1 + z2n)
    empty = n <= 0
    rate, low, high = (np.where(empty, np.nan, values) for values in
                       (rate, np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)))
    # The interval always holds the estimate; rounding must not push it outside at k = 0 or k = n.
    return rate, np.fmin(low, rate), np.fmax(high, rate)


def complementary(hidden: np.ndarray, values: np.ndarray, partition: np.ndarray) -> np.ndarray:
    """Also hide the smallest shown cell of each partition that has exactly one hidden cell.

    The cells of a partition add up to a total published elsewhere (all passport holders,
    all seekers), so a lone hidden cell would follow by subtraction.
    """
    frame = pd.DataFrame({"partition": partition, "hidden": hidden, "value": values})
    lone = frame.groupby("partition", dropna=False)["hidden"].transform("sum").to_numpy() == 1
    candidates = frame[lone & ~frame["hidden"].to_numpy()]
    smallest = candidates.sort_values("value", kind="stable").groupby("partition", dropna=False).head(1).index
    out = np.array(hidden, dtype=bool)
    out[frame.index.get_indexer(smallest)] = True
    return out


def publish(raw: pd.DataFrame, counts: dict[str, str], rates: dict[str, tuple[str, str, str, str]],
            keys: list[str], k_min: int = K_MIN, partition: np.ndarray | None = None,
            hidden: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """The publishable table of *raw*: suppressed counts and rates, people columns dropped.

    *counts* maps each count column to the column counting the people behind it (itself
    when it counts people). *rates* maps a rate name to (numerator, denominator, numerator
    people, denominator people); a rate is shown only when both people counts are. A people
    count is hidden below *k_min*, and — when the rows of *raw* form partitions of a
    published total (*partition* labels them) — by :func:`complementary` suppression;
    *hidden* gives the mask of a people column outright.
    """
    raw = raw.reset_index(drop=True)
    masks = dict(hidden or {})
    people_columns = {*counts.values(), *(c for rate in rates.values() for c in rate[2:])}
    for column in people_columns - masks.keys():
        small = raw[column].to_numpy() < k_min
        masks[column] = small if partition is None else complementary(small, raw[column].to_numpy(), partition)
    out = {key: raw[key].to_numpy() for key in keys}
    for name, (numerator, denominator, numerator_people, denominator_people) in rates.items():
        rate, low, high = wilson_interval(raw[numerator], raw[denominator])
        shown = ~masks[numerator_people] & ~masks[denominator_people]
        out[name] = np.where(shown, rate, np.nan)
        out[f"{name}_low"] = np.where(shown, low, np.nan)
        out[f"{name}_high"] = np.where(shown, high, np.nan)
        out[f"{name}_suppressed"] = ~shown
    for name, people in counts.items():
        out[name] = pd.arrays.IntegerArray(raw[name].to_numpy(dtype=np.int64), masks[people].copy())
        out[f"{name}_suppressed"] = masks[people]
    return pd.DataFrame(out)


def _person_keys(seeker_id: pd.Series) -> pd.Series:
    """Who each row is about; a row whose person was erased (no id) counts as its own person."""
    own = pd.Series(np.char.add("~row-", np.arange(len(seeker_id)).astype(str)), index=seeker_id.index)
    return seeker_id.astype(object).where(seeker_id.notna(), own)


def _tally(frame: pd.DataFrame, key: str, flags: dict[str, pd.Series], index: pd.Index) -> pd.DataFrame:
    """Per value of *key*: for each flag, rows flagged (``name``) and distinct people (``name_people``)."""
    names = list(flags)
    marks = pd.DataFrame({name: flag.to_numpy(dtype=bool) for name, flag in flags.items()})
    marks["key"] = frame[key].to_numpy()
    marks["person"] = _person_keys(frame["seeker_id"]).to_numpy()
    events = marks.groupby("key")[names].sum()
    people = marks.groupby(["key", "person"])[names].any().groupby(level="key").sum()
    return pd.concat([events.reindex(index, fill_value=0), people.reindex(index, fill_value=0).add_suffix("_people")],
                     axis=1).astype(np.int64)


# --------------------------------------------------------------------------- funnel


def funnel(seekers: pd.DataFrame, sessions: pd.DataFrame, passports: pd.DataFrame, connections: pd.DataFrame,
           outcomes: pd.DataFrame, *, by: str | None = None, k_min: int = K_MIN) -> pd.DataFrame:
    """People at each stage of the platform, overall or per value of *by* (a column of *seekers*).

    Inputs: ``seekers`` (seeker_id [, by]), ``sessions`` (seeker_id, finished), ``passports``
    (seeker_id, visible, batch), ``connections`` (seeker_id, status), ``outcomes`` (seeker_id).
    Returns one row per group and stage (in :data:`FUNNEL_STAGES` order): ``group``,
    ``stage``, ``parent``, ``people``, ``events`` (sessions, connections or outcomes behind
    the people) and ``share_of_parent`` (people over the parent's people, Wilson interval).
    """
    stages = [stage for stage, _ in FUNNEL_STAGES]
    parent_of = np.array([stages.index(parent or stage) for stage, parent in FUNNEL_STAGES])
    is_root = np.array([parent is None for _, parent in FUNNEL_STAGES])
    seekers = seekers.drop_duplicates("seeker_id")
    index = pd.Index(seekers["seeker_id"])
    status = connections["status"].to_numpy()

    def per_seeker(ids) -> np.ndarray:
        codes = index.get_indexer(np.asarray(ids))
        return np.bincount(codes[codes >= 0], minlength=len(index))

    events = np.column_stack([per_seeker(ids) for ids in (
        seekers["seeker_id"],
        sessions["seeker_id"],
        sessions["seeker_id"][sessions["finished"].astype(bool).to_numpy()],
        passports["seeker_id"],
        passports["seeker_id"][passports["visible"].astype(bool).to_numpy()],
        passports["seeker_id"][passports["batch"].astype(bool).to_numpy()],
        connections["seeker_id"],
        connections["seeker_id"][status == "accepted"],
        connections["seeker_id"][status == "declined"],
        outcomes["seeker_id"].dropna(),
    )])
    reached = events > 0
    for stage, parent in enumerate(parent_of):  # parents come first, so each is already narrowed
        reached[:, stage] &= reached[:, parent]
    events = np.where(reached, events, 0)

    if by:
        codes, found = pd.factorize(seekers[by].astype(object), use_na_sentinel=False)
        found = [None if pd.isna(label) else label for label in found]
        # Named groups in order, then the seekers without one.
        rank = np.array(sorted(range(len(found)), key=lambda g: (found[g] is None, str(found[g]))), dtype=np.int64)
        codes = np.argsort(rank)[codes]
        labels = np.array([found[g] for g in rank], dtype=object)
    else:  # the overall row exists even before anyone has signed up
        codes, labels = np.zeros(len(index), dtype=np.int64), np.array(["all"], dtype=object)
    people = np.zeros((len(labels), len(stages)), dtype=np.int64)
    totals = np.zeros_like(people)
    np.add.at(people, codes, reached.astype(np.int64))
    np.add.at(totals, codes, events)

    n_groups = len(labels)
    raw = pd.DataFrame({
        "group": np.repeat(labels, len(stages)),
        "stage": np.tile(stages, n_groups),
        "parent": np.tile(np.array([parent for _, parent in FUNNEL_STAGES], dtype=object), n_groups),
        "people": people.ravel(),
        "events": totals.ravel(),
        "parent_people": np.where(is_root, 0, people[:, parent_of]).ravel(),
    })
    hidden = people.ravel() < k_min
    if by:  # groups partition every stage, whose overall count is published too
        hidden = complementary(hidden, people.ravel(), raw["stage"].to_numpy())
    parent_hidden = (hidden.reshape(n_groups, len(stages))[:, parent_of] | is_root).ravel()
    table = publish(raw, counts={"people": "people", "events": "people"},
                    rates={"share_of_parent": ("people", "parent_people", "people", "parent_people")},
                    keys=["group", "stage", "parent"], k_min=k_min,
                    hidden={"people": hidden, "parent_people": parent_hidden})
    table.loc[np.tile(is_root, n_groups), "share_of_parent_suppressed"] = False  # the root has no share to hide
    return table


# --------------------------------------------------------------------------- placements


def placements(connections: pd.DataFrame, outcomes: pd.DataFrame, n_passport_holders: int,
               occupations: pd.DataFrame, *, k_min: int = K_MIN) -> dict[str, pd.DataFrame]:
    """Placement rates overall, by occupation and by sector.

    Inputs: ``connections`` (seeker_id, occupation_id, status), ``outcomes`` (seeker_id,
    occupation_id, lasted: True/False/missing), the number of passport holders, and the
    taxonomy's ``occupations`` (index occupation_id, column sector). Per row: invitations
    and accepted connections (``acceptance_rate`` = accepted / invitations), outcomes
    (``outcomes_per_passport`` = people with an outcome here / all passport holders) and
    ``lasting_rate`` (outcomes that lasted / outcomes whose end is known).
    """
    sector_of = occupations["sector"]
    connections = connections.assign(all="all", sector=connections["occupation_id"].map(sector_of))
    outcomes = outcomes.assign(all="all", sector=outcomes["occupation_id"].map(sector_of))
    levels = {"overall": ("all", pd.Index(["all"])),
              "occupation": ("occupation_id", pd.Index(occupations.index, name=None)),
              "sector": ("sector", pd.Index(sorted(sector_of.unique())))}
    status, lasted = connections["status"], outcomes["lasted"]
    tables = {}
    for level, (key, index) in levels.items():
        raw = pd.concat([
            _tally(connections, key, {"invitations": pd.Series(True, index=connections.index),
                                      "accepted": status == "accepted"}, index),
            _tally(outcomes, key, {"outcomes": pd.Series(True, index=outcomes.index),
                                   "lasted": lasted.eq(True).fillna(False),
                                   "ended_known": lasted.notna()}, index),
        ], axis=1)
        raw["passports"] = raw["passports_people"] = n_passport_holders
        raw.insert(0, "key", index.to_numpy(dtype=object))
        tables[level] = publish(
            raw, keys=["key"], k_min=k_min,
            counts={"invitations": "invitations_people", "accepted": "accepted_people",
                    "outcomes": "outcomes_people"},
            rates={"acceptance_rate": ("accepted", "invitations", "accepted_people", "invitations_people"),
                   "outcomes_per_passport": ("outcomes_people", "passports", "outcomes_people", "passports_people"),
                   "lasting_rate": ("lasted", "ended_known", "lasted_people", "ended_known_people")})
    return tables


# --------------------------------------------------------------------------- fairness


def fairness(holders: pd.DataFrame, connections: pd.DataFrame, attribute: str, *, k_min: int = K_MIN,
             n_boot: int = N_BOOTSTRAP, random_state: int = 0) -> pd.DataFrame:
    """Invitation and acceptance rates of passport holders by group of a monitoring attribute.

    Inputs: ``holders`` (seeker_id, value: the holder's reported value or missing) and
    ``connections`` (seeker_id, status). Per group of :data:`MONITORING_ATTRIBUTES` plus
    :data:`NOT_STATED`: ``passports``, ``invited`` (holders with an invitation), ``accepted``
    (invited holders who accepted one); ``invitation_rate`` = invited / passports and
    ``acceptance_rate`` = accepted / invited, each with ``<rate>_ratio`` (over the best
    published declared group, so in [0, 1] with the best at 1; bootstrap interval from
    :func:`matching.ranking_metrics.selection_rate_ratios`) and ``<rate>_below_four_fifths``
    (the group's exact rate under 0.8 × the best published rate; set for every declared group
    whose denominator reaches *k_min*, even when its rate itself is suppressed, so a group
    that nobody invites is flagged rather than hidden).
    """
    levels = MONITORING_ATTRIBUTES[attribute]
    holders = holders.drop_duplicates("seeker_id")
    invited_ids = connections["seeker_id"]
    accepted_ids = connections["seeker_id"][connections["status"] == "accepted"]
    group = holders["value"].where(holders["value"].isin(levels), NOT_STATED).to_numpy(dtype=object)
    person = pd.DataFrame({"group": group,
                           "passports": True,
                           "invited": holders["seeker_id"].isin(invited_ids).to_numpy(),
                           "accepted": holders["seeker_id"].isin(accepted_ids).to_numpy()})
    order = pd.Index([*levels, NOT_STATED])
    raw = person.groupby("group")[["passports", "invited", "accepted"]].sum().reindex(order, fill_value=0)
    raw.insert(0, "group", order.to_numpy(dtype=object))
    raw = raw.reset_index(drop=True)
    # The groups partition all passport holders, a total the funnel publishes.
    table = publish(raw, keys=["group"], k_min=k_min, partition=np.zeros(len(raw)),
                    counts={"passports": "passports", "invited": "invited", "accepted": "accepted"},
                    rates={"invitation_rate": ("invited", "passports", "invited", "passports"),
                           "acceptance_rate": ("accepted", "invited", "accepted", "invited")})
    declared = (table["group"] != NOT_STATED).to_numpy()
    for rate, numerator, denominator, eligible_rows in (
            ("invitation_rate", "invited", "passports", np.ones(len(person), dtype=bool)),
            ("acceptance_rate", "accepted", "invited", person["invited"].to_numpy())):
        exact = raw[numerator].to_numpy() / np.maximum(raw[denominator].to_numpy(), 1)
        compared = (~table[f"{rate}_suppressed"].to_numpy()) & declared
        best = exact[compared].max() if compared.any() else np.nan
        with np.errstate(invalid="ignore", divide="ignore"):
            to_best = exact / best
        ratio = np.where(compared, to_best, np.nan)
        large_enough = declared & (raw[denominator].to_numpy() >= k_min) & np.isfinite(best) & (best > 0)
        table[f"{rate}_ratio"] = ratio
        table[f"{rate}_ratio_low"], table[f"{rate}_ratio_high"] = _bootstrap_ratio_interval(
            person.loc[eligible_rows], numerator, table["group"].to_numpy()[compared], order, n_boot, random_state)
        table[f"{rate}_below_four_fifths"] = pd.array(
            np.where(large_enough, to_best < ranking_metrics.FOUR_FIFTHS, None), dtype="boolean")
    return table


def _bootstrap_ratio_interval(person: pd.DataFrame, selected: str, compared_groups, order: pd.Index,
                              n_boot: int, random_state: int) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of each compared group's ratio to the best, resampling its people."""
    low = np.full(len(order), np.nan)
    high = np.full(len(order), np.nan)
    rows = person["group"].isin(compared_groups).to_numpy()
    if not rows.any() or n_boot == 0:
        return low, high
    table = ranking_metrics.selection_rate_ratios(
        person[selected].to_numpy()[rows], person.loc[rows, ["group"]].reset_index(drop=True), ["group"],
        intersections=False, n_boot=n_boot, random_state=random_state, min_group_size=1)
    position = order.get_indexer(table["group"])
    low[position] = table["ratio_low"].to_numpy()
    high[position] = table["ratio_high"].to_numpy()
    return low, high


# --------------------------------------------------------------------------- congestion


def congestion(vacancies: pd.DataFrame, connections: pd.DataFrame, *, k_min: int = K_MIN) -> dict:
    """How invitations spread over the open vacancies.

    Inputs: ``vacancies`` (vacancy_id, openings) of open vacancies and ``connections``
    (vacancy_id, seeker_id, status). Returns the number of open vacancies and openings and,
    when at least *k_min* people were invited to them (else None, suppressed): invitations
    per opening (mean and max over vacancies), the share of vacancies with no invitation,
    the Gini coefficient of invitations per opening over vacancies, and — when at least
    *k_min* people accepted — ``coverage``, the share of openings taken by an accepted candidate.
    """
    index = pd.Index(vacancies["vacancy_id"])
    openings = vacancies["openings"].to_numpy(dtype=np.float64)
    connections = connections[connections["vacancy_id"].isin(index)]
    accepted = connections["status"] == "accepted"
    invited = connections.groupby("vacancy_id").size().reindex(index, fill_value=0).to_numpy()
    filled = connections[accepted].groupby("vacancy_id").size().reindex(index, fill_value=0).to_numpy()
    invited_people = connections["seeker_id"].nunique()
    accepted_people = connections.loc[accepted, "seeker_id"].nunique()
    result = {"open_vacancies": len(index), "openings": int(openings.sum()),
              "invitations_per_opening_mean": None, "invitations_per_opening_max": None,
              "share_without_invitation": None, "gini": None, "coverage": None,
              "invitations_suppressed": invited_people < k_min or len(index) == 0,
              "coverage_suppressed": accepted_people < k_min or len(index) == 0}
    if not result["invitations_suppressed"]:
        per_opening = invited / openings
        result.update(invitations_per_opening_mean=float(per_opening.mean()),
                      invitations_per_opening_max=float(per_opening.max()),
                      share_without_invitation=float(np.mean(invited == 0)),
                      gini=ranking_metrics.gini(per_opening))
    if not result["coverage_suppressed"]:
        result["coverage"] = float(np.minimum(filled, openings).sum() / openings.sum())
    return result


# --------------------------------------------------------------------------- batch jobs


def job_summary(jobs: pd.DataFrame, states) -> pd.DataFrame:
    """Batch jobs per status with the median run time (started to finished) in seconds.

    Inputs: ``jobs`` (status, started_at, finished_at). Jobs hold no personal data, so
    nothing is suppressed.
    """
    started = pd.to_datetime(jobs["started_at"], utc=True)
    finished = pd.to_datetime(jobs["finished_at"], utc=True)
    seconds = (finished - started).dt.total_seconds()
    grouped = pd.DataFrame({"status": jobs["status"].to_numpy(), "seconds": seconds.to_numpy()}).groupby("status")
    index = pd.Index(list(states))
    return pd.DataFrame({"status": index, "count": grouped.size().reindex(index, fill_value=0).to_numpy(),
                         "median_run_seconds": grouped["seconds"].median().reindex(index).to_numpy()})
