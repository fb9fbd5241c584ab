"""A wired handler module for the refresh_on tests: a session derived from a rotating secret."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from dependency_injector import containers, providers
from dependency_injector.wiring import Provide, inject
from fastapi import Depends, FastAPI

from lambda_cache_di import Derived, RefreshPolicy, Secret, refresh_on
from lambda_cache_di.testing import FakeClock
from tests.fakedb import Refused, Session, close_session, open_session

CLOCK = FakeClock()
OPTIONS: dict[str, Any] = {"clock": CLOCK, "sleep": CLOCK.tick}
logger = Logger(service="rotation-test")


class App(containers.DeclarativeContainer):
    """A password secret and one session opened with it."""

    database = providers.Dependency()
    secretsmanager = providers.Dependency()
    password = Secret("/db/password", client=secretsmanager, clock=CLOCK)
    session = Derived(
        open_session,
        database,
        password,
        close=close_session,
        refresh_on=RefreshPolicy(Refused, **OPTIONS),
    )


@refresh_on(Refused, App.session, **OPTIONS)
@inject
def handler(event: dict[str, Any], context: object, session: Session = Provide[App.session]) -> str:
    return session.query(event["sql"])


@inject
def unprotected(
    event: dict[str, Any], context: object, session: Session = Provide[App.session]
) -> str:
    return session.query(event["sql"])


@logger.inject_lambda_context
@refresh_on(Refused, App.session, **OPTIONS)
@inject
def powertools_handler(
    event: dict[str, Any], context: object, session: Session = Provide[App.session]
) -> str:
    return session.query(event["sql"])


@refresh_on(Refused, App.password, **OPTIONS)
@inject
def password_handler(
    event: dict[str, Any], context: object, password: str = Provide[App.password]
) -> str:
    return event["database"].connect(password).query(event["sql"])


@refresh_on(Refused, App.session, **OPTIONS)
@logger.inject_lambda_context
@inject
def powertools_below(
    event: dict[str, Any], context: object, session: Session = Provide[App.session]
) -> str:
    return session.query(event["sql"])


@refresh_on(Refused, App.session, **OPTIONS)
@inject
async def async_handler(
    event: dict[str, Any], context: object, session: Session = Provide[App.session]
) -> str:
    return session.query(event["sql"])


api = FastAPI()


@api.get("/query")
@refresh_on(Refused, App.session, **OPTIONS)
@inject
def route(
    sql: str,
    session: Session = Depends(Provide[App.session]),  # noqa: B008 (FastAPI's own idiom)
) -> dict[str, str]:
    return {"result": session.query(sql)}
