"""Build the norms from a simulated norm group: ``skillpass assessment norms``.

The norm group is drawn from the population model, plays every instrument attentively
and completely, and is scored without norms (raw scores only). Seeded, so the same
command rebuilds byte-identical tables; the manifest records the command.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assessment.instrument import Instrument
from assessment.measurement import MeasurementModel
from assessment.norms import Norms, assemble, build_instrument_norms, save_norms
from assessment.skillsprint import Engine, draw_population_levels, instruments
from passport.taxonomy import Taxonomy

DEFAULT_NORM_GROUP = 20_000
DEFAULT_NORM_SEED = 20261123


def build_norms(taxonomy: Taxonomy, model: MeasurementModel, *, n: int = DEFAULT_NORM_GROUP,
                seed: int = DEFAULT_NORM_SEED, battery: tuple[Instrument, ...] | None = None) -> Norms:
    from assessment.skillsprint import simulate_skillsprint

    battery = battery or instruments()
    rng = np.random.default_rng(seed)
    levels = draw_population_levels(taxonomy, model, n, rng)
    engine = Engine(taxonomy, model, norms=None, battery=battery)  # type: ignore[arg-type]
    events = simulate_skillsprint(levels, rng, engine=engine)
    scales = {}
    for inst in battery:
        scales.update(build_instrument_norms(inst, events[inst.id]))
    return assemble(scales, battery, seed=seed, n=n)


def build_and_save(taxonomy: Taxonomy, model: MeasurementModel, *, n: int = DEFAULT_NORM_GROUP,
                   seed: int = DEFAULT_NORM_SEED, root: Path | None = None) -> Path:
    battery = instruments()
    return save_norms(build_norms(taxonomy, model, n=n, seed=seed, battery=battery), battery, root)
