"""A user's handler module: a greeting kept in SSM, cached across invocations."""

from dependency_injector import containers

from lambda_cache_di import SSMParameter


class Greeter(containers.DeclarativeContainer):
    greeting = SSMParameter("/greeter/greeting")


container = Greeter()


def handler(event: dict, context: object) -> dict:
    greeting = container.greeting()
    return {"message": f"{greeting}, {event['name']}!", "function": context.function_name}
