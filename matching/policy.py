"""Programme policy: the knobs a labour-market partner sets for a batch match.

One :class:`MatchingPolicy` object holds them all, loadable from TOML or JSON. Every
field is validated on construction, and errors name the field and the problem, e.g.
``min_group_share.long_term_unemployed: must lie in [0, 1], got 1.4``.

Group names refer to columns of the seekers' *group table* (for example
``long_term_unemployed``): programme target groups, used only to weight the objective
and to set floors, never as features of a scoring model.
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path


class PolicyError(ValueError):
    """A policy file or value is invalid.

    Attributes
    ----------
    field : str
        The policy field at fault (dotted for nested keys).
    problem : str
    """

    def __init__(self, field_name: str, problem: str, *, source: str | None = None):
        self.field, self.problem, self.source = field_name, problem, source
        prefix = f"{source}: " if source else ""
        super().__init__(f"{prefix}{field_name}: {problem}")


class InfeasiblePolicyError(ValueError):
    """A policy constraint cannot be met by any assignment that places anyone.

    Attributes
    ----------
    constraint : str
        The policy field whose constraint cannot be met.
    problem : str
    """

    def __init__(self, constraint: str, problem: str):
        self.constraint, self.problem = constraint, problem
        super().__init__(f"policy constraint {constraint} cannot be met: {problem}")


@dataclass(frozen=True)
class MatchingPolicy:
    """What a programme wants from a batch match.

    Parameters
    ----------
    priority_weights : dict of str → float, default={}
        Objective multiplier for members of a target group (``{"long_term_unemployed": 1.3}``
        counts each of their expected placements 1.3 times). A seeker in several groups
        gets the product.
    min_group_share : dict of str → float, default={}
        Floor on the share of all placements that go to members of a group.
    max_travel_km : float or None, default=None
        Programme-wide travel cap; each seeker's own maximum still applies.
    min_fit : float, default=0.0
        No option (direct or pathway) whose P(success) is below this is proposed.
    allow_pathways : bool, default=True
        Whether seekers may be placed through a training offer.
    training_budget_eur : float or None, default=None
        Total money for training seats across the programme; None means no limit.
    max_training_weeks : float or None, default=None
        Longest training a pathway may include.
    training_completion_rate : float, default=0.85
        Assumed share of people who finish a training; a pathway's P(success) is the
        fit after training times this rate.
    training_week_penalty : float, default=0.004
        Expected placements given up per week of training (time out of work).
    training_cost_penalty_per_1000_eur : float, default=0.01
        Expected placements given up per €1,000 spent, so cheaper pathways win ties.
    pathways_per_seeker : int, default=30
        Pathway options kept per seeker (the best by P(success)).
    time_limit_seconds : float, default=120.0
        Solver time limit when seats, budget or floors need the MIP.
    relative_gap : float, default=1e-4
        The MIP stops once within this relative gap of its bound.
    """

    priority_weights: dict[str, float] = field(default_factory=dict)
    min_group_share: dict[str, float] = field(default_factory=dict)
    max_travel_km: float | None = None
    min_fit: float = 0.0
    allow_pathways: bool = True
    training_budget_eur: float | None = None
    max_training_weeks: float | None = None
    training_completion_rate: float = 0.85
    training_week_penalty: float = 0.004
    training_cost_penalty_per_1000_eur: float = 0.01
    pathways_per_seeker: int = 30
    time_limit_seconds: float = 120.0
    relative_gap: float = 1e-4

    def __post_init__(self):
        for name, mapping in (("priority_weights", self.priority_weights), ("min_group_share", self.min_group_share)):
            if not isinstance(mapping, dict):
                raise PolicyError(name, f"expected a table of group → number, got {type(mapping).__name__}")
            for group, value in mapping.items():
                if not isinstance(group, str) or not group:
                    raise PolicyError(name, f"group names must be non-empty text, got {group!r}")
                _number(f"{name}.{group}", value)
        for group, weight in self.priority_weights.items():
            if not 0 < weight <= 10:
                raise PolicyError(f"priority_weights.{group}", f"must lie in (0, 10], got {weight}")
        for group, share in self.min_group_share.items():
            if not 0 <= share <= 1:
                raise PolicyError(f"min_group_share.{group}", f"must lie in [0, 1], got {share}")
        _optional_positive("max_travel_km", self.max_travel_km)
        _optional_positive("max_training_weeks", self.max_training_weeks)
        if self.training_budget_eur is not None and _number("training_budget_eur", self.training_budget_eur) < 0:
            raise PolicyError("training_budget_eur", f"must not be negative, got {self.training_budget_eur}")
        _in_range("min_fit", self.min_fit, 0.0, 1.0)
        _in_range("training_completion_rate", self.training_completion_rate, 0.0, 1.0)
        _in_range("training_week_penalty", self.training_week_penalty, 0.0, 1.0)
        _in_range("training_cost_penalty_per_1000_eur", self.training_cost_penalty_per_1000_eur, 0.0, 1.0)
        _in_range("relative_gap", self.relative_gap, 0.0, 0.5)
        if not isinstance(self.allow_pathways, bool):
            raise PolicyError("allow_pathways", f"must be true or false, got {self.allow_pathways!r}")
        if not isinstance(self.pathways_per_seeker, int) or isinstance(self.pathways_per_seeker, bool) \
                or self.pathways_per_seeker < 1:
            raise PolicyError("pathways_per_seeker", f"must be a whole number ≥ 1, got {self.pathways_per_seeker!r}")
        if _number("time_limit_seconds", self.time_limit_seconds) <= 0:
            raise PolicyError("time_limit_seconds", f"must be positive, got {self.time_limit_seconds}")

    # ------------------------------------------------------------------ derived values

    @property
    def groups_used(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.priority_weights, *self.min_group_share]))

    def has_side_constraints(self) -> bool:
        """Budget or group floors: constraints a network flow cannot express."""
        return self.training_budget_eur is not None or any(v > 0 for v in self.min_group_share.values())

    def check_groups(self, available) -> None:
        """Every group the policy names must be a column of the group table."""
        available = set(available)
        for name, mapping in (("priority_weights", self.priority_weights), ("min_group_share", self.min_group_share)):
            for group in mapping:
                if group not in available:
                    known = ", ".join(sorted(available)) or "none"
                    raise PolicyError(f"{name}.{group}", f"unknown group; the seekers' group table has: {known}")

    # ------------------------------------------------------------------ loading and saving

    @classmethod
    def from_dict(cls, data: dict, *, source: str | None = None) -> "MatchingPolicy":
        """Build from a plain mapping (as read from TOML or JSON); unknown keys are errors."""
        if not isinstance(data, dict):
            raise PolicyError("policy", f"expected a table of settings, got {type(data).__name__}", source=source)
        known = {f.name for f in fields(cls)}
        for key in data:
            if key not in known:
                raise PolicyError(key, f"unknown setting; known settings: {', '.join(sorted(known))}", source=source)
        try:
            return cls(**data)
        except PolicyError as exc:
            raise PolicyError(exc.field, exc.problem, source=source) from None
        except TypeError as exc:
            raise PolicyError("policy", str(exc), source=source) from None

    @classmethod
    def load(cls, path) -> "MatchingPolicy":
        """Read a policy from a ``.toml`` or ``.json`` file."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError("policy", f"cannot read the file ({exc.strerror})", source=str(path)) from None
        try:
            if path.suffix.lower() == ".toml":
                data = tomllib.loads(text)
            elif path.suffix.lower() == ".json":
                data = json.loads(text)
            else:
                raise PolicyError("policy", "expected a .toml or .json file", source=str(path))
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
            raise PolicyError("policy", f"not valid {path.suffix.lstrip('.').upper()}: {exc}", source=str(path)) from None
        return cls.from_dict(data, source=str(path))

    def to_dict(self) -> dict:
        return asdict(self)


def _number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PolicyError(name, f"must be a finite number, got {value!r}")
    return float(value)


def _in_range(name: str, value, low: float, high: float) -> None:
    if not low <= _number(name, value) <= high:
        raise PolicyError(name, f"must lie in [{low:g}, {high:g}], got {value}")


def _optional_positive(name: str, value) -> None:
    if value is not None and _number(name, value) <= 0:
        raise PolicyError(name, f"must be positive, got {value}")
