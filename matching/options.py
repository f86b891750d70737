"""The option graph: every way a seeker can be placed, direct or through a training.

One row per option, as parallel arrays: ``training == -1`` marks a direct placement.
``score`` is the scorer's P(successful placement) (after training and times the
completion rate for pathways); ``weight`` is what the programme maximises: the score
times the seeker's priority multiplier, minus the policy's time and cost penalties for
pathways. The solver sees weights; reports show scores.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from matching.candidates import CandidateGraph
from matching.pathways import PathwayOptions
from matching.policy import MatchingPolicy, PolicyError


@dataclass(frozen=True, eq=False)
class OptionGraph:
    """Options and the capacities they compete for.

    Attributes
    ----------
    seeker, vacancy, training : ndarray of shape (n_options,), int32
        ``training`` is −1 for a direct placement.
    score : ndarray of shape (n_options,), float64
        P(successful placement) under the scorer.
    weight : ndarray of shape (n_options,), float64
        Objective coefficient (priority-weighted score minus pathway penalties).
    cost_eur : ndarray of shape (n_options,), float64
        Training cost (0 for direct options).
    distance_km : ndarray of shape (n_options,), float32
    openings : ndarray of shape (n_vacancies,), int64
    seats : ndarray of shape (n_trainings,), int64
    group_member : ndarray of shape (n_seekers, n_groups), bool
        Membership of the groups the policy names (columns in ``group_names`` order).
    """

    seeker: np.ndarray
    vacancy: np.ndarray
    training: np.ndarray
    score: np.ndarray
    weight: np.ndarray
    cost_eur: np.ndarray
    distance_km: np.ndarray
    n_seekers: int
    openings: np.ndarray
    seats: np.ndarray
    group_member: np.ndarray
    group_names: tuple[str, ...] = ()

    def __post_init__(self):
        n = len(self.seeker)
        for name in ("vacancy", "training", "score", "weight", "cost_eur", "distance_km"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"OptionGraph.{name}: expected {n} entries, got {len(getattr(self, name))}")
        if self.group_member.shape != (self.n_seekers, len(self.group_names)):
            raise ValueError(f"OptionGraph.group_member: expected shape ({self.n_seekers}, {len(self.group_names)}), "
                             f"got {self.group_member.shape}")
        if n and (self.seeker.min() < 0 or self.seeker.max() >= self.n_seekers):
            raise ValueError("OptionGraph.seeker: index out of range")
        if n and (self.vacancy.min() < 0 or self.vacancy.max() >= len(self.openings)):
            raise ValueError("OptionGraph.vacancy: index out of range")
        if n and (self.training.min() < -1 or self.training.max() >= len(self.seats)):
            raise ValueError("OptionGraph.training: index out of range")
        if np.any(self.openings < 0) or np.any(self.seats < 0):
            raise ValueError("OptionGraph: openings and seats must not be negative")
        if not np.all(np.isfinite(self.weight)):
            raise ValueError("OptionGraph.weight: must be finite")

    @property
    def n_options(self) -> int:
        return len(self.seeker)

    @property
    def n_vacancies(self) -> int:
        return len(self.openings)

    @property
    def n_trainings(self) -> int:
        return len(self.seats)

    @property
    def is_pathway(self) -> np.ndarray:
        return self.training >= 0

    def take(self, index) -> "OptionGraph":
        """The options at *index* (capacities and groups unchanged)."""
        per_option = {"seeker", "vacancy", "training", "score", "weight", "cost_eur", "distance_km"}
        return OptionGraph(**{f.name: (getattr(self, f.name)[index] if f.name in per_option else getattr(self, f.name))
                              for f in fields(self)})


def priority_multiplier(policy: MatchingPolicy, group_member: np.ndarray, group_names) -> np.ndarray:
    """Per-seeker objective multiplier: the product of the weights of their target groups."""
    multiplier = np.ones(group_member.shape[0])
    for g, name in enumerate(group_names):
        weight = policy.priority_weights.get(name)
        if weight is not None:
            multiplier *= np.where(group_member[:, g], weight, 1.0)
    return multiplier


def group_matrix(policy: MatchingPolicy, groups: pd.DataFrame | None, n_seekers: int) -> tuple[np.ndarray, tuple]:
    """The policy's groups as a bool matrix, in the policy's order; checks the names exist."""
    names = policy.groups_used
    if not names:
        return np.zeros((n_seekers, 0), dtype=bool), ()
    available = [] if groups is None else [c for c in groups.columns if c != "seeker_id"]
    policy.check_groups(available)
    if len(groups) != n_seekers:
        raise ValueError(f"group table has {len(groups)} rows for {n_seekers} seekers")
    columns = []
    for name in names:
        column = groups[name]
        if not pd.api.types.is_bool_dtype(column):
            kind = "min_group_share" if name in policy.min_group_share else "priority_weights"
            raise PolicyError(f"{kind}.{name}", f"group column {name!r} must hold true/false values, not {column.dtype}")
        columns.append(column.to_numpy(dtype=bool))
    matrix = np.column_stack(columns)
    return matrix, names


def build_option_graph(direct: CandidateGraph, pathways: PathwayOptions, *, openings, trainings, policy: MatchingPolicy,
                       groups: pd.DataFrame | None = None) -> OptionGraph:
    """Join direct candidates and pathways, apply the policy's floor, priorities and penalties.

    Options whose P(success) is below ``policy.min_fit``, and pathways whose penalties
    leave no positive weight, are dropped.
    """
    n_seekers = direct.n_seekers
    member, names = group_matrix(policy, groups, n_seekers)
    if not policy.allow_pathways:
        pathways = PathwayOptions.empty()
    seeker = np.concatenate([direct.seeker, pathways.seeker]).astype(np.int32)
    vacancy = np.concatenate([direct.vacancy, pathways.vacancy]).astype(np.int32)
    training = np.concatenate([np.full(direct.n_pairs, -1, dtype=np.int32), pathways.training]).astype(np.int32)
    score = np.concatenate([direct.score, pathways.score]).astype(np.float64)
    distance = np.concatenate([direct.distance_km, pathways.distance_km]).astype(np.float32)
    via = training >= 0
    cost, weeks = np.zeros(len(training)), np.zeros(len(training))
    # Whole cents: budgets are money, and the exact solver counts in cents.
    cost[via] = np.round(np.asarray(trainings.cost_eur, dtype=np.float64)[training[via]], 2)
    weeks[via] = np.asarray(trainings.duration_weeks, dtype=np.float64)[training[via]]
    weight = (score * priority_multiplier(policy, member, names)[seeker]
              - policy.training_week_penalty * weeks
              - policy.training_cost_penalty_per_1000_eur * cost / 1000.0)
    keep = (score >= policy.min_fit) & (weight > 0)
    return OptionGraph(seeker=seeker[keep], vacancy=vacancy[keep], training=training[keep], score=score[keep],
                       weight=weight[keep], cost_eur=cost[keep], distance_km=distance[keep], n_seekers=n_seekers,
                       openings=np.asarray(openings, dtype=np.int64),
                       seats=np.asarray(trainings.seats, dtype=np.int64), group_member=member, group_names=names)
