"""A JSON model read from a file, parsed again only when a new copy has replaced the file."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any


class ModelLoader:
    """Keeps the parsed model while the file is the same one (inode, mtime and size)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._model: Any = None
        self.loads = 0

    def load(self, path: Path) -> Any:
        """The parsed contents of `path`, from memory when the file has not changed."""
        info = path.stat()
        # A new download is renamed into place, so it always brings a new inode.
        stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
        with self._lock:
            if stamp != self._stamp:
                self._model = json.loads(path.read_bytes())
                self._stamp = stamp
                self.loads += 1
            return self._model


def score(model: dict[str, Any], features: dict[str, float]) -> float:
    """A linear score: the model's bias plus each weight times its feature."""
    weights: dict[str, float] = model["weights"]
    return float(model["bias"]) + sum(w * features.get(name, 0.0) for name, w in weights.items())
