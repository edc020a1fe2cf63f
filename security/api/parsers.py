"""JSON that is too deeply nested is a 400 like any other unreadable body: Python's
decoder raises RecursionError for it, which DRF's JSONParser (catching ValueError)
lets through as a 500."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
