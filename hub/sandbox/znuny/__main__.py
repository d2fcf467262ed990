"""Run the Znuny sandbox standalone: ``python -m hub.sandbox.znuny --port 8734``."""

from __future__ import annotations

import argparse

import uvicorn

from hub.sandbox.znuny.app import ZnunySandbox


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A Znuny helpdesk's GenericTicketConnectorSOAP")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8734)
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="LOGIN:PASSWORD",
        help="an agent the web service accepts (repeatable; default samad-111:samad-secret)",
    )
    parser.add_argument("--queue", action="append", default=[], help="an extra queue")
    parser.add_argument("--session-seconds", type=float, default=7200.0, help="session idle time")
    parser.add_argument("--zone", default="Asia/Tehran", help="the zone Znuny writes times in")
    parser.add_argument("--order", choices=("alphabetical", "wsdl"), default="alphabetical")
    args = parser.parse_args(argv)
    sandbox = ZnunySandbox(
        session_seconds=args.session_seconds,
        zone=args.zone,
        order=args.order,
        queues=(*ZnunySandbox.queues, *args.queue),
    )
    if args.user:
        sandbox.helpdesk.users = dict(item.split(":", 1) for item in args.user)
    address = f"http://{args.host}:{args.port}"
    print(f"Znuny GenericTicketConnectorSOAP: {sandbox.endpoint(address)}")
    uvicorn.run(sandbox.app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
