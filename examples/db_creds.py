"""Database credentials as a pydantic model: what a JSON secret becomes through `transform=`."""

from pydantic import BaseModel


class DbCreds(BaseModel):
    """The JSON document of the database secret."""

    host: str
    user: str
    password: str
