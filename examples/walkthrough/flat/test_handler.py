# test_handler.py
from dependency_injector import providers

import handler


def test_greets_with_fakes():
    """With every cached provider overridden, the handler makes no AWS call."""
    with handler.container.override_providers(
        greeting=providers.Object("Hello"),
        api_key=providers.Object({"id": "key-1", "secret": "not-a-real-one"}),
    ):
        response = handler.handler({"name": "Ada"}, None)
    assert response == {"message": "Hello, Ada!", "key_id": "key-1"}
