"""mypy checks tests/typing/check_types.py in CI, and its assert_type checks can fail."""

from __future__ import annotations

import re
from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[2]

WRONG = """\
from typing_extensions import assert_type

from lambda_cache_di import S3File, SSMParameter

assert_type(SSMParameter("/app/name")(), int)
assert_type(S3File("s3://bucket/key")(), str)
"""


def test_mypy_configuration_covers_the_typing_checks() -> None:
    """`.ci/run`'s bare `mypy` reads pyproject's files, which hold tests/typing."""
    section = (ROOT / "pyproject.toml").read_text().split("[tool.mypy]\n", 1)[1]
    assert re.search(r'^files = \[.*"tests/typing".*\]$', section, re.MULTILINE)
    assert "\nstrict = true\n" in section


def test_checks_pass_and_a_wrong_type_fails(tmp_path: Path) -> None:
    """check_types.py passes under --strict; the same check with a wrong type is an error."""
    wrong = tmp_path / "wrong_types.py"
    wrong.write_text(WRONG)
    stdout, _, status = api.run(
        [
            "--strict",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            str(ROOT / "tests" / "typing" / "check_types.py"),
            str(wrong),
        ]
    )
    errors = [line.split(" error: ", 1)[1] for line in stdout.splitlines() if " error: " in line]
    assert errors == [
        'Expression is of type "str", not "int"  [assert-type]',
        'Expression is of type "Path", not "str"  [assert-type]',
    ]
    assert status == 1
