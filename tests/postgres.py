"""A throwaway PostgreSQL cluster for the tests: Debian's server binaries, 127.0.0.1, a free port.

PostgreSQL refuses to run as root, so as root the cluster is created and run
as the `postgres` user (`runuser -u postgres --`). Roles log in over TCP with
a password (SCRAM); the tests administer the cluster through its Unix socket.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

SUPERUSER = "postgres"
DATABASE = "postgres"


def server_binaries() -> Path | None:
    """The folder of Debian's newest installed server binaries (initdb, pg_ctl), if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major_version)
    return Path(found[-1]).parent if found else None


def _major_version(path: str) -> int:
    version = Path(path).parts[-3]
    return int(version) if version.isdigit() else 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One cluster in a temporary folder, started by `start()` and removed by `stop()`."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="lambda-cache-di-pg-"))
        self.data = self.folder / "data"
        self.sockets = self.folder / "sockets"
        self.port = free_port()
        self.host = "127.0.0.1"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", SUPERUSER, "--"] if os.geteuid() == 0 else []
        subprocess.run(
            [*prefix, *command], check=True, capture_output=True, timeout=120, cwd=self.folder
        )

    def start(self) -> None:
        self.sockets.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.folder, SUPERUSER)
            shutil.chown(self.sockets, SUPERUSER)
        self._run(
            str(self.binaries / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
            "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync",
        )  # fmt: skip
        options = (
            f"-h {self.host} -p {self.port} -k {self.sockets} -c fsync=off "
            "-c max_connections=200 -c synchronous_commit=off"
        )
        self._run(
            str(self.binaries / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self) -> None:
        try:
            self._run(
                str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"
            )
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    # -- administration (through the Unix socket, as the superuser) -------------

    def admin(self) -> Any:
        """A superuser connection in autocommit mode; close it after use."""
        import psycopg

        return psycopg.connect(
            host=str(self.sockets), port=self.port, user=SUPERUSER, dbname=DATABASE, autocommit=True
        )

    def execute(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        from psycopg import sql as psql

        with self.admin() as connection:
            cursor = connection.execute(psql.SQL(sql).format(*params))  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    def create_role(self, name: str, password: str) -> None:
        """A login role (dropped first if it exists) with that password."""
        from psycopg import sql as psql

        self.execute("DROP ROLE IF EXISTS {}", psql.Identifier(name))
        self.execute(
            "CREATE ROLE {} LOGIN PASSWORD {}", psql.Identifier(name), psql.Literal(password)
        )

    def set_password(self, name: str, password: str) -> None:
        """ALTER ROLE: sessions already open stay open, as in PostgreSQL."""
        from psycopg import sql as psql

        self.execute("ALTER ROLE {} PASSWORD {}", psql.Identifier(name), psql.Literal(password))

    def sessions(self, *users: str) -> int:
        """Open client sessions of these roles."""
        from psycopg import sql as psql

        rows = self.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = ANY({})",
            psql.Literal(list(users)),
        )
        return int(rows[0][0])

    def terminate(self, *users: str) -> int:
        """End every session of these roles, as a failover would; how many were ended."""
        from psycopg import sql as psql

        rows = self.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE usename = ANY({})",
            psql.Literal(list(users)),
        )
        return int(rows[0][0])

    def credentials(self, user: str, password: str) -> dict[str, Any]:
        """An RDS-style secret document for this server."""
        return {
            "engine": "postgres",
            "host": self.host,
            "port": self.port,
            "username": user,
            "password": password,
            "dbname": DATABASE,
        }


def seed_database_secret(
    server: PostgresServer, client: Any, secret_id: str, *, alternating: bool = False
) -> dict[str, Any]:
    """Fresh roles `app` (and `app_clone`) and a JSON secret for `app`; returns the secret."""
    import json
    import secrets

    users = ["app", "app_clone"] if alternating else ["app"]
    server.terminate("app", "app_clone")
    for user in users:
        server.create_role(user, secrets.token_urlsafe(18))
    password = secrets.token_urlsafe(18)
    server.create_role("app", password)
    document = server.credentials("app", password)
    client.create_secret(Name=secret_id, SecretString=json.dumps(document))
    return document
