"""Programme policies load from TOML and JSON, and every bad value names its field."""

from __future__ import annotations

import json

import pytest

from matching.policy import MatchingPolicy, PolicyError

FULL_TOML = """\
max_travel_km = 25.0
min_fit = 0.2
allow_pathways = true
training_budget_eur = 15000
max_training_weeks = 12
pathways_per_seeker = 10

[priority_weights]
long_term_unemployed = 1.3

[min_group_share]
long_term_unemployed = 0.25
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_toml_file_loads_every_setting(tmp_path):
    policy = MatchingPolicy.load(write(tmp_path, "programme.toml", FULL_TOML))
    assert policy == MatchingPolicy(priority_weights={"long_term_unemployed": 1.3},
                                    min_group_share={"long_term_unemployed": 0.25}, max_travel_km=25.0, min_fit=0.2,
                                    allow_pathways=True, training_budget_eur=15000, max_training_weeks=12,
                                    pathways_per_seeker=10)
    assert policy.groups_used == ("long_term_unemployed",)
    assert policy.has_side_constraints()


def test_a_json_file_loads_the_same_policy_as_toml(tmp_path):
    data = {"max_travel_km": 25.0, "min_fit": 0.2, "allow_pathways": True, "training_budget_eur": 15000,
            "max_training_weeks": 12, "pathways_per_seeker": 10,
            "priority_weights": {"long_term_unemployed": 1.3}, "min_group_share": {"long_term_unemployed": 0.25}}
    from_json = MatchingPolicy.load(write(tmp_path, "programme.json", json.dumps(data)))
    assert from_json == MatchingPolicy.load(write(tmp_path, "programme.toml", FULL_TOML))


def test_an_empty_file_gives_the_defaults(tmp_path):
    assert MatchingPolicy.load(write(tmp_path, "empty.toml", "")) == MatchingPolicy()
    assert MatchingPolicy.load(write(tmp_path, "empty.json", "{}")) == MatchingPolicy()
    assert not MatchingPolicy().has_side_constraints()


@pytest.mark.parametrize("name,text", [
    ("typo.toml", "training_budget = 5000\n"),
    ("typo.json", '{"training_budget": 5000}'),
])
def test_an_unknown_key_names_the_key_and_the_file(tmp_path, name, text):
    path = write(tmp_path, name, text)
    with pytest.raises(PolicyError) as raised:
        MatchingPolicy.load(path)
    assert raised.value.field == "training_budget"
    assert raised.value.source == str(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: training_budget: unknown setting")
    assert "training_budget_eur" in message  # the known settings are listed


@pytest.mark.parametrize("text,field,problem", [
    ("[min_group_share]\nlong_term_unemployed = 1.4\n", "min_group_share.long_term_unemployed",
     "must lie in [0, 1], got 1.4"),
    ("[min_group_share]\nlong_term_unemployed = -0.1\n", "min_group_share.long_term_unemployed",
     "must lie in [0, 1], got -0.1"),
    ("training_budget_eur = -100\n", "training_budget_eur", "must not be negative, got -100"),
    ("[priority_weights]\nlong_term_unemployed = 0\n", "priority_weights.long_term_unemployed",
     "must lie in (0, 10], got 0"),
    ("[priority_weights]\nlong_term_unemployed = 11\n", "priority_weights.long_term_unemployed",
     "must lie in (0, 10], got 11"),
    ('[priority_weights]\nlong_term_unemployed = "high"\n', "priority_weights.long_term_unemployed",
     "must be a finite number, got 'high'"),
    ('min_fit = "good"\n', "min_fit", "must be a finite number, got 'good'"),
    ("min_fit = 1.5\n", "min_fit", "must lie in [0, 1], got 1.5"),
    ('max_travel_km = "far"\n', "max_travel_km", "must be a finite number, got 'far'"),
    ("max_travel_km = 0\n", "max_travel_km", "must be positive, got 0"),
    ("max_training_weeks = -2\n", "max_training_weeks", "must be positive, got -2"),
    ("training_budget_eur = true\n", "training_budget_eur", "must be a finite number, got True"),
    ('allow_pathways = "yes"\n', "allow_pathways", "must be true or false, got 'yes'"),
    ("pathways_per_seeker = 2.5\n", "pathways_per_seeker", "must be a whole number ≥ 1, got 2.5"),
    ("pathways_per_seeker = 0\n", "pathways_per_seeker", "must be a whole number ≥ 1, got 0"),
    ("time_limit_seconds = 0\n", "time_limit_seconds", "must be positive, got 0"),
    ("relative_gap = 0.9\n", "relative_gap", "must lie in [0, 0.5], got 0.9"),
    ("min_group_share = 0.3\n", "min_group_share", "expected a table of group → number, got float"),
])
def test_a_bad_value_names_its_field_and_the_file(tmp_path, text, field, problem):
    path = write(tmp_path, "programme.toml", text)
    with pytest.raises(PolicyError) as raised:
        MatchingPolicy.load(path)
    assert (raised.value.field, raised.value.problem) == (field, problem)
    assert str(raised.value) == f"{path}: {field}: {problem}"


def test_non_finite_numbers_in_json_are_refused(tmp_path):
    # Python's json module accepts NaN and Infinity; a policy must not.
    path = write(tmp_path, "programme.json", '{"min_group_share": {"women": NaN}, "max_travel_km": Infinity}')
    with pytest.raises(PolicyError, match=r"min_group_share\.women: must be a finite number, got nan"):
        MatchingPolicy.load(path)


def test_a_bad_value_in_code_names_the_field_without_a_file():
    with pytest.raises(PolicyError) as raised:
        MatchingPolicy(min_group_share={"long_term_unemployed": 1.4})
    assert raised.value.source is None
    assert str(raised.value) == "min_group_share.long_term_unemployed: must lie in [0, 1], got 1.4"


@pytest.mark.parametrize("name,text,problem", [
    ("broken.toml", "min_fit = \n", "not valid TOML"),
    ("broken.json", '{"min_fit": ', "not valid JSON"),
    ("programme.yaml", "min_fit: 0.2\n", "expected a .toml or .json file"),
    ("list.json", "[1, 2]", "expected a table of settings, got list"),
])
def test_unreadable_files_are_reported_with_their_path(tmp_path, name, text, problem):
    path = write(tmp_path, name, text)
    with pytest.raises(PolicyError) as raised:
        MatchingPolicy.load(path)
    assert raised.value.source == str(path)
    assert raised.value.field == "policy"
    assert problem in raised.value.problem


def test_a_missing_file_is_a_policy_error(tmp_path):
    with pytest.raises(PolicyError, match="cannot read the file") as raised:
        MatchingPolicy.load(tmp_path / "absent.toml")
    assert raised.value.source == str(tmp_path / "absent.toml")


def test_check_groups_names_the_unknown_group_and_the_known_ones():
    policy = MatchingPolicy(priority_weights={"long_term_unemployed": 1.2}, min_group_share={"veterans": 0.1})
    policy.check_groups(["long_term_unemployed", "veterans", "gender"])
    with pytest.raises(PolicyError) as raised:
        policy.check_groups(["long_term_unemployed", "gender"])
    assert raised.value.field == "min_group_share.veterans"
    assert "unknown group" in raised.value.problem
    assert "gender, long_term_unemployed" in raised.value.problem
    with pytest.raises(PolicyError, match=r"priority_weights\.long_term_unemployed: .*has: none"):
        policy.check_groups([])


def test_a_zero_floor_is_not_a_side_constraint():
    assert not MatchingPolicy(min_group_share={"long_term_unemployed": 0.0}).has_side_constraints()
    assert MatchingPolicy(training_budget_eur=0).has_side_constraints()


@pytest.mark.parametrize("policy", [
    MatchingPolicy(),
    MatchingPolicy(priority_weights={"a": 1.5, "b": 0.5}, min_group_share={"b": 0.3}, max_travel_km=30.0,
                   min_fit=0.1, allow_pathways=False, training_budget_eur=2500.5, max_training_weeks=8,
                   training_completion_rate=0.7, training_week_penalty=0.01,
                   training_cost_penalty_per_1000_eur=0.02, pathways_per_seeker=5, time_limit_seconds=10,
                   relative_gap=0.001),
])
def test_to_dict_and_from_dict_round_trip(policy, tmp_path):
    data = policy.to_dict()
    assert MatchingPolicy.from_dict(data) == policy
    # through a JSON file too: what a partner would save and load again
    path = write(tmp_path, "saved.json", json.dumps(data))
    assert MatchingPolicy.load(path) == policy


def test_to_dict_copies_the_group_tables():
    policy = MatchingPolicy(min_group_share={"b": 0.3})
    policy.to_dict()["min_group_share"]["b"] = 0.9
    assert policy.min_group_share == {"b": 0.3}
