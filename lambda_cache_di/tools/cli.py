"""The `lambda-cache-di` command: demo, and tools for a container before deploying it."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

# The demo's defaults, kept in one place; demo.py imports no AWS or moto at import.
from .demo import DEFAULT_HANDLER, DEFAULT_SEED, DEFAULT_UNCACHED_HANDLER, DEMO_EVENT


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `lambda-cache-di` command and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="lambda-cache-di",
        description="Cached SSM parameters, secrets and S3 files for AWS Lambda, the DI way.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {_version()}", help="print the version"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_demo(commands)

    iam = _add_command(
        commands,
        "iam-policy",
        "print the least-privilege IAM policy a container's providers need",
        "Print, as JSON, the IAM policy that lets a container's cached providers read "
        "their parameters, secrets and files; notes on what it leaves out go to stderr.",
    )
    _add_target_arguments(iam)
    iam.add_argument("--region", default="*", help="region in the ARNs ('*': any)")
    iam.add_argument(
        "--account",
        default=None,
        help="account id in the ARNs (default: any; for a role's policies, the role's account)",
    )
    iam.add_argument(
        "--assume-role",
        metavar="ROLE_ARN",
        help="the providers read as this role (AssumedRoleClients): print the function role's "
        "policy, the role's trust policy and its permission policy (default: none)",
    )
    iam.add_argument(
        "--function-role",
        metavar="ROLE_ARN",
        help="with --assume-role: the function's own role (default: none)",
    )
    iam.add_argument(
        "--external-id",
        help="with --assume-role: the external id the trust requires (default: none)",
    )
    iam.set_defaults(run=_run_iam_policy)

    check = _add_command(
        commands,
        "check",
        "fetch every cached provider once from the configured AWS endpoint",
        "Fetch every cached provider of a container once, with the credentials, region "
        "and endpoint of the environment (AWS_PROFILE, AWS_ENDPOINT_URL, ...), and print "
        "one line per provider. Exit 1 if any failed. Values are never printed.",
    )
    _add_target_arguments(check)
    check.set_defaults(run=_run_check)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lambda-cache-di")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


class _DefaultsShown(argparse.ArgumentDefaultsHelpFormatter):
    """Each option's default after its help; a `None` default is described in the help itself."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None:
            return action.help
        return super()._get_help_string(action)


def _add_command(commands: Any, name: str, summary: str, description: str) -> Any:
    return commands.add_parser(
        name, help=summary, description=description, formatter_class=_DefaultsShown
    )


def _add_demo(commands: Any) -> None:
    demo = _add_command(
        commands,
        "demo",
        "run an example handler on an embedded moto server and count AWS calls",
        "Start an embedded moto server (no AWS account needed), seed it, import the handler "
        "as Lambda does at a cold start, and invoke it many times while a fake clock runs; "
        "print what each cached provider did and the AWS requests made, beside the same "
        "handler without a cache. Needs moto: pip install 'lambda-cache-di[demo]'.",
    )
    demo.add_argument(
        "--handler",
        default=DEFAULT_HANDLER,
        help="MODULE:FUNCTION of the handler (by default the orders example of the package)",
    )
    demo.add_argument(
        "--uncached-handler",
        default=None,
        help="MODULE:FUNCTION of the same handler without a cache, for comparison, or '' "
        f"(default: {DEFAULT_UNCACHED_HANDLER} with the default --handler, else none)",
    )
    demo.add_argument(
        "--seed",
        default=DEFAULT_SEED,
        help="MODULE:FUNCTION that creates the handler's parameters, secrets and files in moto",
    )
    demo.add_argument(
        "--event",
        default=None,
        metavar="FILE|JSON",
        help="the event every invocation gets: a JSON file, or JSON text "
        f"(default: the orders example's event, {json.dumps(DEMO_EVENT)})",
    )
    demo.add_argument("--task-root", default=".", help="folder MODULE is imported from")
    demo.add_argument("--invocations", type=int, default=120, help="how many invocations")
    demo.add_argument(
        "--interval", type=float, default=5.0, help="simulated seconds between invocations"
    )
    demo.set_defaults(run=_run_demo)


def _add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target",
        metavar="MODULE:CONTAINER",
        help="the container class or instance, for example "
        "lambda_cache_di.tools.demo_app.orders_container:AppContainer",
    )
    parser.add_argument("--app-dir", default=".", help="folder MODULE is imported from")


def _load(args: argparse.Namespace) -> Any:
    from .target import TargetError, load_container

    try:
        return load_container(args.target, app_dir=os.path.abspath(args.app_dir))
    except TargetError as exc:
        print(f"lambda-cache-di {args.command}: {exc}", file=sys.stderr)
        return None


def _run_iam_policy(args: argparse.Namespace) -> int:
    from ..errors import ConfigurationError
    from .iam import policy_for

    if args.assume_role is not None:
        return _run_role_policies(args)
    container = _load(args)
    if container is None:
        return 2
    try:
        policy = policy_for(container, region=args.region, account=args.account or "*")
    except ConfigurationError as exc:
        # A provider argument (`config.param_name`) that the environment does not resolve.
        print(f"lambda-cache-di iam-policy: {exc}", file=sys.stderr)
        return 2
    if not policy.document["Statement"]:
        print(f"lambda-cache-di iam-policy: {args.target} has no cached providers", file=sys.stderr)
        return 2
    sys.stdout.write(policy.to_json())
    for note in policy.notes:
        print(note, file=sys.stderr)
    return 0


def _run_role_policies(args: argparse.Namespace) -> int:
    from ..errors import ConfigurationError
    from .roles import role_policies

    if args.function_role is None:
        print("lambda-cache-di iam-policy: --assume-role needs --function-role", file=sys.stderr)
        return 2
    container = _load(args)
    if container is None:
        return 2
    try:
        policies = role_policies(
            container,
            role_arn=args.assume_role,
            function_role=args.function_role,
            external_id=args.external_id,
            region=args.region,
            account=args.account,
        )
    except ConfigurationError as exc:
        print(f"lambda-cache-di iam-policy: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(policies.to_json())
    for note in policies.notes:
        print(note, file=sys.stderr)
    return 0


def _run_check(args: argparse.Namespace) -> int:
    from .check import check_container, format_table

    container = _load(args)
    if container is None:
        return 2
    results = check_container(container)
    if not results:
        print(f"lambda-cache-di check: {args.target} has no cached providers", file=sys.stderr)
        return 2
    sys.stdout.write(format_table(results))
    failed = sum(result.failed for result in results)
    print(f"{len(results)} providers, {failed} failed")
    return 1 if failed else 0


def _run_demo(args: argparse.Namespace) -> int:
    from .demo import read_event, run_demo

    uncached = args.uncached_handler
    if uncached is None:
        # The uncached twin belongs to the orders example; another handler has none.
        uncached = DEFAULT_UNCACHED_HANDLER if args.handler == DEFAULT_HANDLER else ""
    return run_demo(
        handler=args.handler,
        uncached_handler=uncached or None,
        task_root=args.task_root,
        seed=args.seed,
        invocations=args.invocations,
        interval=args.interval,
        event=DEMO_EVENT if args.event is None else read_event(args.event),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command on `argv` (default: `sys.argv`) and return its exit status."""
    args = build_parser().parse_args(argv)
    status: int = args.run(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
