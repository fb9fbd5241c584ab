"""The `lambda-cache-di` command: demo, and tools for a container before deploying it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lambda-cache-di",
        description="Cached SSM parameters, secrets and S3 files for AWS Lambda, the DI way.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo", help="run an example handler on an embedded moto server and count AWS calls"
    )
    demo.add_argument("--handler", default="examples.orders.handler", help="MODULE.FUNCTION")
    demo.add_argument(
        "--uncached-handler",
        default="examples.orders_uncached.handler",
        help="the same handler without a cache, for comparison ('' to skip)",
    )
    demo.add_argument("--task-root", default=".", help="folder the handler is imported from")
    demo.add_argument("--invocations", type=int, default=600)
    demo.add_argument(
        "--interval", type=float, default=1.0, help="simulated seconds between invocations"
    )
    demo.set_defaults(run=_run_demo)
    return parser


def _run_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(
        handler=args.handler,
        uncached_handler=args.uncached_handler or None,
        task_root=args.task_root,
        invocations=args.invocations,
        interval=args.interval,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    status: int = args.run(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
