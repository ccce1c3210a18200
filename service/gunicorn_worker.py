"""gunicorn's gevent worker, with two things a burst needs: when each request arrived, and a refusal that costs
next to nothing.

Under a burst, requests wait for the process (its CPU, its event loop) before the app sees them; the app's own
clock would start late, and a request whose client had given up would still be stored. The arrival is the
connection's accept for its first request and the start of parsing for the next ones on a kept-alive connection.

A process whose event loop runs late (a timer due every 50 ms fires more than LAG_LIMIT late) has more work than
CPU: it answers new connections 503 with `Retry-After` straight away, without parsing them, until it catches up.
Idle connections (slow clients, kept-alive ones) cost no CPU and do not count.
"""

from __future__ import annotations

import socket
import struct
import time
from typing import Any

import gevent
from gunicorn.workers.ggevent import GeventWorker

from moderation.settings import current

TICK = 0.05
LAG_LIMIT = current().shed_lag
# Connections waiting in the kernel to be accepted, past which new ones are refused on accept: each waits behind all
# of those, and a client that waits a second has given up.
QUEUE_LIMIT = current().shed_queue
_BODY = b'{"error": "overloaded", "message": "The service is at capacity; try again in a moment."}'
OVERLOADED = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
              b"Connection: close\r\nContent-Length: " + str(len(_BODY)).encode() + b"\r\n\r\n" + _BODY)


def accept_queue(listener: Any) -> int:
    """Connections waiting to be accepted on `listener` (Linux: tcp_info's unacked field, on a listening socket)."""
    try:
        info = listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    except (OSError, AttributeError):
        return 0
    return int(struct.unpack_from("I", info, 24)[0]) if len(info) >= 28 else 0


def arrived() -> float | None:
    """When the current request arrived (time.monotonic()), where the server noted it."""
    return getattr(gevent.getcurrent(), "moderation_arrived", None)


class ArrivalGeventWorker(GeventWorker):
    lag = 0.0

    def run(self) -> None:
        gevent.spawn(self._watch_the_loop)
        super().run()

    def _watch_the_loop(self) -> None:
        while True:
            due = time.monotonic() + TICK
            gevent.sleep(TICK)
            self.lag = max(0.0, time.monotonic() - due)

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        if self.lag > LAG_LIMIT or accept_queue(listener) > QUEUE_LIMIT:
            self._refuse(client)
            return
        gevent.getcurrent().moderation_arrived = time.monotonic()
        super().handle(listener, client, addr)

    @staticmethod
    def _refuse(client: Any) -> None:
        """Answer 503 unread, then read what already came (closing on unread bytes would reset the connection
        before the client reads the answer)."""
        try:
            client.sendall(OVERLOADED)
            client.shutdown(socket.SHUT_WR)
            client.settimeout(0.05)
            while client.recv(65536):
                pass
        except OSError:
            pass
        finally:
            client.close()

    def handle_request(self, listener_name: Any, req: Any, sock: Any, addr: Any) -> Any:
        current = gevent.getcurrent()
        if getattr(current, "moderation_arrived", None) is None:
            current.moderation_arrived = time.monotonic()
        try:
            return super().handle_request(listener_name, req, sock, addr)
        finally:
            current.moderation_arrived = None
