"""A minimal AMI server that blasts a pre-rendered event stream (run as its own process).

    python -m bench.blast_server STREAM_FILE

Prints ``PORT <n>`` once it listens, serves connection after connection, and exits when its
standard input closes. Each connection gets the Asterisk greeting, any login is accepted
(plain or MD5, then FullyBooted), the resync actions are answered with empty lists, Ping with
Pong, anything else with Success. The action ``BenchStart`` is answered and then the whole
stream is written as fast as the socket takes it, 64 KiB at a time (so that replies to the
client's own actions, such as Ping, still get through in between).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from pathlib import Path

CRLF = "\r\n"
CHUNK = 64 * 1024
LISTS = {  # list actions: the ack's EventList and message, the completing event
    "coreshowchannels": ("start", "Channels will follow", "CoreShowChannelsComplete"),
    "faxsessions": (
        "Start",
        "FAXSessionsEntry event list will follow",
        "FAXSessionsComplete",
    ),
}


def _render(lines: list[tuple[str, str]]) -> bytes:
    return ("".join(f"{k}: {v}{CRLF}" for k, v in lines) + CRLF).encode()


async def _read_action(reader: asyncio.StreamReader) -> dict[str, str] | None:
    try:
        block = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    action: dict[str, str] = {}
    for line in block.decode("utf-8", "replace").split(CRLF):
        key, sep, value = line.partition(":")
        if sep:
            action.setdefault(key.strip().lower(), value.strip())
    return action


class Blaster:
    def __init__(self, stream: bytes) -> None:
        self.stream = stream

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        blasting: asyncio.Task[None] | None = None
        writer.write(f"Asterisk Call Manager/9.0.0{CRLF}".encode())
        try:
            while (action := await _read_action(reader)) is not None:
                name = action.get("action", "").lower()
                head = [("Response", "Success")]
                if "actionid" in action:
                    head.append(("ActionID", action["actionid"]))
                if name == "challenge":
                    writer.write(_render([*head, ("Challenge", "123456789")]))
                elif name == "login":
                    writer.write(_render([*head, ("Message", "Authentication accepted")]))
                    writer.write(
                        _render(
                            [
                                ("Event", "FullyBooted"),
                                ("Privilege", "system,all"),
                                ("Uptime", "1"),
                                ("LastReload", "1"),
                                ("Status", "Fully Booted"),
                            ]
                        )
                    )
                elif name in LISTS:
                    eventlist, message, complete = LISTS[name]
                    writer.write(_render([*head, ("EventList", eventlist), ("Message", message)]))
                    tail = [("Event", complete), *head[1:]]
                    tail += [("EventList", "Complete"), ("ListItems", "0")]
                    writer.write(_render(tail))
                elif name == "faxsession":
                    head[0] = ("Response", "Error")
                    writer.write(_render([*head, ("Message", "Session not found")]))
                elif name == "ping":
                    writer.write(
                        _render([*head, ("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}")])
                    )
                elif name == "logoff":
                    writer.write(_render([("Response", "Goodbye"), *head[1:]]))
                    break
                elif name == "benchstart":
                    writer.write(_render([*head, ("Message", "Here it comes")]))
                    blasting = asyncio.ensure_future(self._blast(writer))
                else:
                    writer.write(_render(head))
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            if blasting is not None:
                blasting.cancel()
                with contextlib.suppress(BaseException):
                    await blasting
            writer.close()

    async def _blast(self, writer: asyncio.StreamWriter) -> None:
        view = memoryview(self.stream)
        with contextlib.suppress(ConnectionError):
            for start in range(0, len(view), CHUNK):
                writer.write(view[start : start + CHUNK])
                await writer.drain()


async def main(stream: bytes) -> None:
    blaster = Blaster(stream)
    server = await asyncio.start_server(blaster.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes it
    server.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]).read_bytes()))
