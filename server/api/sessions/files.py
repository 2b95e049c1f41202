"""Evidence files as HTTP responses: range requests (a player seeking in a recording),
never cached outside the browser's memory, errors in the API's JSON shape."""

from __future__ import annotations

import json
import re

from fastapi import Request
from fastapi.responses import FileResponse
from starlette.responses import MalformedRangeHeader
from starlette.types import Message, Receive, Scope, Send

from server.api.errors import error_body
from server.errors import NotFound
from server.storage import Storage, StorageError

FILE_CACHE_CONTROL = "private, no-store"  # evidence never lands in shared or disk caches
_RANGE_START = re.compile(r"^\s*bytes\s*=\s*(\d+)-")


class RangeFileResponse(FileResponse):
    """A file answered with HTTP range support: one range gives 206 with Content-Range,
    a range starting past the end 416, and a malformed Range header or several ranges are
    ignored (the whole file, 200), as RFC 9110 section 14.2 allows (Starlette's own answer
    would be 400, or a multipart/byteranges body)."""

    serves_ranges = True  # server.api.openapi documents Range, 206 and 416 on its routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """As FileResponse, but a 416 carries the JSON error body like every other error."""
        body = json.dumps(
            error_body("range_not_satisfiable", "the requested range starts past the file's end")
        ).encode()

        async def json_416(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 416:
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"content-type", b"content-length")
                ]
                headers += [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ]
                message = {**message, "headers": headers}
                self._json_416 = True
            elif message["type"] == "http.response.body" and getattr(self, "_json_416", False):
                message = {**message, "body": body, "more_body": False}
            await send(message)

        await super().__call__(scope, receive, json_416)

    @classmethod
    def _parse_range_header(cls, http_range: str, file_size: int) -> list[tuple[int, int]]:
        try:
            ranges = super()._parse_range_header(http_range, file_size)
        except MalformedRangeHeader:
            return []  # no usable range: the whole file
        # several ranges would be a multipart/byteranges answer; a player asks for one, so
        # several get the whole file (RFC 9110 lets a server ignore Range)
        return ranges if len(ranges) <= 1 else []


def evidence_file(storage: Storage, key: str, media_type: str) -> RangeFileResponse:
    """The stored file ``key`` as a range response (``Cache-Control: private, no-store``,
    shown inline). NotFound when storage has no local file for the key."""
    try:
        path = storage.local_path(key)
    except StorageError:
        raise NotFound("the file is not available") from None
    return RangeFileResponse(
        path,
        media_type=media_type,
        headers={"Cache-Control": FILE_CACHE_CONTROL, "Content-Disposition": "inline"},
    )


def opens_file(request: Request) -> bool:
    """Whether the request starts watching a file: no Range header (or one that is not a
    byte range), or a byte range from byte 0."""
    found = _RANGE_START.match(request.headers.get("range", ""))
    return found is None or int(found.group(1)) == 0
