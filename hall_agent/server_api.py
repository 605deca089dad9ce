"""The agent's calls to the server's JSON API: small, synchronous, with a bearer token."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from http.client import HTTPException
from typing import Any
from urllib.parse import urlencode

TIMEOUT = 5.0
API_PREFIX = "/api/v1"  # the server's hallq.present.API_PREFIX (importing hallq would bring Flask)


class Unreachable(Exception):
    """No answer: the server is down or the network is cut. Worth trying again later."""


class Refused(Exception):
    """The server answered with an error: not worth repeating as it is."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(f"{status} {error}: {message}")
        self.status, self.error = status, error


class ServerApi:
    def __init__(self, server: str, token: str) -> None:
        self.server = server.rstrip("/")
        self.token = token

    def get(self, path: str, **query: Any) -> Any:
        return json.loads(self.call("GET", path, query=query) or b"null")

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        answer = self.call("POST", path, body=body)
        return json.loads(answer) if answer else None

    def call(self, method: str, path: str, *, query: dict[str, Any] | None = None, body: Any = None) -> bytes:
        url = f"{self.server}{API_PREFIX}{path}" + (f"?{urlencode(query)}" if query else "")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            if exc.code >= 500 or exc.code == 429:
                raise Unreachable(f"{url}: {exc.code}") from exc
            try:
                found = json.loads(exc.read())
            except ValueError:
                found = {}
            raise Refused(exc.code, found.get("error", ""), found.get("message", str(exc))) from exc
        except (urllib.error.URLError, HTTPException, OSError) as exc:
            raise Unreachable(f"{url}: {exc}") from exc
