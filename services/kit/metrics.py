"""Prometheus metrics: every service serves /metrics on its metrics port."""

from __future__ import annotations

from prometheus_client import Counter, Histogram, start_http_server

messages_consumed = Counter("meterpay_messages_consumed_total", "Messages handled", ["topic", "outcome"])
outbox_published = Counter("meterpay_outbox_published_total", "Outbox rows published", ["topic"])
outbox_failures = Counter("meterpay_outbox_failures_total", "Outbox publish attempts that failed")
handler_seconds = Histogram("meterpay_handler_seconds", "Time to handle one message", ["topic"])


def serve_metrics(port: int, host: str = "127.0.0.1") -> int:
    """Start the /metrics HTTP endpoint on host (loopback unless told); port 0 picks a free one. Returns the port."""
    server, _thread = start_http_server(port, addr=host)
    return server.server_port
