from security.access import access_channel, access_log_record, access_worth_logging


class AccessLogMiddleware:
    """Records API and admin actions in security.AccessLog (rules in security.access).

    Placed after AuthenticationMiddleware; DRF sets the API key user on the request
    when it authenticates, so the row names the key's user too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        channel = access_channel(request.path)
        if channel and access_worth_logging(request, response.status_code):
            access_log_record(request=request, status_code=response.status_code, channel=channel)
        return response
