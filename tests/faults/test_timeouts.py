"""Clients give up in seconds: the Lambda `Config` values, and a hung or closed endpoint."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from lambda_cache_di import AwsClients, FetchError
from lambda_cache_di.fetchers.clients import lambda_config

from .proxy import Fault, FaultProxy
from .specs import SPECS, Spec, build, new_version

SHORT_READ_TIMEOUT = 0.3
# botocore's standard mode sleeps up to 50 ms before retrying a non-throttling error.
RETRY_DELAY_BOUND = 0.05


class TestLambdaConfig:
    """The botocore `Config` every client of the library gets by default."""

    def test_timeouts_and_retries(self) -> None:
        """2 s to connect, 3 s between bytes, standard retries, two attempts in all."""
        config = lambda_config()
        assert (config.connect_timeout, config.read_timeout) == (2.0, 3.0)
        assert config.retries == {"mode": "standard", "total_max_attempts": 2}
        assert config.tcp_keepalive is True

    def test_overrides_win(self) -> None:
        """Keyword arguments replace the defaults and keep the rest."""
        config = lambda_config(read_timeout=10)
        assert (config.connect_timeout, config.read_timeout) == (2.0, 10)
        assert config.retries == {"mode": "standard", "total_max_attempts": 2}

    def test_aws_clients_use_it(self) -> None:
        """The clients of `AwsClients` carry the same timeouts and retry settings."""
        container = AwsClients()
        for client in (container.ssm(), container.secretsmanager(), container.s3()):
            config = client.meta.config
            assert (config.connect_timeout, config.read_timeout) == (2.0, 3.0)
            assert config.retries == {"mode": "standard", "total_max_attempts": 2}

    def test_two_attempts_reach_a_failing_endpoint(
        self, direct: Callable[[str], Any], aws_client: Callable[..., Any], proxy: FaultProxy
    ) -> None:
        """With the default Config a 503 is retried once: two requests per fetch, not three."""
        spec = SPECS[0]
        spec.store(direct(spec.service), new_version())
        provider = build(spec, Path("."), client=aws_client("ssm", endpoint_url=proxy.url))
        proxy.mode = Fault.HTTP_503
        with pytest.raises(FetchError):
            provider()
        assert proxy.total == 2


class TestHungEndpoint:
    """An endpoint that accepts the request and never answers."""

    @pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
    def test_read_timeout_gives_a_transient_error_in_bounded_time(
        self,
        spec: Spec,
        direct: Callable[[str], Any],
        aws_client: Callable[..., Any],
        proxy: FaultProxy,
        tmp_path: Path,
    ) -> None:
        """Two attempts of 0.3 s each, then a transient FetchError caused by ReadTimeoutError."""
        spec.store(direct(spec.service), new_version())
        client = aws_client(spec.service, endpoint_url=proxy.url, read_timeout=SHORT_READ_TIMEOUT)
        provider = build(spec, tmp_path, client=client)
        proxy.delay_seconds = 5.0
        proxy.mode = Fault.DELAY
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            provider()
        elapsed = time.monotonic() - started
        expected = 2 * SHORT_READ_TIMEOUT + RETRY_DELAY_BOUND
        assert 2 * SHORT_READ_TIMEOUT <= elapsed < 3 * expected
        assert caught.value.transient is True
        assert isinstance(caught.value.__cause__, ReadTimeoutError)
        assert proxy.total == 2
        assert list(tmp_path.iterdir()) == []

    def test_closed_port_gives_a_transient_error_at_once(
        self, aws_client: Callable[..., Any]
    ) -> None:
        """A refused connection is a transient FetchError caused by EndpointConnectionError."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        provider = build(SPECS[0], Path("."), client=aws_client("ssm", f"http://127.0.0.1:{port}"))
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            provider()
        # Refused at once, twice, with botocore's short pause between: far below 1 s.
        assert time.monotonic() - started < 1.0
        assert caught.value.transient is True
        assert isinstance(caught.value.__cause__, EndpointConnectionError)
