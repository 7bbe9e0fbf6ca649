"""The shared machinery of the local API simulators.

A `SimServer` is a threaded HTTP server on 127.0.0.1 (an ephemeral port unless one is given)
with a request log that tests use to count calls, and per-route fault injection: a status with
a body, added latency, or a hang. Subclasses declare routes and format errors the way the API
they imitate does.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

logging.getLogger("werkzeug").setLevel(logging.ERROR)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the simulator received it."""

    route: str
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Fault:
    """What an injected fault does to the next `times` requests of a route (None: all)."""

    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    latency: float = 0.0
    hang: float = 0.0
    times: int | None = 1
    action: Callable[[], None] | None = None
    """Run before the request is handled, e.g. a user's edit racing syncd's write."""


class ApiError(Exception):
    """Raised by a handler to answer with an error in the API's own format."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


class TokenBucket:
    """`rate` requests a second, a second's worth of them at once (real time)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._capacity = max(1.0, rate)
        self._tokens = self._capacity
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> float | None:
        """Spend one request; None if allowed, else the seconds until one would be."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens < 1:
                return (1 - self._tokens) / self.rate
            self._tokens -= 1
            return None


@dataclass(frozen=True)
class Load:
    """How busy a simulator was since the last `take_load()`, over all routes."""

    busy_seconds: float
    """Time requests spent being handled, summed over requests (overlaps count twice)."""
    peak_in_flight: int
    """The most requests handled at once."""


Handler = Callable[..., Response]


class SimServer:
    """Base class: subclasses implement `rules()` and `not_found_error()`."""

    def __init__(self, *, port: int = 0, latency: float = 0.0) -> None:
        self.latency = latency
        self.requests: list[RecordedRequest] = []
        self._faults: dict[str, list[Fault]] = {}
        self._in_flight: Counter[str] = Counter()
        self._busy_seconds = 0.0
        self._peak_in_flight = 0
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._url_map = Map(list(self.rules()))
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- to be provided by subclasses -------------------------------------------------------
    def rules(self) -> Iterable[Rule]:
        raise NotImplementedError

    def error_body(self, status: int, message: str) -> Any:
        raise NotImplementedError

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Self:
        self._server = make_server("127.0.0.1", self._port, self._wsgi, threaded=True)
        # serve_forever polls for shutdown(); its default 0.5 s made every stop() take 0.5 s.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=type(self).__name__,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The server's root URL, without a trailing slash."""
        if self._server is None:
            raise RuntimeError("simulator not started")
        return f"http://127.0.0.1:{self._server.server_port}"

    # -- observation and faults --------------------------------------------------------------
    def count(self, route: str | None = None, method: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (route is None or r.route == route) and (method is None or r.method == method)
            )

    def calls(self, route: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if route is None or r.route == route]

    def in_flight(self, route: str) -> int:
        """Requests of a route received and not yet answered (a test's cue to act mid-step)."""
        with self._lock:
            return self._in_flight[route]

    def take_load(self) -> Load:
        """The busy time and peak concurrency since the last call; both start again from here
        (the peak from the requests still in flight)."""
        with self._lock:
            load = Load(self._busy_seconds, self._peak_in_flight)
            self._busy_seconds = 0.0
            self._peak_in_flight = self._in_flight.total()
            return load

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def inject(self, route: str, fault: Fault | None = None, **kwargs: Any) -> None:
        """Queue a fault for a route: `inject("events.list", status=503)`."""
        with self._lock:
            self._faults.setdefault(route, []).append(fault or Fault(**kwargs))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, route: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(route)
            if not queue:
                return None
            fault = queue[0]
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    queue.pop(0)
            return fault

    # -- request handling --------------------------------------------------------------------
    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        body = request.get_data()
        route, response = self._dispatch(request)
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    route=route,
                    method=request.method,
                    path=request.path,
                    query={k: request.args.getlist(k) for k in request.args},
                    headers=dict(request.headers),
                    body=body,
                    status=response.status_code,
                )
            )
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> tuple[str, Response]:
        adapter = self._url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except (NotFound, MethodNotAllowed) as exc:
            return "unrouted", self.json_response(
                exc.code or 404, self.error_body(404, "Not Found")
            )
        except HTTPException as exc:  # pragma: no cover - werkzeug redirects, not used
            return "unrouted", self.json_response(exc.code or 400, self.error_body(400, str(exc)))
        route = str(endpoint)
        with self._lock:
            self._in_flight[route] += 1
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight.total())
            began = time.perf_counter()
        try:
            return route, self._handle(route, request, values)
        finally:
            with self._lock:
                self._in_flight[route] -= 1
                self._busy_seconds += time.perf_counter() - began

    def _handle(self, route: str, request: Request, values: Mapping[str, Any]) -> Response:
        if self.latency:
            time.sleep(self.latency)
        fault = self._take_fault(route)
        if fault is not None:
            faulted = self._apply_fault(fault)
            if faulted is not None:
                return faulted
        handler: Handler = getattr(self, "on_" + route.replace(".", "_"))
        try:
            return handler(request, **values)
        except ApiError as err:
            return self.json_response(err.status, err.body, err.headers)

    def _apply_fault(self, fault: Fault) -> Response | None:
        if fault.action is not None:
            fault.action()
        if fault.latency:
            time.sleep(fault.latency)
        if fault.hang:
            self._stopping.wait(fault.hang)
        if fault.status is None:
            return None
        body = fault.body if fault.body is not None else self.error_body(fault.status, "injected")
        return self.json_response(fault.status, body, fault.headers)

    @staticmethod
    def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
        if body is None:
            return Response(status=status, headers=headers)
        return Response(
            json.dumps(body), status=status, headers=headers, mimetype="application/json"
        )
