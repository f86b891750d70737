"""Invariants of the analysts' aggregates under any small platform population."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from passport.taxonomy import load_taxonomy
from service.api import aggregates as ag

LEVELS = ag.MONITORING_ATTRIBUTES["age_band"]
STATUSES = ("invited", "accepted", "declined", "withdrawn")
OCCUPATIONS = load_taxonomy().occupations

person = st.fixed_dictionaries({
    "partner": st.sampled_from([None, "p1", "p2", "p3"]),
    "sessions": st.lists(st.booleans(), max_size=2),  # finished?
    "passport": st.booleans(),
    "visible": st.booleans(),
    "batch": st.booleans(),
    "connections": st.lists(st.tuples(st.sampled_from(STATUSES), st.integers(0, 3)), max_size=2),
    "outcome": st.sampled_from([None, True, False, "unknown"]),
    "age_band": st.sampled_from([*LEVELS, None]),
})
populations = st.lists(person, max_size=70)
k_mins = st.integers(1, ag.K_MIN)


def frames(population: list[dict]) -> dict[str, pd.DataFrame]:
    """The tables the router reads, for a population of people described one by one."""
    ids = [f"s{i}" for i in range(len(population))]
    occupation = OCCUPATIONS.index[:4]
    rows = list(zip(ids, population))
    holders = [(i, p) for i, p in rows if p["passport"]]
    connections = [(i, status, f"v{v}", occupation[v]) for i, p in holders for status, v in p["connections"]]
    outcomes = [(i, occupation[0], None if p["outcome"] == "unknown" else p["outcome"])
                for i, p in holders if p["outcome"] is not None]
    return {
        "seekers": pd.DataFrame({"seeker_id": ids, "partner": [p["partner"] for p in population]}),
        "sessions": pd.DataFrame([(i, f) for i, p in rows for f in p["sessions"]], columns=["seeker_id", "finished"]),
        "passports": pd.DataFrame([(i, p["visible"], p["batch"]) for i, p in holders],
                                  columns=["seeker_id", "visible", "batch"]),
        "connections": pd.DataFrame(connections, columns=["seeker_id", "status", "vacancy_id", "occupation_id"]),
        "outcomes": pd.DataFrame(outcomes, columns=["seeker_id", "occupation_id", "lasted"]),
        "holders": pd.DataFrame([(i, p["age_band"]) for i, p in holders], columns=["seeker_id", "value"]),
    }


def funnel_of(tables, **kw) -> pd.DataFrame:
    return ag.funnel(tables["seekers"], tables["sessions"], tables["passports"], tables["connections"],
                     tables["outcomes"], **kw)


def with_parent_people(published: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
    """*published*'s rows below the root, with the raw people of the stage and of its parent."""
    people = raw[["group", "stage", "people"]]
    below_root = published[published["parent"].notna()]
    merged = below_root.merge(people, on=["group", "stage"], suffixes=("", "_raw"))
    merged = merged.merge(people.rename(columns={"stage": "parent", "people": "parent_raw"}), on=["group", "parent"])
    assert len(merged) == len(below_root)
    return merged


def lone_hidden_cells(hidden: pd.Series, partition: pd.Series) -> int:
    """Partitions (of at least two cells) in which exactly one cell is hidden."""
    per = pd.DataFrame({"p": partition, "h": hidden}).groupby("p")["h"].agg(["sum", "size"])
    return int(((per["sum"] == 1) & (per["size"] > 1)).sum())


@given(populations, st.sampled_from([None, "partner"]))
def test_no_funnel_stage_counts_more_people_than_its_parent(population, by):
    raw = funnel_of(frames(population), by=by, k_min=0)
    stages = with_parent_people(raw, raw)
    assert (stages["people_raw"] <= stages["parent_raw"]).all()
    assert (raw["events"] >= raw["people"]).all()
    overall = funnel_of(frames(population), k_min=0).set_index("stage")["people"]
    assert overall["seekers"] == len(population)
    assert overall["passports"] == sum(p["passport"] for p in population)


@given(populations, st.sampled_from([None, "partner"]), k_mins)
def test_funnel_suppression_never_reveals_a_count_below_k_min(population, by, k_min):
    tables = frames(population)
    published = funnel_of(tables, by=by, k_min=k_min)
    raw = funnel_of(tables, by=by, k_min=0)
    people, events = published["people"], published["events"]
    assert (people.dropna() >= k_min).all() and (events.dropna() >= k_min).all()
    assert (people.isna() == published["people_suppressed"]).all()
    # A share is published only with both its counts, so neither can be recovered from it.
    shares = with_parent_people(published, raw)
    shares = shares[shares["share_of_parent"].notna()]
    assert (shares["people_raw"] >= k_min).all() and (shares["parent_raw"] >= k_min).all()
    if by:  # the groups add up to the overall funnel, so no hidden cell may stand alone
        assert lone_hidden_cells(published["people_suppressed"], published["stage"]) == 0


@given(populations, k_mins)
def test_fairness_ratios_lie_in_the_unit_interval_with_the_best_group_at_one(population, k_min):
    tables = frames(population)
    table = ag.fairness(tables["holders"], tables["connections"], "age_band", k_min=k_min, n_boot=50)
    raw = ag.fairness(tables["holders"], tables["connections"], "age_band", k_min=0, n_boot=0).set_index("group")
    assert list(table["group"]) == [*LEVELS, ag.NOT_STATED]
    for rate, numerator, denominator in (("invitation_rate", "invited", "passports"),
                                         ("acceptance_rate", "accepted", "invited")):
        ratio = table[f"{rate}_ratio"]
        declared_shown = (~table[f"{rate}_suppressed"]) & (table["group"] != ag.NOT_STATED)
        assert (ratio.notna() == declared_shown).all()
        if declared_shown.any():
            assert ((ratio.dropna() >= 0) & (ratio.dropna() <= 1)).all()
            assert ratio.max() == 1.0
            best = table.loc[ratio.idxmax(), rate]
            assert best == table.loc[declared_shown, rate].max()
        flags = table.loc[ratio.notna(), f"{rate}_below_four_fifths"].astype(bool)
        assert (flags == (ratio.dropna() < 0.8)).all()
        for row in table[table[rate].notna()].itertuples():
            assert raw.loc[row.group, numerator] >= k_min and raw.loc[row.group, denominator] >= k_min
        low, high = table[f"{rate}_low"].dropna(), table[f"{rate}_high"].dropna()
        assert (low <= table[rate].dropna()).all() and (table[rate].dropna() <= high).all()
    for count in ("passports", "invited", "accepted"):
        assert (table[count].dropna() >= k_min).all()
        # The groups add up to all passport holders, so no hidden group may stand alone.
        assert lone_hidden_cells(table[f"{count}_suppressed"], pd.Series(0, index=table.index)) == 0


@given(populations, k_mins)
def test_placement_cells_count_at_least_k_min(population, k_min):
    tables = frames(population)
    n_holders = len(tables["holders"])
    published = ag.placements(tables["connections"], tables["outcomes"], n_holders, OCCUPATIONS, k_min=k_min)
    for level, table in published.items():
        for count in ("invitations", "accepted", "outcomes"):
            assert (table[count].dropna() >= k_min).all(), (level, count)
        for rate in ("acceptance_rate", "outcomes_per_passport", "lasting_rate"):
            values = table[rate].dropna()
            assert ((values >= 0) & (values <= 1)).all()
    overall = published["overall"].iloc[0]
    assert overall["invitations_suppressed"] or overall["invitations"] == len(tables["connections"])
    assert overall["accepted_suppressed"] or overall["accepted"] == (tables["connections"]["status"] == "accepted").sum()


@given(populations, st.randoms(use_true_random=False))
def test_aggregates_do_not_depend_on_the_order_of_rows(population, random):
    tables = frames(population)
    shuffled = {name: frame.sample(frac=1.0, random_state=random.randrange(2 ** 32)) for name, frame in tables.items()}
    for by in (None, "partner"):
        pd.testing.assert_frame_equal(funnel_of(tables, by=by, k_min=3), funnel_of(shuffled, by=by, k_min=3))
    pd.testing.assert_frame_equal(
        ag.fairness(tables["holders"], tables["connections"], "age_band", k_min=3, n_boot=50),
        ag.fairness(shuffled["holders"], shuffled["connections"], "age_band", k_min=3, n_boot=50))


@given(st.integers(1, 2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_holds_the_rate_inside_the_unit_interval(k_n):
    k, n = k_n
    rate, low, high = (v.item() for v in ag.wilson_interval(np.array([k]), np.array([n])))
    assert 0.0 <= low <= rate == k / n <= high <= 1.0
    assert high - low <= 2 * ag.Z_95 * 0.5 / np.sqrt(n) + 1e-12  # never wider than the widest normal interval
