"""Request bodies have a size limit before anything reads them.

Every route takes a JSON body of at most ``max_bytes`` (a sign-in, a link, an outcome:
a few hundred bytes); photo uploads keep their own documented cap (``PHOTO_MAX_BYTES``),
checked as they stream. A larger body is answered 413 in the JSON error shape without
being read to its end, whether it announces its length or streams in chunks.
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# the buyer's, the agent's (an inspection item's) and the agent's phone's photos
UPLOAD_PATH = re.compile(r"^/api/(sessions/[^/]+(/inspection)?|phone-camera)/photos$")
TUS_PATH = re.compile(r"^/api/uploads/[^/]+$")  # a case's chunks: capped in server.api.uploads


class BodyLimit:
    """ASGI middleware for the limit above (HTTP only)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (
            (scope["method"] == "POST" and UPLOAD_PATH.match(scope["path"]))
            or (scope["method"] == "PATCH" and TUS_PATH.match(scope["path"]))
        ):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        seen = 0
        started = refused = False

        async def counting_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(send)
                    return {"type": "http.disconnect"}  # the app stops reading
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; whatever the app answers is dropped
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception:
            if not refused:
                raise

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "error": {
                    "code": "too_large",
                    "message": f"the request body is over {self.max_bytes} bytes",
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
