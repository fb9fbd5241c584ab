"""Database credentials as Secrets Manager's RDS secrets hold them: what a JSON secret becomes."""

from pydantic import BaseModel, Field


class DbCredentials(BaseModel):
    """The JSON document of a database secret; the password stays out of the repr."""

    username: str
    password: str = Field(repr=False)
    host: str
    port: int
