"""Every HTTP request the adapters send, counted in prometheus_client's default registry (the
daemon serves it with its own metrics, `syncd.service.metrics`)."""

from __future__ import annotations

from prometheus_client import Counter

API_REQUESTS = Counter(
    "syncd_api_requests",
    "HTTP requests sent to Google and Zoom (token requests included), by answer: the HTTP "
    'status, or "error" when none came (a timeout, a refused connection)',
    ["api", "status"],
)


def count_request(api: str, status: int | None) -> None:
    API_REQUESTS.labels(api, "error" if status is None else str(status)).inc()
