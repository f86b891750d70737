"""Saving and loading a trained placement model, with its model card.

A model is two files side by side: ``<name>.joblib`` (the fitted estimator) and
``<name>.card.json``, the model card. The card records what the model is for and what
it can be trusted with: the feature schema it was trained on, the library versions, a
fingerprint of the training data, its held-out metrics, the date, its intended use and
its limits, and the SHA-256 of the model file.

:func:`load_model` refuses, with a message that says what does not fit, a model whose
card is missing, whose file was changed after the card was written, whose feature schema
differs from the one the code builds now, or that was saved by another scikit-learn
(major.minor) or NumPy (major) version. A model that silently read the wrong columns
would give wrong scores with no error at all.

Loading unpickles the file: load only models you trained yourself or got from someone
you trust. The digest check catches changes after the card was written, not a forged card.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import joblib
import numpy as np
import scipy
import sklearn

from matching.features import FEATURE_SCHEMA_VERSION, feature_names

CARD_SUFFIX = ".card.json"
CARD_FORMAT = "skillpass-model-card/1"

INTENDED_USE = (
    "Rank vacancies for a job seeker and consenting candidates for a vacancy, and weigh "
    "options in batch matching, by the probability that a placement lasts six months. "
    "It supports the people who decide (job seekers, employers, job coaches); it does not "
    "decide for them.")
LIMITS = (
    "Trained on a simulated placement history: its figures show that the method recovers a "
    "known truth, not how it performs on real people. Outcomes exist only for placements "
    "that were made, chosen by past practice on diplomas, certificates and distance; where "
    "past practice never tried a kind of pair, the monotone constraints and the additive form "
    "carry the model. Protected attributes are not features, but features can correlate with "
    "them: check the fairness audit of `skillpass evaluate` before use. Retrain and re-audit "
    "before relying on it for a new region or population.")


class ModelCompatibilityError(ValueError):
    """A stored model cannot be used safely with this code or these libraries."""


def card_path(model_path: Path | str) -> Path:
    model_path = Path(model_path)
    return model_path.with_name(model_path.name.removesuffix(".joblib") + CARD_SUFFIX)


def library_versions() -> dict[str, str]:
    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__, "numpy": np.__version__,
            "scipy": scipy.__version__, "joblib": joblib.__version__}


def training_fingerprint(X, y, sample_weight=None) -> str:
    """SHA-256 over the training matrix, outcomes and weights, as stored bytes."""
    digest = hashlib.sha256()
    for part in (X, y) if sample_weight is None else (X, y, sample_weight):
        array = np.ascontiguousarray(part)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_model(model, path: Path | str, taxonomy, *, training: dict, metrics: dict | None = None) -> dict:
    """Write the model and its card; return the card.

    Both files are written to temporary names and moved into place, the card last, so a
    crash leaves either the old pair or a model without a matching card (which
    :func:`load_model` refuses), never a card that vouches for a half-written model.

    Parameters
    ----------
    training : dict
        What the model was trained on; must hold ``fingerprint`` (see
        :func:`training_fingerprint`), ``n_records`` and ``positive_rate``, and may describe
        the source.
    metrics : dict, optional
        Held-out metrics to record.
    """
    for key in ("fingerprint", "n_records", "positive_rate"):
        if key not in training:
            raise ValueError(f"training: missing {key!r}")
    names = feature_names(taxonomy)
    if getattr(model, "n_features_in_", None) != len(names):
        raise ValueError(f"model: expects {getattr(model, 'n_features_in_', None)} features, "
                         f"the pair-feature schema has {len(names)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staged_model = _staging_name(path)
    joblib.dump(model, staged_model)
    card = {
        "format": CARD_FORMAT,
        "model_type": type(model).__name__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "feature_schema_version": FEATURE_SCHEMA_VERSION,
        "feature_names": list(names),
        "soft_skill_order_version": taxonomy.soft_skill_order_version,
        "libraries": library_versions(),
        "hyperparameters": {k: _jsonable(v) for k, v in model.get_params().items()},
        "training_data": training,
        "metrics": metrics or {},
        "intended_use": INTENDED_USE,
        "limits": LIMITS,
        "model_file": path.name,
        "model_sha256": _sha256_file(staged_model),
    }
    staged_card = _staging_name(card_path(path))
    staged_card.write_text(json.dumps(card, indent=2, default=_jsonable) + "\n")
    os.replace(staged_model, path)
    os.replace(staged_card, card_path(path))
    return card


def _staging_name(path: Path) -> Path:
    handle, name = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    os.close(handle)
    return Path(name)


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (np.ndarray, tuple)):
        return [_jsonable(v) for v in value]
    return value


def read_card(path: Path | str) -> dict:
    path = card_path(path)
    if not path.exists():
        raise ModelCompatibilityError(f"{path}: no model card beside the model; refusing a model of unknown origin")
    try:
        card = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ModelCompatibilityError(f"{path}: the model card is not valid JSON ({error})") from None
    if card.get("format") != CARD_FORMAT:
        raise ModelCompatibilityError(f"{path}: format {card.get('format')!r}, expected {CARD_FORMAT!r}")
    return card


def check_compatible(card: dict, taxonomy, *, where: str = "model") -> None:
    """Raise :class:`ModelCompatibilityError` naming the first thing that does not fit."""
    if card.get("feature_schema_version") != FEATURE_SCHEMA_VERSION:
        raise ModelCompatibilityError(
            f"{where}: trained on feature schema {card.get('feature_schema_version')!r}, this code builds "
            f"{FEATURE_SCHEMA_VERSION!r}; retrain the model (skillpass model train)")
    names = list(feature_names(taxonomy))
    if card.get("feature_names") != names:
        raise ModelCompatibilityError(
            f"{where}: its feature columns differ from the current schema (first difference: "
            f"{_first_difference(card.get('feature_names') or [], names)}); retrain the model")
    stored = card.get("libraries", {})
    now = library_versions()
    for library, parts in (("scikit-learn", 2), ("numpy", 1)):
        if _version_prefix(stored.get(library, ""), parts) != _version_prefix(now[library], parts):
            raise ModelCompatibilityError(
                f"{where}: saved with {library} {stored.get(library)!r}, this environment has {now[library]}; "
                f"a pickled model is only safe within the same {library} "
                f"{'major.minor' if parts == 2 else 'major'} version; retrain the model")


def _version_prefix(version: str, parts: int) -> str:
    return ".".join(str(version).split(".")[:parts])


def _first_difference(stored: list, current: list) -> str:
    for i, (a, b) in enumerate(zip(stored, current)):
        if a != b:
            return f"column {i} is {a!r}, expected {b!r}"
    return f"{len(stored)} columns, expected {len(current)}"


def load_model(path: Path | str, taxonomy):
    """The stored model, after checking its card (see the module docstring)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such model file")
    card = read_card(path)
    check_compatible(card, taxonomy, where=str(path))
    if _sha256_file(path) != card.get("model_sha256"):
        raise ModelCompatibilityError(f"{path}: the file does not match the SHA-256 in its model card; "
                                      "it was changed or replaced after the card was written")
    model = joblib.load(path)
    if getattr(model, "n_features_in_", None) != len(card["feature_names"]):
        raise ModelCompatibilityError(f"{path}: the model expects {getattr(model, 'n_features_in_', None)} features, "
                                      f"its card lists {len(card['feature_names'])}")
    return model
