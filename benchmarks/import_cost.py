"""(e) The import cost of dependency-injector with and without pydantic-settings installed.

dependency-injector's `providers` module imports `pydantic_settings` (and so
pydantic) at import time when it is installed, for `Configuration.from_pydantic`.
Two small venvs under `build/benchmarks/` (kept between runs) differ only in
that package; each run is a fresh process, the two take turns, and the median
is reported. `python -m benchmarks.import_cost` runs this alone.
"""

from __future__ import annotations

import statistics
import subprocess
import time
import venv
from pathlib import Path

from .lean_venv import WORK

STATEMENT = "import dependency_injector.providers"
VENVS = {
    "dependency-injector alone": ["dependency-injector>=4.41"],
    "dependency-injector + pydantic-settings": ["dependency-injector>=4.41", "pydantic-settings"],
}


def _python(label: str, requirements: list[str]) -> Path:
    folder = WORK / ("import-di-with-pydantic-settings" if "pydantic" in label else "import-di")
    python = folder / "bin" / "python"
    if not python.exists():
        venv.create(folder, with_pip=True, clear=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *requirements],
            check=True,
            capture_output=True,
            timeout=900,
        )
    return python


def _ms(python: Path, code: str) -> float:
    began = time.perf_counter()
    subprocess.run([str(python), "-c", code], check=True, timeout=60)
    return (time.perf_counter() - began) * 1e3


def run(runs: int = 15) -> dict[str, float]:
    """Median milliseconds of the import over an empty interpreter start, per venv."""
    pythons = {label: _python(label, requirements) for label, requirements in VENVS.items()}
    samples: dict[str, list[float]] = {label: [] for label in pythons}
    for _ in range(runs + 1):  # the first round only warms the file cache
        for label, python in pythons.items():
            samples[label].append(_ms(python, STATEMENT) - _ms(python, "pass"))
    return {label: statistics.median(values[1:]) for label, values in samples.items()}


def rows(result: dict[str, float]) -> list[tuple[str, str, str, str]]:
    return [
        ("(e) import cost of dependency-injector, ms", label, f"`{STATEMENT}`", f"{ms:.0f}")
        for label, ms in result.items()
    ]


def main() -> int:
    print("| workload | library / variant | measure | result |\n|---|---|---|---|")
    for row in rows(run()):
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
