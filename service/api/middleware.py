"""Request size limit, request ids and structured access logs (no personal data).

Plain ASGI middleware, so a too-large body is refused before anything reads it, also when
the client sends it chunked without a Content-Length.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

log = logging.getLogger("skillpass.access")


def log_requests_to_stderr() -> None:
    """One JSON line per request on stderr; no personal data in it. Safe to call twice."""
    platform_log = logging.getLogger("skillpass")
    if not any(getattr(h, "_skillpass_access", False) for h in platform_log.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler._skillpass_access = True
        platform_log.addHandler(handler)


def _error(status: int, code: str, message: str, request_id: str) -> bytes:
    return json.dumps({"error": {"status": status, "code": code, "message": message, "fields": [],
                                 "request_id": request_id}}).encode()


class RequestLimitsMiddleware:
    def __init__(self, app, max_body_bytes: int):
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request_id = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_holder = {"status": 500}
        limit = self.max_body_bytes

        async def refuse():
            body = _error(413, "too_large", f"the request body is larger than {limit} bytes", request_id)
            await send({"type": "http.response.start", "status": 413,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            status_holder["status"] = 413

        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await refuse()
            self._log(scope, 413, started, request_id)
            return
        received = 0
        overflowed = False

        async def limited_receive():
            nonlocal received, overflowed
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflowed = True
                    raise _TooLarge()
            return message

        async def tracking_send(message):
            # A body parser may catch the overflow and answer 400 on its own; the client
            # must hear the real reason, so that answer is replaced by the 413.
            if overflowed:
                if message["type"] == "http.response.start":
                    await refuse()
                return
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if status_holder["status"] != 413:
                await refuse()
        except Exception:
            # The error handler outside this middleware answers 500; the access log must say so too.
            self._log(scope, 500, started, request_id)
            raise
        self._log(scope, status_holder["status"], started, request_id)

    @staticmethod
    def _log(scope, status, started, request_id) -> None:
        route = scope.get("route")
        # The route template, not the raw path: paths carry ids of people.
        path = getattr(route, "path", None) or "(unmatched)"
        log.info(json.dumps({"event": "request", "request_id": request_id, "method": scope.get("method"),
                             "route": path, "status": status,
                             "ms": round((time.perf_counter() - started) * 1000, 2)}))


class _TooLarge(Exception):
    """Raised from the receive wrapper once the body passes the limit."""
