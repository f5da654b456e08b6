"""Translating transport failures into the fetcher's two outcomes: retry, or give up with a reason.

Reasons are plain words a user can act on ("cannot connect to example.com
(connection refused)"), never a traceback.
"""

from __future__ import annotations

import os

import aiohttp
from yarl import URL

from lookup.models import Status
from scrapers.base import FetchError
from scrapers.pacing import host_label

_TIMES = {1: "once", 2: "twice", 3: "three times"}


class Transient(Exception):
    """One attempt failed in a way that another attempt may fix."""

    def __init__(
        self,
        status: Status,
        reason: str,
        retry_after: float | None = None,
        *,
        unheard: bool = False,
        unreachable: bool = False,
    ):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.retry_after = retry_after
        self.unheard = unheard  # the server surely did not act on it: safe to repeat even a POST
        self.unreachable = unreachable  # no connection could be made at all


class Unreachable(FetchError):
    """The host cannot be reached at all: its name does not resolve, or every attempt to
    connect failed. The fetcher stops asking it for a while (see ``unreachable_pause``)."""


def translate_error(exc: Exception, url: URL) -> Transient | FetchError:
    """Map an aiohttp, OS or request-building error to a retryable or final failure."""
    host = host_label(url)
    if isinstance(exc, aiohttp.ClientPayloadError):
        return Transient(Status.ERROR, f"the response from {host} was cut short")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return Transient(Status.ERROR, f"{host} closed the connection without answering")
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return Unreachable(Status.ERROR, f"cannot find the host {url.host}")
    if isinstance(exc, aiohttp.ClientSSLError):
        return FetchError(Status.ERROR, f"secure connection to {host} failed: {first_line(exc)}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return Transient(Status.ERROR, f"cannot connect to {host} ({os_reason(exc)})", unheard=True, unreachable=True)
    if isinstance(exc, (aiohttp.ClientConnectionError, ConnectionError)):
        return Transient(Status.ERROR, f"the connection to {host} broke ({describe(exc)})")
    if isinstance(exc, aiohttp.TooManyRedirects):
        return FetchError(Status.ERROR, f"{host} redirected too many times")
    if isinstance(exc, aiohttp.ClientResponseError):
        return Transient(Status.ERROR, f"{host} sent a malformed HTTP response ({first_line(exc.message)})")
    if isinstance(exc, aiohttp.ClientError):
        return FetchError(Status.ERROR, f"request to {host} failed: {describe(exc)}")
    if isinstance(exc, OSError):  # the download's own file: disk full, permission denied
        return FetchError(Status.ERROR, f"cannot save the response from {host}: {describe(exc)}")
    # ValueError / TypeError: a request aiohttp refuses to build (bad header, unserialisable JSON)
    return FetchError(Status.ERROR, f"cannot send the request to {host}: {describe(exc)}")


def give_up(failures: list[Transient]) -> FetchError:
    """The final error after the last attempt: "HTTP 500 Internal Server Error three times"."""
    last = failures[-1]
    count = len(failures)
    kind = Unreachable if all(f.unreachable for f in failures) else FetchError
    if count == 1:
        return kind(last.status, last.reason)
    if all(f.reason == last.reason for f in failures):
        return kind(last.status, f"{last.reason} {_TIMES.get(count, f'{count} times')}")
    return kind(last.status, f"{last.reason} (after {count} attempts)")


def os_reason(exc: OSError) -> str:
    return os.strerror(exc.errno).lower() if exc.errno else describe(exc)


def first_line(text: object, limit: int = 120) -> str:
    lines = str(text).strip().splitlines()
    line = lines[0].rstrip(": ") if lines else "no details"
    return line if len(line) <= limit else line[: limit - 1] + "…"


def describe(exc: BaseException) -> str:
    text = first_line(exc) if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
