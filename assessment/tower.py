"""Tower of London: rebuild the goal picture by moving coloured balls between three pegs.

Three balls sit on three pegs that hold one, two and three balls. Each problem shows a
start and a goal position and says in how few moves it can be done (2 to 6). The player
moves one top ball at a time; a problem ends when the goal is reached or the move limit
(:func:`move_limit`, twice the minimum plus four) runs out. The run is the sixteen problems
of :data:`MIN_MOVES`, from easy to hard in pairs so that odd and even problems make equal
halves: about five and a half minutes.

Measures two things. *Planning* (planning and organising) is working out the whole order
of moves before touching a ball: solving in the minimum number of moves, and taking the
time to think first. *Problem solving* is getting there anyway when the plan breaks:
recovering from a wrong move in few extra moves instead of wandering until the limit.

Scoring. Both scales are means over problems weighted by each problem's minimum number of
moves, so a 6-move problem counts three times a 2-move one, and both stay within 0..1.

*Planning* gives every problem 1 for a solution in the minimum number of moves, plus
:data:`THINK_WEIGHT` times the share of its time spent before the first move (full credit
from :data:`THINK_SHARE_FULL` on), the sum divided by 1 + :data:`THINK_WEIGHT`. The share
is of the problem's own time, so slow and quick movers compare alike, and it is capped, so
waiting longer never scores beyond real planning.

*Problem solving* is read only from the problems whose plan broke (not solved in the
fewest moves): a solved one earns 1 − excess moves ÷ (moves to spare + 1), an unsolved one
0. Perfect solutions are left out on purpose: they show that the plan held, which is the
planning scale's evidence, and counting them here would make this scale a second planning
score (on the simulated data, giving them even a tenth of a problem's weight raises its
correlation with the planning trait from 0.0 to 0.25). A pseudo-problem of weight
:data:`PRIOR_WEIGHT` at the typical credit :data:`PRIOR_CREDIT` keeps the score steady for
players with few broken plans; a player whose plans never broke (about 3 % of simulated
runs, the strongest planners) shows nothing about recovery and keeps that typical value.
For the same reason, turning a broken problem into a perfect one moves it out of this
scale's evidence and can shift the score either way; within the broken problems fewer
extra moves, and solving rather than not, always raise it.

Response model. Each player has a tempo (a nuisance trait) that scales all their times.
Before the first move they think for a time that grows with the problem's size and with
the planning trait; a solution in the minimum number of moves follows with a chance that
falls with size and rises on a logistic curve with the planning trait and with the extra
thought given to that problem (perfect on about 85 % of 2-move and 30 % of 6-move
problems). When the plan breaks, the detour costs one extra move plus a Poisson number
more, whose mean falls with the problem-solving trait and grows with size; each wrong turn
adds a pause to rethink, and a detour longer than the moves to spare ends unsolved at the
limit. Careless players click at once and at random, rarely reaching the goal.

Events are per problem and must agree with each other: a solved problem used at least its
minimum number of moves, no problem more than its limit, the first move has a time if and
only if a move was made, and it comes within the problem's time. The schema refuses
events that break these rules, naming the event and the field.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from assessment.events import EventField, EventSchema
from assessment.instrument import Instrument, Scale, long_format, trial_clock
from assessment.quality import share_by_session

MIN_MOVES = np.array([2, 2, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6])
# Planning credit for thinking first, relative to 1 for a solution in the fewest moves; full
# once this share of the problem's time passed before the first move.
THINK_WEIGHT = 0.5
THINK_SHARE_FULL = 0.5
# Problem solving is read from the problems whose plan broke; this pseudo-problem weight at
# the typical credit keeps a player with few (or no) broken plans near the middle.
PRIOR_WEIGHT, PRIOR_CREDIT = 2.0, 0.56
# Mean size-weighted count of problems not solved in the fewest moves in a full simulated run.
TYPICAL_BROKEN_WEIGHT = 36.0
# A first move sooner than this cannot follow from comparing the start with the goal.
FIRST_LOOK_MS = 1000.0
MAX_PROBLEM_MS = 300_000.0


def move_limit(min_moves):
    """The most moves a problem allows: twice its minimum plus four."""
    return 2 * np.asarray(min_moves) + 4


class TowerSchema(EventSchema):
    """The tower's fields, plus the rules that tie them together within one problem."""

    def validate(self, events):
        frame = super().validate(events)
        minimum = frame["min_moves"].to_numpy(dtype=np.int64)
        used = frame["moves_used"].to_numpy(dtype=np.int64)
        solved = frame["solved"].to_numpy(dtype=bool)
        first = frame["first_move_ms"].to_numpy(dtype=float)
        total = frame["total_ms"].to_numpy(dtype=float)
        self.refuse(frame, solved & (used < minimum), "moves_used",
                "a solved problem needs at least its minimum number of moves")
        self.refuse(frame, used > move_limit(minimum), "moves_used", "more moves than the problem's limit")
        has_first = ~np.isnan(first)
        self.refuse(frame, (used > 0) & ~has_first, "first_move_ms", "moves were made but the first has no time")
        self.refuse(frame, (used == 0) & has_first, "first_move_ms", "a first-move time was sent for a problem without moves")
        with np.errstate(invalid="ignore"):
            self.refuse(frame, has_first & (first > total), "first_move_ms", "the first move comes after the problem ended")
        return frame


class TowerOfLondon(Instrument):
    id = "tower"
    version = "1.0"
    title_en = "Tower puzzle"
    title_nl = "Torenpuzzel"
    n_trials = len(MIN_MOVES)
    min_trials = 6
    schema = TowerSchema("tower", (
        EventField("min_moves", "int", "The fewest moves that solve the problem.", low=2, high=6),
        EventField("moves_used", "int", "Moves the player made before the problem ended.", low=0,
                   high=int(move_limit(6))),
        EventField("solved", "bool", "Whether the goal was reached within the move limit."),
        EventField("first_move_ms", "float", "Ms from showing the problem to the first move; empty without moves.",
                   low=0, high=MAX_PROBLEM_MS, nullable=True),
        EventField("total_ms", "float", "Ms from showing the problem to its end.", low=0, high=MAX_PROBLEM_MS),
    ))
    scales = (
        Scale("tower.planning", "Planning ahead", "Vooruit plannen",
              "Problems solved in the minimum number of moves, with credit for thinking before the first move, "
              "weighted by the problem's size (0–1)."),
        Scale("tower.problem_solving", "Solving problems", "Problemen oplossen",
              "On the problems not solved in the fewest moves: solved within the move limit, less the share of "
              "the moves to spare used up, weighted by the problem's size (0–1)."),
    )

    def simulate(self, theta, rng, *, careless=None):
        n, t = len(theta), self.n_trials
        planning, solving = theta[:, :1], theta[:, 1:2]
        minimum = np.tile(MIN_MOVES, (n, 1))
        limit = move_limit(minimum)
        tempo = np.exp(rng.normal(0.0, 0.25, size=(n, 1)))
        pace_ms = 1300.0 * tempo * np.exp(rng.normal(0.0, 0.15, size=(n, t)))

        # Thinking longer than usual on a problem pays off on that problem, so the time before
        # the first move carries evidence of planning beyond the trait's own share.
        extra_thought = rng.normal(0.0, 0.45, size=(n, t))
        first_ms = tempo * (1000.0 + 1100.0 * minimum * np.exp(0.45 * planning + extra_thought))
        perfect_logit = 2.4 - 0.9 * (minimum - 2) + 1.6 * planning + 0.8 * extra_thought
        perfect = rng.random((n, t)) < 1 / (1 + np.exp(-perfect_logit))
        detour_mean = np.exp(0.5 + 0.15 * (minimum - 2) - solving)
        excess = np.where(perfect, 0, 1 + rng.poisson(detour_mean))
        solved = minimum + excess <= limit
        used = np.minimum(minimum + excess, limit)
        rethink_ms = tempo * 1500.0 * np.exp(rng.normal(0.0, 0.4, size=(n, t))) * np.minimum(excess, 6)
        total_ms = first_ms + (used - 1) * pace_ms + rethink_ms

        if careless is not None and careless.any():
            rows = np.flatnonzero(careless)
            shape = (len(rows), t)
            lucky = rng.random(shape) < 0.15
            used[rows] = np.where(lucky, minimum[rows] + rng.integers(0, 5, size=shape), limit[rows])
            solved[rows] = lucky
            first_ms[rows] = rng.uniform(250.0, 900.0, size=shape)
            total_ms[rows] = first_ms[rows] + (used[rows] - 1) * rng.uniform(250.0, 450.0, size=shape)
        total_ms = np.round(total_ms, 1).clip(max=MAX_PROBLEM_MS)
        first_ms = np.minimum(np.round(first_ms, 1), total_ms)
        durations = total_ms + 2500.0  # the result and the next problem's picture
        return long_format({"t_ms": trial_clock(n, durations), "min_moves": minimum, "moves_used": used,
                            "solved": solved, "first_move_ms": first_ms, "total_ms": total_ms})

    def raw_scores(self, events):
        sessions = pd.Index(pd.unique(events["session_id"]), name="session_id")
        minimum = events["min_moves"].to_numpy(dtype=float)
        used = events["moves_used"].to_numpy(dtype=float)
        solved = events["solved"].to_numpy(dtype=bool)
        first = events["first_move_ms"].to_numpy(dtype=float)
        total = events["total_ms"].to_numpy(dtype=float)
        perfect = solved & (used == minimum)
        with np.errstate(invalid="ignore", divide="ignore"):
            think_share = np.where(used > 0, first / np.maximum(total, 1.0), 0.0)
        think_credit = np.clip(np.nan_to_num(think_share) / THINK_SHARE_FULL, 0.0, 1.0)
        planning_credit = (perfect + THINK_WEIGHT * think_credit) / (1.0 + THINK_WEIGHT)
        spare = move_limit(minimum) - minimum
        solving_credit = solved * (1.0 - np.clip(used - minimum, 0, None) / (spare + 1.0))
        broken = ~perfect
        keys = events["session_id"].to_numpy()
        frame = pd.DataFrame({"weight": minimum, "planning": minimum * planning_credit,
                              "broken_weight": minimum * broken, "solving": minimum * broken * solving_credit})
        sums = frame.groupby(keys).sum().reindex(sessions)
        solving = (sums["solving"] + PRIOR_WEIGHT * PRIOR_CREDIT) / (sums["broken_weight"] + PRIOR_WEIGHT)
        # How much the solving score rests on, against a typical full run: a strong planner
        # who never breaks a plan shows little of how they recover, and scoring must know.
        evidence = (sums["broken_weight"] + PRIOR_WEIGHT) / (TYPICAL_BROKEN_WEIGHT + PRIOR_WEIGHT)
        return pd.DataFrame({"tower.planning": sums["planning"] / sums["weight"], "tower.problem_solving": solving,
                             "tower.problem_solving.evidence": evidence}, index=sessions)

    def specific_flags(self, events, flags):
        sessions = flags.index
        used = events["moves_used"].to_numpy()
        first = events["first_move_ms"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            hasty = (used > 0) & (first < FIRST_LOOK_MS)
        flags["too_fast"] = share_by_session(events, hasty, sessions).to_numpy() > 0.5
        flags["non_responding"] = share_by_session(events, used == 0, sessions).to_numpy() > 0.5
