"""A saved model loads back with identical scores; an incompatible or changed model is refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from matching.features import FEATURE_SCHEMA_VERSION
from matching.model_store import ModelCompatibilityError, card_path, load_model, read_card, save_model


@pytest.fixture()
def saved(tmp_path, trained, taxonomy):
    path = tmp_path / "placement.joblib"
    save_model(trained.model, path, taxonomy, training=trained.training, metrics={"roc_auc": 0.8})
    return path


def _edit_card(path, change):
    card = json.loads(card_path(path).read_text())
    change(card)
    card_path(path).write_text(json.dumps(card))


def test_round_trip_gives_identical_scores_and_a_full_card(saved, trained, history, taxonomy):
    model = load_model(saved, taxonomy)
    X = history.features()
    assert np.array_equal(model.score_pairs(X), trained.model.score_pairs(X))
    card = read_card(saved)
    for field in ("feature_schema_version", "feature_names", "libraries", "training_data", "metrics", "created",
                  "intended_use", "limits", "model_sha256", "hyperparameters"):
        assert card[field], field
    assert card["feature_schema_version"] == FEATURE_SCHEMA_VERSION
    assert card["training_data"]["fingerprint"] == trained.training["fingerprint"]


def test_another_feature_schema_is_refused(saved, taxonomy):
    _edit_card(saved, lambda card: card.update(feature_schema_version="pair-features/1"))
    with pytest.raises(ModelCompatibilityError, match="feature schema 'pair-features/1'"):
        load_model(saved, taxonomy)


def test_other_feature_columns_are_refused(saved, taxonomy):
    _edit_card(saved, lambda card: card["feature_names"].__setitem__(3, "something_else"))
    with pytest.raises(ModelCompatibilityError, match="column 3 is 'something_else'"):
        load_model(saved, taxonomy)


def test_another_scikit_learn_version_is_refused(saved, taxonomy):
    _edit_card(saved, lambda card: card["libraries"].update({"scikit-learn": "0.24.2"}))
    with pytest.raises(ModelCompatibilityError, match="scikit-learn '0.24.2'"):
        load_model(saved, taxonomy)


def test_a_changed_model_file_is_refused(saved, taxonomy):
    saved.write_bytes(saved.read_bytes() + b"\0")
    with pytest.raises(ModelCompatibilityError, match="SHA-256"):
        load_model(saved, taxonomy)


def test_a_model_without_its_card_is_refused(saved, taxonomy):
    card_path(saved).unlink()
    with pytest.raises(ModelCompatibilityError, match="no model card"):
        load_model(saved, taxonomy)


def test_saving_refuses_a_model_of_another_width(tmp_path, taxonomy):
    from matching.learned import AdditivePlacementModel

    rng = np.random.default_rng(0)
    narrow = AdditivePlacementModel(max_iter=5).fit(rng.random((100, 3)), rng.integers(0, 2, 100))
    with pytest.raises(ValueError, match="model: expects 3 features"):
        save_model(narrow, tmp_path / "m.joblib", taxonomy, training={"fingerprint": "x", "n_records": 1,
                                                                         "positive_rate": 0.5})
    assert not list(tmp_path.iterdir())
