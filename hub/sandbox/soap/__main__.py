"""Run the SOAP sandbox standalone: ``python -m hub.sandbox.soap --port 8732``."""

from __future__ import annotations

import argparse

import uvicorn

from hub.sandbox.soap.app import SoapSandbox


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Golestan power company case registry (SOAP)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8732)
    parser.add_argument("--step-seconds", type=float, default=60.0, help="time per status step")
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="NAME:PASSWORD",
        help="require a WS-Security UsernameToken for this user (repeatable)",
    )
    args = parser.parse_args(argv)
    users = dict(item.split(":", 1) for item in args.user) or None
    sandbox = SoapSandbox(step_seconds=args.step_seconds, users=users)
    print(f"case registry WSDL: http://{args.host}:{args.port}/?wsdl")
    uvicorn.run(sandbox.app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
