"""A fake database driver: it accepts some passwords, and its sessions can be ended from outside."""

from __future__ import annotations


class Refused(Exception):
    """What the fake driver raises, as psycopg raises OperationalError: refused or ended."""


class Session:
    """One open session: it answers queries until it is closed or terminated."""

    def __init__(self, database: FakeDatabase, password: str) -> None:
        self.database = database
        self.password = password
        self.closed = False
        self.terminated = False

    def query(self, sql: str) -> str:
        if self.closed or self.terminated:
            raise Refused("terminating connection due to administrator command")
        return f"result of {sql}"

    def close(self) -> None:
        self.closed = True

    def __repr__(self) -> str:
        return "<Session>"


class FakeDatabase:
    """A database with one role: it accepts the passwords in `accepted` and counts sessions."""

    def __init__(self, *accepted: str) -> None:
        self.accepted = set(accepted)
        self.attempts: list[str] = []
        self.sessions: list[Session] = []

    def connect(self, password: str) -> Session:
        self.attempts.append(password)
        if password not in self.accepted:
            raise Refused('password authentication failed for user "app"')
        session = Session(self, password)
        self.sessions.append(session)
        return session

    def terminate_all(self) -> None:
        """End every session, as pg_terminate_backend or a failover does."""
        for session in self.sessions:
            session.terminated = True

    @property
    def open_sessions(self) -> int:
        return sum(not (s.closed or s.terminated) for s in self.sessions)


def open_session(database: FakeDatabase, password: str) -> Session:
    return database.connect(password)


def close_session(session: Session) -> None:
    session.close()
