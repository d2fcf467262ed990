"""How a sandbox loses its answer after it acted: held too long, or the connection reset.

Shared by the REST and SOAP sandboxes, whose ``created_then_*`` faults open the case first and
then fail the answer — what the hub cannot tell from "never got there" without the agency's help.
"""

from __future__ import annotations

import asyncio
import socket
import struct

from starlette.types import Message, Receive, Send

_LINGER_OFF = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST, not FIN


async def sleep_unless_client_leaves(receive: Receive, seconds: float) -> Receive | None:
    """Wait ``seconds``; None if the client hung up meanwhile (a timed-out hub), else a receive
    that replays the request body read while waiting.

    Without this, a held answer would keep the server busy long after the client gave up, and
    stopping the sandbox would wait for every abandoned sleep.
    """
    read: list[Message] = []

    async def until_disconnect() -> None:
        while (message := await receive())["type"] != "http.disconnect":
            read.append(message)

    watcher = asyncio.ensure_future(until_disconnect())
    done, _ = await asyncio.wait({watcher}, timeout=seconds)
    if watcher in done:
        return None
    watcher.cancel()

    async def replay() -> Message:
        return read.pop(0) if read else await receive()

    return replay


async def reset_connection(receive: Receive, send: Send) -> None:
    """Abort the request's TCP connection with a reset (the hub reads ``ECONNRESET``), as a
    crashing load balancer does.

    ASGI has no word for a reset, so this reaches the transport through uvicorn's ``receive``
    (a bound method of its request cycle); any other server is refused loudly rather than
    faked with a clean close.
    """
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if not isinstance(transport, asyncio.Transport):
        raise RuntimeError("a connection reset needs the sandbox served by uvicorn")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_OFF)
    transport.abort()
    await asyncio.sleep(0)  # the server sees the connection lost before it is sent anything
    # A server whose app returns without answering logs an error; this answer goes nowhere.
    await send({"type": "http.response.start", "status": 500, "headers": []})
    await send({"type": "http.response.body", "body": b""})
