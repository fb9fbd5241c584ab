"""A rotation function for tests: Secrets Manager's four steps against moto and a real PostgreSQL.

It does what AWS's rotation templates for PostgreSQL do, step by step:
createSecret stores a new version as AWSPENDING; setSecret changes the
database; testSecret logs in with the new version; finishSecret moves
AWSCURRENT to it. Two strategies:

- single user: setSecret changes the password of the user in the secret.
  From then until finishSecret, AWSCURRENT holds a password the database
  refuses (the window);
- alternating users: the secret alternates between two users (`app` and
  `app_clone`); setSecret changes the password of the user not in
  AWSCURRENT, so the current one keeps working throughout.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

from tests.postgres import PostgresServer

CLONE_SUFFIX = "_clone"


class Rotator:
    """Rotates a JSON database secret; `window_seconds` pass between setSecret and finishSecret."""

    def __init__(
        self,
        client: Any,
        secret_id: str,
        server: PostgresServer,
        *,
        alternating: bool = False,
        window_seconds: float = 0.0,
        terminate_sessions: bool = False,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        self.client = client
        self.secret_id = secret_id
        self.server = server
        self.alternating = alternating
        self.window_seconds = window_seconds
        self.terminate_sessions = terminate_sessions
        self.sleep = sleep
        self.rotations = 0

    def rotate(self) -> None:
        """The four steps, as Secrets Manager calls a rotation function with one token."""
        token = str(uuid.uuid4())
        self.create_secret(token)
        self.set_secret(token)
        self.sleep(self.window_seconds)
        self.test_secret(token)
        self.finish_secret(token)
        self.rotations += 1

    def _version(self, **selector: str) -> dict[str, Any]:
        response = self.client.get_secret_value(SecretId=self.secret_id, **selector)
        return dict(json.loads(response["SecretString"]))

    def create_secret(self, token: str) -> None:
        """A new password (and, alternating, the other user) stored as AWSPENDING."""
        current = self._version(VersionStage="AWSCURRENT")
        pending = {**current, "password": secrets.token_urlsafe(18)}
        if self.alternating:
            user = current["username"]
            base = user.removesuffix(CLONE_SUFFIX)
            pending["username"] = base if user.endswith(CLONE_SUFFIX) else base + CLONE_SUFFIX
        self.client.put_secret_value(
            SecretId=self.secret_id,
            ClientRequestToken=token,
            SecretString=json.dumps(pending),
            VersionStages=["AWSPENDING"],
        )

    def set_secret(self, token: str) -> None:
        """The database takes the new password; with `terminate_sessions`, every session ends."""
        pending = self._version(VersionId=token, VersionStage="AWSPENDING")
        statement = sql.SQL("ALTER ROLE {} PASSWORD {}").format(
            sql.Identifier(pending["username"]), sql.Literal(pending["password"])
        )
        if self.alternating:
            # The template logs in with a master secret to change the other user.
            self.server.execute(statement.as_string())
        else:
            # Single user: the user changes its own password, logged in with AWSCURRENT.
            with self._connect(self._version(VersionStage="AWSCURRENT")) as connection:
                connection.execute(statement)
        if self.terminate_sessions:
            users = {pending["username"].removesuffix(CLONE_SUFFIX)}
            self.server.terminate(*users, *(user + CLONE_SUFFIX for user in users))

    def test_secret(self, token: str) -> None:
        """Log in with the new version."""
        with self._connect(self._version(VersionId=token, VersionStage="AWSPENDING")) as connection:
            connection.execute("SELECT 1")

    def finish_secret(self, token: str) -> None:
        """AWSCURRENT moves to the new version (AWSPREVIOUS follows); AWSPENDING is removed."""
        versions = self.client.list_secret_version_ids(SecretId=self.secret_id)["Versions"]
        current = next(v["VersionId"] for v in versions if "AWSCURRENT" in v["VersionStages"])
        self.client.update_secret_version_stage(
            SecretId=self.secret_id,
            VersionStage="AWSCURRENT",
            MoveToVersionId=token,
            RemoveFromVersionId=current,
        )
        self.client.update_secret_version_stage(
            SecretId=self.secret_id, VersionStage="AWSPENDING", RemoveFromVersionId=token
        )
        follow_current_in_moto(self.secret_id, token)

    def _connect(self, credentials: dict[str, Any]) -> psycopg.Connection[Any]:
        return psycopg.connect(
            host=credentials["host"],
            port=int(credentials["port"]),
            user=credentials["username"],
            password=credentials["password"],
            dbname=credentials["dbname"],
            autocommit=True,
            connect_timeout=5,
        )


def follow_current_in_moto(secret_id: str, token: str) -> None:
    """Work around moto 5: moving AWSCURRENT leaves GetSecretValue (no stage) on the old version.

    AWS answers a GetSecretValue without a stage with AWSCURRENT; moto answers
    with the version it last *put* as current. The tests' moto server runs in
    this process, so its record is set to what AWS would answer.
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.secretsmanager.models import secretsmanager_backends

    secrets_store = secretsmanager_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].secrets
    secrets_store[secret_id].set_default_version_id(token)
