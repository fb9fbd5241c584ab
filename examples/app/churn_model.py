"""A JSON churn model: read from the downloaded file, and scored (no caching, no container)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def load_model(path: Path) -> dict[str, Any]:
    """The parsed model file (the `S3File`'s transform: it runs once per download)."""
    model: dict[str, Any] = json.loads(path.read_bytes())
    return model


def score(model: dict[str, Any], features: dict[str, float]) -> float:
    """A linear score: the model's bias plus each weight times its feature."""
    weights: dict[str, float] = model["weights"]
    return float(model["bias"]) + sum(w * features.get(name, 0.0) for name, w in weights.items())
