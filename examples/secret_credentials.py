"""Application code for the secret examples: it knows nothing of caching or DI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DbCredentials:
    """Database credentials as Secrets Manager's RDS secrets hold them."""

    username: str
    password: str = field(repr=False)
    host: str
    port: int

    @classmethod
    def from_mapping(cls, secret: Mapping[str, Any]) -> DbCredentials:
        """Bind the parsed JSON of a secret."""
        return cls(
            username=secret["username"],
            password=secret["password"],
            host=secret["host"],
            port=int(secret["port"]),
        )
