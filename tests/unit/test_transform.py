"""The transform helper: "json", callables, and failures that hold no value."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambda_cache_di.core.transform import check_transform, transformed
from lambda_cache_di.errors import ConfigurationError, TransformError

MARKER = "hunter2-4c1e"


def _frames_hold_no_marker(error: BaseException) -> None:
    """Assert that no traceback frame of `error` or of its chain has the marker in its locals."""
    seen: BaseException | None = error
    while seen is not None:
        assert MARKER not in str(seen)
        assert all(MARKER not in repr(arg) for arg in seen.args)
        traceback = seen.__traceback__
        while traceback is not None:
            for value in traceback.tb_frame.f_locals.values():
                assert MARKER not in repr(value)
            traceback = traceback.tb_next
        seen = seen.__cause__ or seen.__context__


class TestCheckTransform:
    """Which `transform=` arguments a provider accepts."""

    def test_none_json_and_callables(self) -> None:
        """None stays None, "json" is the JSON parser, a callable is itself."""
        assert check_transform(None, json_allowed=True) is None
        assert check_transform("json", json_allowed=True) is json.loads
        assert check_transform(str.upper, json_allowed=False) is str.upper

    @pytest.mark.parametrize(
        ("transform", "json_allowed", "message"),
        [
            ("yaml", True, "transform must be None, 'json' or a callable, not 'yaml'"),
            (42, True, "transform must be None, 'json' or a callable, not 42"),
            ("json", False, "transform must be None or a callable, not 'json'"),
        ],
    )
    def test_unknown(self, transform: Any, json_allowed: bool, message: str) -> None:
        """Anything else is a ConfigurationError naming the argument."""
        with pytest.raises(ConfigurationError) as caught:
            check_transform(transform, json_allowed=json_allowed)
        assert str(caught.value) == message


class TestTransformed:
    """Applying a transform to one value."""

    def test_json_text_and_bytes(self) -> None:
        """Text and UTF-8 bytes both parse."""
        assert transformed(json.loads, '{"a": 1}', "secret /app/db") == {"a": 1}
        assert transformed(json.loads, b'["x"]', "secret /app/db") == ["x"]

    def test_json_failure_names_position_only(self) -> None:
        """A parse failure names the resource and position; nothing is chained."""
        with pytest.raises(TransformError) as info:
            transformed(json.loads, '{"password": "' + MARKER + '"\n, oops}', "secret /app/db")
        assert str(info.value) == "secret /app/db is not valid JSON: line 2 column 3"
        assert info.value.__cause__ is None
        assert info.value.__context__ is None
        _frames_hold_no_marker(info.value)

    def test_undecodable_bytes(self) -> None:
        """Bytes that are not UTF-8 fail with the byte position only."""
        with pytest.raises(TransformError) as info:
            transformed(json.loads, b'{"k": "\xff-' + MARKER.encode() + b'"}', "secret /app/key")
        assert str(info.value) == "secret /app/key is not valid JSON: byte 7 is not valid utf-8"
        assert info.value.__context__ is None

    def test_json_of_a_list(self) -> None:
        """A StringList value is not JSON text."""
        with pytest.raises(TransformError) as info:
            transformed(json.loads, ["a", MARKER], "parameter /app/list")
        assert str(info.value) == "parameter /app/list is not JSON text"
        _frames_hold_no_marker(info.value)

    def test_callable_failure_names_type_only(self) -> None:
        """A raising callable gives its name and the exception type, never the message."""

        def strict(value: str) -> str:
            raise ValueError(f"bad value {value}")

        with pytest.raises(TransformError) as info:
            transformed(strict, MARKER, "secret /app/db")
        assert str(info.value) == "secret /app/db failed to transform: strict raised ValueError"
        assert info.value.__cause__ is None
        assert info.value.__context__ is None
        _frames_hold_no_marker(info.value)

    def test_system_exit_with_the_value_is_wrapped(self) -> None:
        """A transform raising SystemExit(value) gives a TransformError that holds no value."""

        def bail(value: str) -> str:
            raise SystemExit(value)

        with pytest.raises(TransformError) as info:
            transformed(bail, MARKER, "secret /app/db")
        assert str(info.value) == "secret /app/db failed to transform: bail raised SystemExit"
        assert info.value.__cause__ is None
        assert info.value.__context__ is None
        _frames_hold_no_marker(info.value)

    def test_keyboard_interrupt_is_not_a_transform_failure(self) -> None:
        """Ctrl-C during a transform stops the process as it would anywhere else."""

        def interrupted(value: str) -> str:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            transformed(interrupted, MARKER, "secret /app/db")
