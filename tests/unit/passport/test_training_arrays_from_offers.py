"""TrainingArrays.from_offers: stored offers become the arrays matching uses."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from passport.errors import RecordReferenceError
from passport.models import TrainingOffer
from passport.population import TrainingArrays
from passport.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


def catalogue_offers(taxonomy) -> list[TrainingOffer]:
    """The reference catalogue written as TrainingOffer records, straight from its rows."""
    offers = []
    for i, (training_id, row) in enumerate(taxonomy.trainings.iterrows()):
        uplift = {skill_id: float(taxonomy.training_uplift[i, k])
                  for k, skill_id in enumerate(taxonomy.skill_ids) if taxonomy.training_uplift[i, k] > 0}
        offers.append(TrainingOffer(
            training_id=training_id, kind=row["kind"], label=row["label_en"], sector=row["sector"],
            duration_weeks=row["duration_weeks"], cost_eur=row["cost_eur"], seats=row["seats"], uplift=uplift,
            grants_hard_skill=row["grants_hard_skill"] or None,
            prerequisite_hard_skill=row["prerequisite_hard_skill"] or None,
            min_dutch_cefr=row["min_dutch_cefr"], min_eqf=row["min_eqf"]))
    return offers


def test_the_catalogues_own_offers_give_the_catalogue_arrays(taxonomy):
    expected = TrainingArrays.from_taxonomy(taxonomy)
    built = TrainingArrays.from_offers(catalogue_offers(taxonomy), taxonomy)
    for f in fields(TrainingArrays):
        got, want = getattr(built, f.name), getattr(expected, f.name)
        assert got.dtype == want.dtype, f.name
        np.testing.assert_array_equal(got, want, err_msg=f.name)
    assert built.dutch_cefr_uplift.sum() > 0  # the language course keeps its catalogue uplift


def test_an_offer_the_catalogue_does_not_know_has_no_language_uplift(taxonomy):
    offer = TrainingOffer(training_id="partner-heat-pump-intro", kind="short_course", label="Heat pumps in a week",
                          sector="energy_transition", duration_weeks=1, cost_eur=300, seats=12,
                          uplift={"safety_awareness": 0.4}, grants_hard_skill="install_heat_pump",
                          min_dutch_cefr="B1", min_eqf=2)
    arrays = TrainingArrays.from_offers([offer], taxonomy)
    assert arrays.n == 1 and arrays.dutch_cefr_uplift[0] == 0
    assert arrays.uplift[0, taxonomy.skill_index("safety_awareness")] == pytest.approx(0.4)
    assert arrays.uplift[0].sum() == pytest.approx(0.4)
    assert arrays.grants[0].sum() == 1 and arrays.grants[0, taxonomy.hard_skill_index("install_heat_pump")]
    assert not arrays.prerequisite.any()
    assert (arrays.min_dutch_cefr[0], arrays.min_eqf[0], arrays.seats[0]) == (3, 2, 12)


def test_no_offers_give_empty_arrays_of_the_right_width(taxonomy):
    arrays = TrainingArrays.from_offers([], taxonomy)
    assert arrays.n == 0
    assert arrays.uplift.shape == (0, taxonomy.n_soft_skills)
    assert arrays.grants.shape == (0, taxonomy.n_hard_skills)


@pytest.mark.parametrize("change, field", [
    ({"uplift": {"juggling": 0.5}}, "uplift.juggling"),
    ({"grants_hard_skill": "pilot_licence"}, "grants_hard_skill"),
    ({"prerequisite_hard_skill": "pilot_licence"}, "prerequisite_hard_skill"),
    ({"sector": "aviation"}, "sector"),
])
def test_unknown_references_name_the_field(taxonomy, change, field):
    offer = catalogue_offers(taxonomy)[0].model_copy(update=change)
    with pytest.raises(RecordReferenceError) as caught:
        TrainingArrays.from_offers([offer], taxonomy)
    assert caught.value.field == field
