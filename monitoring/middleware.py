"""Request latency, throughput and errors per endpoint, for /metrics.

Endpoints are URL names ("admin:index", "health-ready"), never raw paths: a scanner
probing thousands of paths adds one label value ("<unmatched>"), not thousands."""

import time

from monitoring.prometheus import LATENCY, REQUESTS

UNMATCHED = "<unmatched>"


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        endpoint = endpoint_name(request)
        LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        REQUESTS.labels(endpoint, request.method, f"{response.status_code // 100}xx").inc()
        return response


def endpoint_name(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED
    return match.view_name or match.route or UNMATCHED
