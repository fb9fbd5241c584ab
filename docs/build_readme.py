"""Assemble README.md from the sections in docs/readme/, in file-name order."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build() -> str:
    parts = sorted((ROOT / "docs" / "readme").glob("*.md"))
    return "\n".join(part.read_text().rstrip() + "\n" for part in parts)


if __name__ == "__main__":
    (ROOT / "README.md").write_text(build())
