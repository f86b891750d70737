"""Scenario test (situational judgement): short work scenes, "what would you do?".

Each item is a role-play video scene of about ten seconds from healthcare, technical
installation, industry or retail (subtitled in plain English or Dutch at reading level B1),
followed by four things a worker could do. The player taps the one they would do. Every
option has a keyed effectiveness from 0 (makes things worse) to 3 (what a skilled worker
does), and that effectiveness is the item's score. The 66 items in
``data/assessment/sjt_items.csv`` measure six social skills, eleven items each:
active listening, communication, collaboration, customer orientation, empathy and handling
conflicts.

Scoring. Each skill is its own unidimensional graded response model (:mod:`assessment.irt`);
a scale score is the EAP estimate of the trait on the θ scale (N(0, 1) prior, 61-point grid)
and ``<scale>.se`` its posterior SD. The item parameters come from
``data/assessment/sjt_parameters.csv``, calibrated by marginal maximum likelihood on a
(simulated) field trial (:mod:`assessment.calibration`) — never the generating parameters.
An item answered twice in one session counts once, with its first answer.

Adaptive administration. The test is a computerised adaptive test (:meth:`ScenarioTest.next_item`
for a live session, the same rule vectorised in :meth:`ScenarioTest.simulate`). At each step
the scale with the largest current posterior SD among the scales still running is chosen
(at the start every SD is the prior's, and ties go to the first scale, so the opening is a
round of one item per skill), and within it the unused item with the most Fisher
information at the current EAP. A scale stops when it has at least
:attr:`StoppingRule.min_per_scale` items and its SD is at most :attr:`StoppingRule.target_se`,
or when it reaches :attr:`StoppingRule.max_per_scale` items, or when its items run out. The
test ends when all six scales have stopped. ``simulate(..., adaptive=False)`` gives everyone
the full bank instead, in a fixed order with the skills interleaved.

Measured on 5,000 simulees (θ ~ N(0, 1), seeds 7 and 24, parameters as shipped): the adaptive
test uses 39.0 of the 66 items (59.1 %; 6.4–6.7 per scale) and reaches a mean posterior SD of
0.312 against 0.279 for the full bank — about 12 % wider, which is as close as this bank allows
within 60 % of its items (a stricter target or a higher maximum crosses 60 %). No adaptive rule
can be as precise as the full bank on average: its answers are a subset of the full bank's, and
by the law of total variance more data never raises the expected posterior variance. Marginal
reliability per scale 0.888–0.903 adaptive, 0.907–0.918 full; correlation of the EAP with θ
0.936–0.942 adaptive, 0.946–0.950 full. An adaptive run takes a median 15 minutes (90th
percentile 18), the full bank 26: a scene plays for about ten seconds and reading four options
takes most of the rest. :meth:`ScenarioTest.raw_scores` scores 5,000 adaptive sessions
(195,000 answers) in about 0.06 s on one core; :meth:`Instrument.score` with validation,
completion and flags in about 0.25 s.

Response model. A player's category on an item follows the graded response model with the
item's generating parameters (``sim_a``, ``sim_b1..sim_b3`` in the item bank) at the
player's trait for the item's skill; the tapped option is the one keyed to that category.
Attention lapses, more frequent as the test wears on, replace the answer by a random option.
Response times (from the moment the options appear to the tap) are reading time — the
options' words at a per-person log-normal speed around 280 ms a word, falling over the run
as the format becomes familiar — plus an ex-Gaussian decision time and rare long pauses.
Careless players tap within about 1.5 s, half of them always at the same position and half
at random.

Quality flags, with rates measured on 10,000 simulated attentive and 10,000 careless
adaptive sessions (seed 2024):

* ``too_fast``: more than :data:`TOO_FAST_SHARE` of the answers came before the item's
  reading floor, :data:`FLOOR_BASE_MS` plus :data:`FLOOR_MS_PER_WORD` per word of its four
  options in the shorter language (2.9–4.7 s; 600 words a minute is beyond reading for
  understanding, and attentive players' fastest 0.1 % of answers take 6 s). Attentive
  0.00 %, careless 100 %.
* ``patterned``: the longest run of taps on one option position is more than
  :data:`PATTERNED_RUN_SHARE` of the answers, judged from :attr:`ScenarioTest.min_trials`
  answers on. The best option's position is balanced within each skill, so attentive
  players make short runs (99.9th percentile 0.20 of their answers). Attentive 0.00 %;
  careless 49.5 % — all who tap one position, none who tap at random (``too_fast`` catches
  those).
"""

from __future__ import annotations

import hashlib

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from assessment import irt
from assessment.errors import AssessmentInputError
from assessment.events import EventField, EventSchema
from assessment.instrument import Instrument, Scale, long_format, trial_clock
from assessment.quality import ANTICIPATION_MS, longest_run_share, share_by_session
from passport.resources import data_dir

ITEMS_FILE = "assessment/sjt_items.csv"
PARAMETERS_FILE = "assessment/sjt_parameters.csv"
SKILLS = ("active_listening", "communication", "collaboration", "customer_orientation", "empathy",
          "conflict_handling")
SCALE_IDS = tuple(f"sjt.{skill}" for skill in SKILLS)
N_OPTIONS = 4
N_CATEGORIES = 4
MAX_RT_MS = 600_000.0

# The reading floor: 100 ms a word is 600 words a minute, beyond reading for understanding.
FLOOR_MS_PER_WORD = 100.0
FLOOR_BASE_MS = ANTICIPATION_MS
TOO_FAST_SHARE = 0.25
PATTERNED_RUN_SHARE = 0.4

# Simulated play: seconds a scene plays, and the pause between items.
SCENE_BASE_MS = 4_000.0
SCENE_MS_PER_WORD = 330.0
TRANSITION_MS = 800.0


@dataclass(frozen=True)
class StoppingRule:
    """When a scale of the adaptive test has measured enough.

    A scale stops at ``min_per_scale`` items or more once its posterior SD is at most
    ``target_se``, and at ``max_per_scale`` items whatever its SD. The defaults were chosen on
    5,000 simulees so that the adaptive test comes as close to the full bank's precision as
    it can within 60 % of the bank's items (see the module docstring).
    """

    target_se: float = 0.30
    max_per_scale: int = 7
    min_per_scale: int = 2


@dataclass(frozen=True, eq=False)
class ItemBank:
    """The scenario items as arrays in bank order."""

    frame: pd.DataFrame
    ids: tuple[str, ...]
    scale: np.ndarray           # (J,) index into SKILLS
    effect: np.ndarray          # (J, 4) keyed effectiveness of the option at each position
    option_of: np.ndarray       # (J, 4) position of the option keyed to each category
    sim_a: np.ndarray
    sim_thresholds: np.ndarray  # (J, 3)
    floor_ms: np.ndarray        # (J,) reading floor of the options
    option_words: np.ndarray    # (J,) words of the four options (English)
    scene_words: np.ndarray     # (J,)

    def items_of(self, scale: int) -> np.ndarray:
        return np.flatnonzero(self.scale == scale)


def _words(column: pd.Series) -> np.ndarray:
    return column.str.split().str.len().to_numpy(dtype=float)


def load_item_bank(root=None) -> ItemBank:
    """The item bank, checked: known skills, unique ids, keys a permutation of 0..3, ordered
    generating thresholds."""
    path = (root or data_dir()) / ITEMS_FILE
    frame = pd.read_csv(path, dtype={"item_id": str, "skill": str}, keep_default_na=False)
    option_en = [f"option{k}_en" for k in range(N_OPTIONS)]
    option_nl = [f"option{k}_nl" for k in range(N_OPTIONS)]
    effect_columns = [f"effect{k}" for k in range(N_OPTIONS)]
    needed = ["item_id", "skill", "sector", "scene_en", *option_en, "scene_nl", *option_nl, *effect_columns,
              "sim_a", "sim_b1", "sim_b2", "sim_b3"]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise AssessmentInputError("sjt", f"{path}: missing column(s) {', '.join(missing)}", field=missing[0])
    if frame["item_id"].duplicated().any():
        raise AssessmentInputError("sjt", f"{path}: duplicate item id {frame['item_id'][frame['item_id'].duplicated()].iloc[0]!r}",
                                   field="item_id")
    unknown = ~frame["skill"].isin(SKILLS)
    if unknown.any():
        raise AssessmentInputError("sjt", f"{path}: item {frame['item_id'][unknown].iloc[0]!r} has an unknown skill",
                                   field="skill")
    effect = frame[effect_columns].to_numpy(dtype=np.int64)
    not_a_key = ~(np.sort(effect, axis=1) == np.arange(N_OPTIONS)).all(axis=1)
    if not_a_key.any():
        raise AssessmentInputError("sjt", f"{path}: item {frame['item_id'][not_a_key].iloc[0]!r} must key its four "
                                   "options 0, 1, 2 and 3 once each", field="effect0")
    thresholds = frame[["sim_b1", "sim_b2", "sim_b3"]].to_numpy(dtype=float)
    if (np.diff(thresholds, axis=1) <= 0).any() or (frame["sim_a"].to_numpy(dtype=float) <= 0).any():
        raise AssessmentInputError("sjt", f"{path}: sim_a must be positive and sim_b1 < sim_b2 < sim_b3", field="sim_a")
    words_en = sum(_words(frame[c]) for c in option_en)
    words_nl = sum(_words(frame[c]) for c in option_nl)
    return ItemBank(
        frame=frame, ids=tuple(frame["item_id"]),
        scale=frame["skill"].map({s: j for j, s in enumerate(SKILLS)}).to_numpy(dtype=np.int64),
        effect=effect, option_of=np.argsort(effect, axis=1),
        sim_a=frame["sim_a"].to_numpy(dtype=float), sim_thresholds=thresholds,
        floor_ms=FLOOR_BASE_MS + FLOOR_MS_PER_WORD * np.minimum(words_en, words_nl),
        option_words=words_en, scene_words=_words(frame["scene_en"]))


BANK = load_item_bank()
# Bank indices of each scale's items, one row per scale, padded with -1.
_ITEMS_BY_SCALE = np.full((len(SKILLS), np.bincount(BANK.scale).max()), -1, dtype=np.int64)
for _s in range(len(SKILLS)):
    _ITEMS_BY_SCALE[_s, :len(BANK.items_of(_s))] = BANK.items_of(_s)


@dataclass(frozen=True, eq=False)
class Parameters:
    """Calibrated GRM parameters in bank order, and their log-probability table on the grid."""

    a: np.ndarray
    thresholds: np.ndarray      # (J, 3)
    table: np.ndarray           # (J·4, grid) log P(category | θ_q)


def load_parameters(root=None, bank: ItemBank = BANK) -> Parameters:
    """The calibrated item parameters (``# `` lines at the top are provenance comments)."""
    path = (root or data_dir()) / PARAMETERS_FILE
    if not path.exists():
        raise AssessmentInputError("sjt", f"{path} not found; run `skillpass assessment calibrate`")
    frame = pd.read_csv(path, comment="#", dtype={"item_id": str})
    missing = [c for c in ("item_id", "a", "b1", "b2", "b3") if c not in frame.columns]
    if missing:
        raise AssessmentInputError("sjt", f"{path}: missing column(s) {', '.join(missing)}", field=missing[0])
    frame = frame.set_index("item_id")
    absent = [i for i in bank.ids if i not in frame.index]
    if absent:
        raise AssessmentInputError("sjt", f"{path}: no parameters for item {absent[0]!r}", field="item_id")
    frame = frame.loc[list(bank.ids)]
    a = frame["a"].to_numpy(dtype=float)
    thresholds = frame[["b1", "b2", "b3"]].to_numpy(dtype=float)
    bad = (a <= 0) | (np.diff(thresholds, axis=1) <= 0).any(axis=1) | ~np.isfinite(thresholds).all(axis=1)
    if bad.any():
        raise AssessmentInputError("sjt", f"{path}: item {bank.ids[int(np.flatnonzero(bad)[0])]!r} needs a > 0 and "
                                   "b1 < b2 < b3", field="a")
    return Parameters(a, thresholds, irt.log_probability_table(a, thresholds))


@cache
def _default_parameters() -> Parameters:
    # Loaded on first use, not at import, so calibration can run before the file exists.
    return load_parameters()


class ScenarioTest(Instrument):
    id = "sjt"
    scoring_version = "1.0"
    title_en = "What would you do?"
    title_nl = "Wat zou jij doen?"
    schema = EventSchema("sjt", (
        EventField("item_id", "category", "The scenario shown (an item id of the bank).", choices=BANK.ids),
        EventField("option", "int", "Position (0-3) of the option the player tapped, as shown on screen.",
                   low=0, high=N_OPTIONS - 1),
        EventField("rt_ms", "float", "Milliseconds from the options appearing to the tap.", low=0, high=MAX_RT_MS),
    ))
    scales = tuple(Scale(f"sjt.{skill}", label_en, label_nl, meaning, reliability="irt")
                   for skill, label_en, label_nl, meaning in (
        ("active_listening", "Listening well (scenes)", "Goed luisteren (scènes)",
         "EAP of the graded response model over the listening scenes: letting people finish, checking what was meant."),
        ("communication", "Clear communication (scenes)", "Duidelijk communiceren (scènes)",
         "EAP over the communication scenes: saying what matters, simply and in time."),
        ("collaboration", "Working together (scenes)", "Samenwerken (scènes)",
         "EAP over the teamwork scenes: agreeing on a way, sharing work fairly, keeping others informed."),
        ("customer_orientation", "Helping customers (scenes)", "Klantgericht werken (scènes)",
         "EAP over the customer scenes: finding out what the customer needs and following it through."),
        ("empathy", "Empathy (scenes)", "Inleven in anderen (scènes)",
         "EAP over the empathy scenes: noticing how someone feels and responding with care."),
        ("conflict_handling", "Handling conflicts (scenes)", "Omgaan met conflicten (scènes)",
         "EAP over the conflict scenes: staying calm, hearing both sides, looking for a fair way out."),
    ))
    rule = StoppingRule()
    n_trials = len(SKILLS) * rule.max_per_scale      # the longest adaptive run
    min_trials = len(SKILLS) * rule.min_per_scale

    def __init__(self, parameters: Parameters | None = None, rule: StoppingRule | None = None):
        self._parameters = parameters
        if rule is not None:
            self.rule = rule
            self.n_trials = len(SKILLS) * rule.max_per_scale
            self.min_trials = len(SKILLS) * rule.min_per_scale

    @property
    def parameters(self) -> Parameters:
        return self._parameters if self._parameters is not None else _default_parameters()

    @property
    def version(self) -> str:  # type: ignore[override]
        """Scoring version plus a fingerprint of the item parameters and stopping rule, so
        that norms built before a recalibration are refused rather than silently reused."""
        params = self.parameters
        digest = hashlib.sha256(np.round(params.a, 4).tobytes() + np.round(params.thresholds, 4).tobytes()
                                + repr(self.rule).encode()).hexdigest()[:8]
        return f"{self.scoring_version}+{digest}"

    # ------------------------------------------------------------------ the adaptive rule

    def _stopped(self, se: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """(sessions, scales): the scale's stopping rule is met or its items ran out."""
        rule = self.rule
        bank_size = np.bincount(BANK.scale, minlength=len(SKILLS))
        precise = (counts >= rule.min_per_scale) & (se <= rule.target_se)
        return precise | (counts >= rule.max_per_scale) | (counts >= bank_size)

    def _next_items(self, eap: np.ndarray, se: np.ndarray, counts: np.ndarray,
                    administered: np.ndarray) -> np.ndarray:
        """Next item per session (bank index), or -1 where every scale has stopped."""
        running = ~self._stopped(se, counts)
        # Largest SD first: the scale that knows least gets the next scene.
        scale = np.argmax(np.where(running, se, -np.inf), axis=1)
        params = self.parameters
        rows = np.arange(len(scale))
        candidates = _ITEMS_BY_SCALE[scale]                              # (sessions, items of a scale)
        usable = candidates >= 0
        candidates = np.maximum(candidates, 0)
        current = np.broadcast_to(eap[rows, scale][:, None], candidates.shape)
        information = irt.item_information(current, params.a[candidates], params.thresholds[candidates])
        eligible = usable & ~administered[rows[:, None], candidates]
        item = candidates[rows, np.argmax(np.where(eligible, information, -np.inf), axis=1)]
        return np.where(running.any(axis=1), item, -1)

    def next_item(self, events: pd.DataFrame | list[dict]) -> str | None:
        """The item a live session should show next, or None when the test has stopped.

        *events* are the session's answers so far (any order, repeats allowed; empty at the
        start). Uses the same rule as the simulated adaptive test.
        """
        events = self.schema.validate(events)
        if pd.unique(events["session_id"]).size > 1:
            raise AssessmentInputError("sjt", "next_item takes the events of one session", field="session_id")
        if len(events):
            events, _ = self.prepare(events)
        _, eap, se, counts, administered = self._posterior(events)
        if not len(eap):
            prior_sd = irt.posterior_moments(np.zeros((1, irt.GRID_POINTS)))[1][0]
            eap, se = np.zeros((1, len(SKILLS))), np.full((1, len(SKILLS)), prior_sd)
            counts, administered = np.zeros((1, len(SKILLS)), dtype=np.int64), np.zeros((1, len(BANK.ids)), dtype=bool)
        item = int(self._next_items(eap, se, counts, administered)[0])
        return None if item < 0 else BANK.ids[item]

    # ------------------------------------------------------------------ simulation

    def simulate(self, theta, rng, *, careless=None, adaptive: bool = True):
        """Event logs of many sessions: the adaptive test by default, the full bank with
        ``adaptive=False`` (for comparing the two)."""
        theta = np.asarray(theta, dtype=float)
        n, n_items = len(theta), len(BANK.ids)
        careless = np.zeros(n, dtype=bool) if careless is None else np.asarray(careless, dtype=bool)
        steps = self.n_trials if adaptive else n_items
        item = np.full((n, steps), -1, dtype=np.int64)
        option = np.zeros((n, steps), dtype=np.int64)
        # Careless players: half tap one fixed position, half tap at random.
        fixed_position = np.where(rng.random(n) < 0.5, rng.integers(0, N_OPTIONS, n), -1)
        lapse_base = rng.uniform(0.01, 0.04, n)
        params = self.parameters
        table = params.table
        grid_loglik = np.zeros((n, len(SKILLS), irt.GRID_POINTS))
        prior_sd = irt.posterior_moments(np.zeros((1, irt.GRID_POINTS)))[1][0]
        eap, se = np.zeros((n, len(SKILLS))), np.full((n, len(SKILLS)), prior_sd)
        counts = np.zeros((n, len(SKILLS)), dtype=np.int64)
        administered = np.zeros((n, n_items), dtype=bool)
        # The full bank interleaves the skills: the first item of each skill, then the second, …
        full_order = np.lexsort((BANK.scale, _rank_within_scale()))
        for step in range(steps):
            chosen = (self._next_items(eap, se, counts, administered) if adaptive
                      else np.full(n, full_order[step]))
            rows = np.flatnonzero(chosen >= 0)
            if not len(rows):
                break
            it = chosen[rows]
            scale = BANK.scale[it]
            # GRM with the generating parameters: X >= k exactly when u < P*_k.
            star = 1.0 / (1.0 + np.exp(-BANK.sim_a[it, None] * (theta[rows, scale][:, None] - BANK.sim_thresholds[it])))
            category = (rng.random(len(rows))[:, None] < star).sum(axis=1)
            tapped = BANK.option_of[it, category]
            lapse = rng.random(len(rows)) < lapse_base[rows] * (1 + 2 * step / steps)
            tapped = np.where(lapse, rng.integers(0, N_OPTIONS, len(rows)), tapped)
            sloppy = careless[rows]
            tapped = np.where(sloppy, np.where(fixed_position[rows] >= 0, fixed_position[rows],
                                               rng.integers(0, N_OPTIONS, len(rows))), tapped)
            item[rows, step], option[rows, step] = it, tapped
            administered[rows, it] = True
            counts[rows, scale] += 1
            if adaptive:
                # The engine sees the keyed category of what was tapped, scored with the
                # calibrated parameters.
                scored = BANK.effect[it, tapped]
                grid_loglik[rows, scale] += table[it * N_CATEGORIES + scored]
                eap[rows, scale], se[rows, scale] = irt.posterior_moments(grid_loglik[rows, scale])
        played = item >= 0
        last = int(played.any(axis=0).sum())
        item, option, played = item[:, :last], option[:, :last], played[:, :last]
        rt = self._response_times(item, played, careless, rng)
        scene = SCENE_BASE_MS + SCENE_MS_PER_WORD * BANK.scene_words[np.maximum(item, 0)]
        durations = np.where(played, scene + rt + TRANSITION_MS, 0.0)
        events = long_format({
            "t_ms": trial_clock(n, durations) + scene, "item_id": np.asarray(BANK.ids, dtype=object)[np.maximum(item, 0)],
            "option": option, "rt_ms": np.round(rt, 1)})
        return events.loc[played.reshape(-1)].reset_index(drop=True)

    @staticmethod
    def _response_times(item: np.ndarray, played: np.ndarray, careless: np.ndarray,
                        rng: np.random.Generator) -> np.ndarray:
        n, steps = item.shape
        progress = np.arange(steps)[None, :] / max(steps, 1)
        ms_per_word = np.exp(rng.normal(np.log(280.0), 0.25, size=(n, 1)))
        # Readers speed up as the format becomes familiar.
        reading = BANK.option_words[np.maximum(item, 0)] * ms_per_word * (1 - 0.2 * progress)
        decision = rng.normal(1800.0, 400.0, size=(n, steps)) + rng.exponential(2500.0, size=(n, steps))
        pause = np.where(rng.random((n, steps)) < 0.03, rng.exponential(15_000.0, size=(n, steps)), 0.0)
        rt = (reading + decision + pause).clip(ANTICIPATION_MS, MAX_RT_MS)
        hasty = np.exp(rng.normal(np.log(1500.0), 0.35, size=(n, steps))).clip(ANTICIPATION_MS)
        return np.where(played, np.where(careless[:, None], hasty, rt), 0.0)

    # ------------------------------------------------------------------ scoring

    def _answers(self, events: pd.DataFrame) -> tuple[pd.Index, np.ndarray, np.ndarray, np.ndarray]:
        """Sessions, and per answer its session code, bank index and keyed category.

        An item answered twice in one session counts once, with the first answer.
        """
        codes, sessions = pd.factorize(events["session_id"])
        sessions = pd.Index(sessions, name="session_id")
        item = pd.Categorical(events["item_id"], categories=BANK.ids).codes.astype(np.int64)
        option = events["option"].to_numpy(dtype=np.int64)
        _, first = np.unique(codes * len(BANK.ids) + item, return_index=True)
        codes, item, option = codes[first], item[first], option[first]
        return sessions, codes, item, BANK.effect[item, option]

    def _posterior(self, events: pd.DataFrame):
        """Sessions, EAP, posterior SD and items answered per scale, and the items used."""
        sessions, codes, item, category = self._answers(events)
        n = len(sessions)
        indicators = np.zeros((n, len(BANK.ids) * N_CATEGORIES))
        indicators[codes, item * N_CATEGORIES + category] = 1.0
        administered = np.zeros((n, len(BANK.ids)), dtype=bool)
        administered[codes, item] = True
        table = self.parameters.table
        eap, se = np.zeros((n, len(SKILLS))), np.zeros((n, len(SKILLS)))
        for s in range(len(SKILLS)):
            columns = (BANK.items_of(s)[:, None] * N_CATEGORIES + np.arange(N_CATEGORIES)).reshape(-1)
            eap[:, s], se[:, s] = irt.posterior_moments(indicators[:, columns] @ table[columns])
        counts = np.stack([administered[:, BANK.scale == s].sum(axis=1) for s in range(len(SKILLS))], axis=1)
        return sessions, eap, se, counts, administered

    def raw_scores(self, events):
        sessions, eap, se, _, _ = self._posterior(events)
        columns = {}
        for s, scale_id in enumerate(SCALE_IDS):
            columns[scale_id] = eap[:, s]
            columns[scale_id + ".se"] = se[:, s]
        return pd.DataFrame(columns, index=sessions)

    def completion(self, events, sessions):
        """Share of the six scales whose stopping rule is met (or whose items ran out)."""
        found, _, se, counts, _ = self._posterior(events)
        share = pd.Series(self._stopped(se, counts).mean(axis=1), index=found)
        return share.reindex(sessions).fillna(0.0)

    def specific_flags(self, events, flags):
        sessions = flags.index
        item = pd.Categorical(events["item_id"], categories=BANK.ids).codes
        rt = events["rt_ms"].to_numpy(dtype=float)
        fast = rt < BANK.floor_ms[item]
        flags["too_fast"] = share_by_session(events, fast, sessions).to_numpy() > TOO_FAST_SHARE
        answered = events.groupby("session_id").size().reindex(sessions).fillna(0).to_numpy()
        runs = longest_run_share(events, "option", sessions).to_numpy()
        flags["patterned"] = (answered >= self.min_trials) & (runs > PATTERNED_RUN_SHARE)

    # ------------------------------------------------------------------ for analysts

    def item_scale(self) -> dict[str, str]:
        """Item id → scale id."""
        return {item: SCALE_IDS[s] for item, s in zip(BANK.ids, BANK.scale)}

    def item_scores(self, events: pd.DataFrame) -> pd.DataFrame:
        """Sessions × items of keyed categories 0..3, NaN where an item was not shown."""
        sessions, codes, item, category = self._answers(events)
        matrix = np.full((len(sessions), len(BANK.ids)), np.nan)
        matrix[codes, item] = category
        return pd.DataFrame(matrix, index=sessions, columns=pd.Index(BANK.ids, name="item_id"))

    def items_per_scale(self, events: pd.DataFrame) -> pd.DataFrame:
        """Sessions × scales: how many items of each scale were answered."""
        sessions, _, _, counts, _ = self._posterior(events)
        return pd.DataFrame(counts, index=sessions, columns=list(SCALE_IDS))


def _rank_within_scale() -> np.ndarray:
    """Each item's position among its own skill's items in the bank."""
    rank = np.zeros(len(BANK.ids), dtype=np.int64)
    for s in range(len(SKILLS)):
        rank[BANK.items_of(s)] = np.arange(len(BANK.items_of(s)))
    return rank
