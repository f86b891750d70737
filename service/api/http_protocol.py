"""uvicorn's HTTP/1.1 protocol and event loop for the platform, with Nagle's algorithm off.

The C parser (httptools) and event loop (uvloop), uvicorn's "standard" choices, take less
of the one HTTP process's time per request than the pure-Python h11 parser and asyncio's
own loop: that process serves every client while list workers compute. Where either is
missing, the pure-Python one stands in.

asyncio switches Nagle off only for sockets whose protocol number says TCP. A listening
socket that uvicorn hands to its worker processes arrives there with protocol number 0,
so the connections those processes accept keep Nagle on: a response written as headers
then body waits for the client's delayed acknowledgement, 40 ms on Linux, on every
keep-alive request (measured: a cached list 9.7 ms with one process, 52 ms with two).
"""

from __future__ import annotations

import importlib.util
import socket

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Protocol
except ImportError:  # httptools not installed
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Protocol


class NoDelayProtocol(_Protocol):
    def connection_made(self, transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


HTTP_PROTOCOL = f"{__name__}:NoDelayProtocol"
EVENT_LOOP = "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"
