"""The AppConfig provider: one configuration profile, read through the AppConfig Data API."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ..core.iam import Arns, IamGrant
from ..core.shared import SharedValue
from ..core.transform import transformed
from ..errors import ConfigurationError
from ..fetchers.appconfig import Configuration, ConfigurationSession, Profile
from .arguments import AgeOptions
from .base import CachedProvider

if TYPE_CHECKING:
    from typing_extensions import Unpack

_MAX_IDENTIFIER_LENGTH = 128
# AppConfig ids are seven lowercase letters and digits; ARNs hold ids, never names.
_ID = re.compile(r"(?=[a-z]*[0-9])[a-z0-9]{7}", re.ASCII)
_JSON_TYPES = ("application/json",)

IDS_NOTE = (
    "note: AppConfig ARNs hold ids, not names: where an application, environment or "
    "profile was given by name (anything but 7 lowercase letters and digits with a digit), "
    "the ARN has * in its place. Give ids for a tighter policy."
)


def check_identifier(value: object, argument: str) -> str:
    """An AppConfig id or name: a str of 1 to 128 characters."""
    if not isinstance(value, str) or not value or len(value) > _MAX_IDENTIFIER_LENGTH:
        raise ConfigurationError(
            f"{argument} must be an AppConfig id or name of 1 to 128 characters, not {value!r}"
        )
    return value


class AppConfig(CachedProvider[Any]):
    """One AppConfig configuration profile, deployed to one environment.

    The value is the document parsed by its content type: `application/json`
    (feature flags included) as Python objects, anything else (YAML, text) as
    `bytes`; `transform` then applies to it. A call makes no request while the
    value is younger than `max_age_in_seconds` or while AppConfig's poll
    interval has not passed, whichever ends later. One AppConfig session per
    provider; never shared across processes (see docs/appconfig.md).
    """

    __slots__ = ("_environment", "_profile", "_session")
    service = "appconfigdata"
    argument = "application"
    noun = "configuration"
    json_transform = False  # the content type says whether the document is JSON
    iam_notes = (IDS_NOTE,)

    def __init__(
        self,
        application: str | Any,
        environment: str,
        profile: str,
        transform: Any = None,
        **options: Unpack[AgeOptions],
    ) -> None:
        self._environment = check_identifier(environment, "environment")
        self._profile = check_identifier(profile, "profile")
        if options.get("shared"):
            raise ConfigurationError(
                "AppConfig cannot share across processes (shared=True): each process holds "
                "its own AppConfig session, and a document written by another could take the "
                "value back in time; leave shared unset"
            )
        super().__init__(application, transform=transform, **options)

    def _define(self, value: Any) -> None:
        application = check_identifier(value, "application")
        profile = Profile(application, self._environment, self._profile)
        self._session = ConfigurationSession(profile, lambda: self.clock)

    @property
    def profile_id(self) -> Profile:
        """The application, environment and profile, resolved first if given as a provider."""
        self.resolve()
        return self._session.profile

    def _describe(self) -> str:
        return str(self._session.profile)

    def _arguments(self) -> dict[str, Any]:
        return {"environment": self._environment, "profile": self._profile}

    def _fetch_with(self, client: Any) -> Any:
        return self._parsed(self._session.latest(client))

    def _parsed(self, document: Configuration) -> Any:
        media_type = document.content_type.split(";", 1)[0].strip().lower()
        if media_type not in _JSON_TYPES or not document.content:
            return document.content
        return transformed(json.loads, document.content, f"configuration {self._describe()}")

    def shared_tier(self) -> SharedValue | None:
        """None: AppConfig values stay in the process that polled them (see the class)."""
        return None

    def iam_grants(self, arns: Arns) -> list[IamGrant]:
        """StartConfigurationSession and GetLatestConfiguration on the configuration's ARN."""
        profile = self.profile_id
        application, environment, configuration = (
            part if _ID.fullmatch(part) else "*" for part in profile
        )
        resource = f"application/{application}/environment/{environment}/configuration/"
        return [
            IamGrant(
                "ReadAppConfig",
                ("appconfig:StartConfigurationSession", "appconfig:GetLatestConfiguration"),
                (arns.of("appconfig", resource + configuration),),
            )
        ]
