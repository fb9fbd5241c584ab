"""An error chained to botocore's keeps its traceback's lines but no local of a finished frame.

A connection reset mid-body leaves the bytes read so far (a value) in a socket
buffer of a frame deep in urllib3; the library's error is chained to botocore's
for debugging, so those frames would keep them alive and readable.
"""

from __future__ import annotations

import traceback
from typing import Any

import pytest
from botocore.exceptions import ConnectionClosedError

from lambda_cache_di import FetchError
from lambda_cache_di.fetchers.errors import translated
from tests.frames import frames_holding

MARKER = "VALUE-read-before-the-reset"

# A reader outside the tests folder (frames_holding skips test frames), as socket.py is.
_SOURCE = f'''
def read_into(buffer):
    buffer[:] = b'{{"Parameter": {{"Value": "{MARKER}"}}}}'
    raise ConnectionResetError(104, "Connection reset by peer")
'''
_namespace: dict[str, Any] = {}
exec(compile(_SOURCE, "/usr/lib/python3/socket_like.py", "exec"), _namespace)
read_into = _namespace["read_into"]


def fetch_through_a_reset() -> None:
    try:
        read_into(bytearray())
    except ConnectionResetError as exc:
        raise ConnectionClosedError(endpoint_url="http://127.0.0.1:1/") from exc


class TestFramesOfChainedErrors:
    def test_a_botocore_error_keeps_no_bytes_in_its_frames(self) -> None:
        with pytest.raises(FetchError) as caught, translated("GetParameters", "/app/p00"):
            fetch_through_a_reset()
        assert frames_holding(caught.value, [MARKER]) == []

    def test_the_chain_and_its_lines_stay_for_debugging(self) -> None:
        with pytest.raises(FetchError) as caught, translated("GetParameters", "/app/p00"):
            fetch_through_a_reset()
        assert isinstance(caught.value.__cause__, ConnectionClosedError)
        assert isinstance(caught.value.__cause__.__cause__, ConnectionResetError)
        printed = "".join(traceback.format_exception(caught.value))
        assert "read_into" in printed and "fetch_through_a_reset" in printed
        assert MARKER not in printed

    def test_an_os_error_too(self) -> None:
        with pytest.raises(FetchError) as caught, translated("GetObject", "s3://bucket/key"):
            read_into(bytearray())
        assert caught.value.transient
        assert frames_holding(caught.value, [MARKER]) == []
