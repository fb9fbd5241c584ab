# test_app.py
from dependency_injector import providers

from app import handler


def test_greets_with_a_fake():
    """The package layout's handler, with its one provider overridden."""
    with handler.container.greeting.override(providers.Object("Hello")):
        assert handler.handler({"name": "Ada"}, None) == {"message": "Hello, Ada!"}
