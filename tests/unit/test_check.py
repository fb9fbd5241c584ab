"""How `check` classifies failures and lays out its report."""

from __future__ import annotations

from botocore.exceptions import ClientError, EndpointConnectionError

from lambda_cache_di.errors import FetchError, NotFoundError, TransformError
from lambda_cache_di.tools.check import CheckResult, check_container, format_table, outcome_of


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "no"}}, "GetParameter")


def chained(error: FetchError, cause: BaseException) -> FetchError:
    error.__cause__ = cause
    return error


class TestOutcome:
    def test_not_found_lists_the_missing_names(self):
        """A NotFoundError reads as missing, with every missing identifier."""
        assert outcome_of(NotFoundError(["/a", "/b"])) == "missing: /a, /b"

    def test_access_denied_codes(self):
        """Any AccessDenied* code of the chained ClientError reads as access denied."""
        for code in ("AccessDenied", "AccessDeniedException"):
            assert outcome_of(chained(FetchError("x"), client_error(code))) == "access denied"

    def test_other_client_errors_show_their_code(self):
        """Another ClientError shows its AWS error code only."""
        error = chained(FetchError("x"), client_error("ThrottlingException"))
        assert outcome_of(error) == "error (ThrottlingException)"

    def test_network_errors_show_their_class(self):
        """A botocore error without a code shows its class name."""
        cause = EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
        assert outcome_of(chained(FetchError("x"), cause)) == "error (EndpointConnectionError)"

    def test_library_errors_without_cause_show_their_message(self):
        """A library error without a botocore cause shows its (value-free) message."""
        error = TransformError("secret /s is not valid JSON: line 1 column 1")
        assert outcome_of(error) == "error: secret /s is not valid JSON: line 1 column 1"

    def test_foreign_errors_show_only_their_class(self):
        """Any other exception shows its class name, never its message."""
        assert outcome_of(ValueError("the-secret-value")) == "error (ValueError)"


class TestReport:
    def test_table_is_aligned(self):
        """Columns are padded to the widest entry, with a header row."""
        table = format_table(
            [CheckResult("a", "/x", "OK"), CheckResult("longer.name", "/y/z", "missing: /y/z")]
        )
        assert table == (
            "PROVIDER     RESOURCE  RESULT\n"
            "a            /x        OK\n"
            "longer.name  /y/z      missing: /y/z\n"
        )

    def test_failed(self):
        """Only outcomes other than OK and skipped count as failures."""
        assert [
            CheckResult("a", "r", o).failed for o in ("OK", "skipped (overridden)", "missing: r")
        ] == [
            False,
            False,
            True,
        ]

    def test_empty_container(self):
        """A container without cached providers gives no results."""
        from dependency_injector import containers

        class Empty(containers.DeclarativeContainer):
            pass

        assert check_container(Empty) == []
