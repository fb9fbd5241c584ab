"""Lambda events of API Gateway's HTTP API (payload 2.0) and REST API (payload 1.0), as dicts."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

SOURCE_IP = "192.0.2.10"
# What the framework examples read: the table name (SSM) and the API key (Secrets Manager).
TABLE = "orders-table"
KEY = "key-123"


def http_api_event(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: Any = None,
) -> dict[str, Any]:
    """An HTTP API (payload format 2.0) event as Lambda receives it."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "queryStringParameters": dict(query) if query else None,
        "headers": {"host": "api.example.com", **_content_type(body), **(headers or {})},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.example.com",
            "requestId": "request-1",
            "routeKey": "$default",
            "stage": "$default",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": SOURCE_IP,
                "userAgent": "test",
            },
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def rest_api_event(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: Any = None,
) -> dict[str, Any]:
    """A REST API (payload format 1.0) proxy event as Lambda receives it."""
    all_headers = {"Host": "api.example.com", **_content_type(body), **(headers or {})}
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": dict(query) if query else None,
        "multiValueQueryStringParameters": (
            {name: [value] for name, value in query.items()} if query else None
        ),
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": "/prod" + path,
            "stage": "prod",
            "requestId": "request-1",
            "identity": {"sourceIp": SOURCE_IP},
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def _content_type(body: Any) -> dict[str, str]:
    return {} if body is None else {"content-type": "application/json"}


def json_body(response: dict[str, Any]) -> Any:
    """The decoded JSON body of a Lambda proxy response."""
    return json.loads(response["body"])
