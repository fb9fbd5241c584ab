"""Typed errors at fetch: every failure a client can produce reaches the caller as a library error.

A Hypothesis property drives each cached provider with a fake client whose
every call draws its outcome: a ClientError with any code and status, any
BotoCoreError, an OSError, or a response with any subset of its fields (for
S3, a whole body or one cut short).
"""

from __future__ import annotations

import io
import json
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import exceptions as botocore_exceptions
from botocore.exceptions import BotoCoreError, ClientError
from botocore.response import StreamingBody
from botocore.stub import Stubber
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambda_cache_di import (
    FetchError,
    LambdaCacheError,
    NotFoundError,
    S3File,
    Secret,
    Secrets,
    SSMParameter,
    SSMParameters,
    SSMParametersByPath,
    TransformError,
    prefetch,
)
from lambda_cache_di.core.transform import transformed
from lambda_cache_di.fetchers.errors import translate_error
from lambda_cache_di.testing import FakeClock
from tests.frames import frames_holding

MARKER = "SECRET-MARKER-"
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/b-AbCdEf"


def client_error(code: str | None, status: int, operation: str = "GetParameter") -> ClientError:
    error: dict[str, Any] = {"Message": "from the service"}
    if code is not None:
        error["Code"] = code
    return ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


class TestBare404:
    """A 404 without an AWS error code is a transient FetchError, not a NotFoundError."""

    @pytest.mark.parametrize("code", ["404", "", None])
    def test_bare_404_is_transient(self, code: str | None) -> None:
        """botocore's made-up code "404", or none at all, gives a transient FetchError."""
        error = translate_error(client_error(code, 404), "GetObject", "s3://b/k")
        assert type(error) is FetchError
        assert error.transient is True
        assert str(error) == f"GetObject failed for s3://b/k: {code or 'HTTP 404'}"

    @pytest.mark.parametrize(
        ("code", "status"),
        [("ParameterNotFound", 400), ("ResourceNotFoundException", 400), ("NoSuchKey", 404)],
    )
    def test_aws_not_found_codes_stay_not_found(self, code: str, status: int) -> None:
        """Real not-found codes, S3's NoSuchKey on a 404 included, still give NotFoundError."""
        error = translate_error(client_error(code, status), "Get", "thing")
        assert type(error) is NotFoundError
        assert error.names == ("thing",)


class TestWrongServiceClient:
    """A botocore client of another service is a FetchError naming that service."""

    def test_s3_client_given_to_an_ssm_provider(self) -> None:
        """SSMParameter with an S3 client fails at fetch with a FetchError, not AttributeError."""
        provider = SSMParameter("/app/var", client=boto3.client("s3", region_name="us-east-1"))
        with pytest.raises(FetchError) as caught:
            provider()
        assert str(caught.value) == "the client given is a s3 client; a ssm client is needed"
        assert caught.value.transient is False

    def test_wrong_client_from_a_provider_is_returned_by_prefetch(self) -> None:
        """A client provider resolving to the wrong service is a failure prefetch returns."""
        from dependency_injector import containers, providers

        class App(containers.DeclarativeContainer):
            s3 = providers.Object(boto3.client("s3", region_name="us-east-1"))
            secret = Secret("app/db", client=s3)

        failures = prefetch(App())
        assert list(failures) == ["secret"]
        assert isinstance(failures["secret"], FetchError)
        assert "a s3 client; a secretsmanager client is needed" in str(failures["secret"])

    @pytest.mark.parametrize(
        ("client", "named"),
        [
            (boto3.resource("dynamodb", region_name="us-east-1"), "dynamodb.ServiceResource"),
            (boto3.session.Session(), "Session"),
            (None, "NoneType"),
        ],
        ids=["resource", "session", "none"],
    )
    def test_an_object_that_is_no_client(self, client: Any, named: str) -> None:
        """A resource, a session or None from a client provider is a FetchError naming it."""
        from dependency_injector import providers

        provider = SSMParameter("/app/var", client=providers.Object(client))
        with pytest.raises(FetchError) as caught:
            provider()
        assert str(caught.value) == (
            f"the client given ({named}) is not a ssm client: "
            "it has none of get_parameter, get_parameters, get_paginator"
        )

    def test_a_failing_client_provider(self) -> None:
        """A client provider that raises is a FetchError naming the provider; prefetch too."""
        from dependency_injector import containers, providers

        def broken() -> Any:
            raise ZeroDivisionError

        class App(containers.DeclarativeContainer):
            client = providers.Callable(broken)
            table = SSMParameter("/app/table", client=client)

        container = App()
        with pytest.raises(FetchError) as caught:
            container.table()
        assert str(caught.value) == (
            "no ssm client for /app/table: creating or resolving it raised ZeroDivisionError"
        )
        assert isinstance(caught.value.__cause__, ZeroDivisionError)
        failures = prefetch(container)
        assert [type(error) for error in failures.values()] == [FetchError]

    def test_no_region_for_the_default_client(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without a region the default client cannot be made: a FetchError, not NoRegionError."""
        from lambda_cache_di.fetchers.clients import reset_default_clients

        for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
            monkeypatch.delenv(variable, raising=False)
        monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
        reset_default_clients()
        try:
            with pytest.raises(FetchError) as caught:
                SSMParameter("/app/var")()
        finally:
            reset_default_clients()
        assert str(caught.value) == (
            "no ssm client for /app/var: creating or resolving it raised NoRegionError"
        )

    def test_right_service_passes(self) -> None:
        """A Stubber-backed SSM client of the right service fetches as usual."""
        client = boto3.client("ssm", region_name="us-east-1")
        with Stubber(client) as stubber:
            stubber.add_response(
                "get_parameter",
                {"Parameter": {"Name": "/app/var", "Type": "String", "Value": "v"}},
            )
            assert SSMParameter("/app/var", client=client)() == "v"


class TestOddJson:
    """JSON that Python's parser refuses without a JSONDecodeError is a TransformError too."""

    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            ('{"n": ' + "7" * 5000 + "}", "an integer has too many digits"),
            ("[" * 100_000 + "]" * 100_000, "nested too deep"),
        ],
    )
    def test_refused_json_is_a_transform_error(self, text: str, problem: str) -> None:
        """The error names the resource and problem, chains nothing, and its frames hold no text."""
        with pytest.raises(TransformError) as caught:
            transformed(json.loads, text, "secret app/db")
        error = caught.value
        assert str(error) == f"secret app/db is not valid JSON: {problem}"
        assert (error.__cause__, error.__context__) == (None, None)
        assert frames_holding(error, ["7" * 100, "[" * 100]) == []

    def test_secret_provider_gives_transform_error(self) -> None:
        """Secret(transform="json") over a 5000-digit integer raises TransformError."""
        client = boto3.client("secretsmanager", region_name="us-east-1")
        with Stubber(client) as stubber:
            stubber.add_response("get_secret_value", {"SecretString": "9" * 5000})
            with pytest.raises(TransformError) as caught:
                Secret("app/db", transform="json", client=client)()
        assert frames_holding(caught.value, ["9" * 100]) == []


# -- the property ---------------------------------------------------------------


def _botocore_errors() -> list[BotoCoreError]:
    """One instance of every BotoCoreError subclass that builds from its message's fields."""
    made = []
    for value in vars(botocore_exceptions).values():
        if not (isinstance(value, type) and issubclass(value, BotoCoreError)):
            continue
        fields = {name: "x" for _, name, _, _ in string.Formatter().parse(value.fmt) if name}
        try:
            made.append(value(**fields))
        except Exception:  # a class whose __init__ wants more than its message's fields
            continue
    return made


BOTOCORE_ERRORS = _botocore_errors()
CODES = st.one_of(
    st.sampled_from(
        [
            "ParameterNotFound",
            "ResourceNotFoundException",
            "ThrottlingException",
            "AccessDeniedException",
            "InternalServerError",
            "DecryptionFailure",
            "ValidationException",
            "404",
            "",
        ]
    ),
    st.none(),
    st.text(max_size=12),
)
VALUES = st.one_of(
    st.text(max_size=8),
    st.sampled_from(['{"a": 1}', "[" * 3000, "1" * 5000, '{"a":', '"\ud800"', "null"]),
).map(lambda text: MARKER + text if not text.startswith(("[", "{", "1", '"', "n")) else text)
NAMES = st.sampled_from(["/app/a", "/app/b", "/app/c", "/other/a", "app/a", ARN])


def _subset(draw: st.DrawFn, fields: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    chosen = draw(st.sets(st.sampled_from(sorted(fields))))
    return {name: draw(fields[name]) for name in sorted(chosen)}


@st.composite
def _parameter(draw: st.DrawFn) -> dict[str, Any]:
    return _subset(
        draw,
        {
            "Name": NAMES,
            "Type": st.sampled_from(["String", "StringList", "SecureString"]),
            "Value": VALUES,
            "Version": st.integers(1, 5),
            "Selector": st.sampled_from([":2", ":live", ":1"]),
        },
    )


@st.composite
def _secret_entry(draw: st.DrawFn) -> dict[str, Any]:
    return _subset(
        draw,
        {
            "Name": NAMES,
            "ARN": st.just(ARN),
            "SecretString": VALUES,
            "SecretBinary": st.binary(max_size=8),
        },
    )


RESPONSES: dict[str, Callable[[], st.SearchStrategy[dict[str, Any]]]] = {
    "get_parameter": lambda: st.fixed_dictionaries({}, optional={"Parameter": _parameter()}),
    "get_parameters": lambda: st.fixed_dictionaries(
        {},
        optional={
            "Parameters": st.lists(_parameter(), max_size=4),
            "InvalidParameters": st.lists(NAMES, max_size=2),
        },
    ),
    "get_parameters_by_path": lambda: st.fixed_dictionaries(
        {}, optional={"Parameters": st.lists(_parameter(), max_size=3)}
    ),
    "get_secret_value": _secret_entry,
    "batch_get_secret_value": lambda: st.fixed_dictionaries(
        {},
        optional={
            "SecretValues": st.lists(_secret_entry(), max_size=3),
            "Errors": st.lists(
                st.fixed_dictionaries(
                    {}, optional={"SecretId": NAMES, "ErrorCode": CODES, "Message": st.text()}
                ),
                max_size=2,
            ),
            "NextToken": st.sampled_from(["t1"]),
        },
    ),
}


def _outcome(operation: str) -> st.SearchStrategy[Any]:
    raised = st.one_of(
        st.builds(client_error, CODES, st.integers(100, 599), st.just(operation.title())),
        st.sampled_from(BOTOCORE_ERRORS),
        st.builds(OSError, st.integers(1, 130), st.just("os error")),
    )
    return st.one_of(
        raised.map(lambda error: ("raise", error)),
        RESPONSES[operation]().map(lambda response: ("return", response)),
    )


def _s3_outcome() -> st.SearchStrategy[Any]:
    raised = st.one_of(
        st.builds(client_error, CODES, st.integers(100, 599), st.just("GetObject")),
        st.sampled_from(BOTOCORE_ERRORS),
        st.builds(OSError, st.integers(1, 130), st.just("os error")),
    )
    body = st.binary(max_size=64).flatmap(
        lambda data: st.tuples(st.just(data), st.integers(len(data), len(data) + 8))
    )
    return st.one_of(raised.map(lambda e: ("raise", e)), body.map(lambda b: ("return", b)))


class DrawingClient:
    """A fake client (no botocore `meta`) whose every call draws what happens from Hypothesis."""

    def __init__(self, data: st.DataObject) -> None:
        self._data = data

    def _call(self, operation: str) -> dict[str, Any]:
        kind, outcome = self._data.draw(_outcome(operation), label=operation)
        if kind == "raise":
            raise outcome
        return outcome  # type: ignore[no-any-return]

    def get_parameter(self, **_: Any) -> dict[str, Any]:
        return self._call("get_parameter")

    def get_parameters(self, **_: Any) -> dict[str, Any]:
        return self._call("get_parameters")

    def get_secret_value(self, **_: Any) -> dict[str, Any]:
        return self._call("get_secret_value")

    def batch_get_secret_value(self, **_: Any) -> dict[str, Any]:
        return self._call("batch_get_secret_value")

    def get_object(self, **_: Any) -> dict[str, Any]:
        """A whole object, one cut short, or a raised error (not drawn field by field)."""
        kind, outcome = self._data.draw(_s3_outcome(), label="get_object")
        if kind == "raise":
            raise outcome
        data, announced = outcome
        body = StreamingBody(io.BytesIO(data), announced)
        return {"Body": body, "ContentLength": announced, "ETag": '"e"'}

    def get_paginator(self, operation: str) -> Any:
        client = self

        class Paginator:
            def paginate(self, **_: Any) -> Any:
                pages = client._data.draw(st.integers(1, 3), label="pages")
                for _ in range(pages):
                    yield client._call(operation)

        return Paginator()


@pytest.fixture(scope="module")
def s3_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the S3 copies of every example: Hypothesis runs many per test."""
    return tmp_path_factory.mktemp("copies")


PROVIDERS: dict[str, Callable[..., Any]] = {
    "SSMParameter": lambda **o: SSMParameter("/app/a", **o),
    "SSMParameter:2": lambda **o: SSMParameter("/app/b:2", **o),
    "SSMParameters": lambda **o: SSMParameters(["/app/a", "/app/b:2", "/app/c:live"], **o),
    "SSMParametersByPath": lambda **o: SSMParametersByPath("/app", **o),
    "Secret": lambda **o: Secret("app/a", **o),
    "Secret:json": lambda **o: Secret("app/a", transform="json", **o),
    "Secret:stage": lambda **o: Secret("app/a", version_stage="AWSPREVIOUS", **o),
    "Secrets": lambda **o: Secrets(["app/a", ARN], **o),
    "Secrets:json": lambda **o: Secrets(["app/a", ARN], transform="json", **o),
    "S3File": lambda **o: S3File("s3://bucket/model.json", **o),
}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
@pytest.mark.parametrize("kind", PROVIDERS)
def test_every_fetch_error_is_a_library_error(
    kind: str, data: st.DataObject, s3_folder: Path
) -> None:
    """Whatever the client raises or returns, the provider returns or raises a LambdaCacheError."""
    clock = FakeClock()
    options: dict[str, Any] = {"directory": s3_folder} if kind == "S3File" else {}
    # Drawn beforehand: a group's calls (a throttled batch's GetSecretValue calls) run at once.
    client = ScriptedClient(data)
    provider = PROVIDERS[kind](client=client, clock=clock, max_age_in_seconds=0, **options)
    for _ in range(2):
        try:
            provider.refresh()
        except LambdaCacheError as error:
            assert MARKER not in str(error)
            assert all(MARKER not in repr(arg) for arg in error.args)
        clock.tick(10)


class ScriptedClient(DrawingClient):
    """Outcomes drawn beforehand in the test's thread, for calls made by prefetch's workers.

    Hypothesis draws only in the thread that runs the test; once a script runs
    out, every call is throttled.
    """

    OPERATIONS = (*RESPONSES, "get_object")

    def __init__(self, data: st.DataObject) -> None:
        super().__init__(data)
        self._script = {
            operation: data.draw(
                st.lists(
                    _s3_outcome() if operation == "get_object" else _outcome(operation), max_size=4
                ),
                label=operation,
            )
            for operation in self.OPERATIONS
        }

    def _next(self, operation: str) -> tuple[str, Any]:
        script = self._script[operation]
        return script.pop(0) if script else ("raise", client_error("Throttling", 400))

    def _call(self, operation: str) -> dict[str, Any]:
        kind, outcome = self._next(operation)
        if kind == "raise":
            raise outcome
        return outcome  # type: ignore[no-any-return]

    def get_object(self, **_: Any) -> dict[str, Any]:
        kind, outcome = self._next("get_object")
        if kind == "raise":
            raise outcome
        data, announced = outcome
        return {"Body": StreamingBody(io.BytesIO(data), announced), "ContentLength": announced}

    def get_paginator(self, operation: str) -> Any:
        client = self

        class Paginator:
            def paginate(self, **_: Any) -> Any:
                yield client._call(operation)

        return Paginator()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_every_prefetch_failure_is_a_library_error(data: st.DataObject, s3_folder: Path) -> None:
    """Whatever the clients do, every failure prefetch returns is a LambdaCacheError."""
    from dependency_injector import containers, providers

    client = ScriptedClient(data)

    class App(containers.DeclarativeContainer):
        fake = providers.Object(client)

    container = App()
    for kind, make in PROVIDERS.items():
        options: dict[str, Any] = {"directory": s3_folder} if kind == "S3File" else {}
        container.set_provider(kind.replace(":", "_"), make(client=container.fake, **options))
    # Throttled calls are returned at once, not waited through: 40 examples.
    failures = prefetch(container, throttle_wait_in_seconds=0)
    foreign = {name: repr(e) for name, e in failures.items() if not isinstance(e, LambdaCacheError)}
    assert foreign == {}
