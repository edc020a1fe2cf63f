"""/metrics for Prometheus, /health/live and /health/ready for load balancers and
orchestrators. None of them uses a session: /metrics takes an optional bearer token."""

import hmac

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from monitoring.health import health_ready
from monitoring.prometheus import CONTENT_TYPE, metrics_render


@never_cache
@require_safe
def metrics(request):
    if not _token_ok(request):
        response = HttpResponse("A valid bearer token is required.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body = metrics_render(cache_seconds=settings.MONITORING_METRICS_CACHE_SECONDS)
    return HttpResponse(body, content_type=CONTENT_TYPE)


def _token_ok(request) -> bool:
    expected = settings.MONITORING_METRICS_TOKEN
    if not expected:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), expected)


@never_cache
@require_safe
def live(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def ready(request):
    result = health_ready(now=timezone.now())
    return JsonResponse(result, status=200 if result["status"] == "ok" else 503)
