"""Cursor pagination that answers a forged or damaged cursor with 404, never 500.

DRF checks that a cursor decodes, not that its position fits the ordering field: a
cursor whose position is "abc" for an id ordering reaches the queryset and raises
there (ValueError for numbers, ValidationError for dates). Every API list uses this."""

from django.core.exceptions import ValidationError
from rest_framework import pagination
from rest_framework.exceptions import NotFound


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, OverflowError, ValidationError):
            if not request.query_params.get(self.cursor_query_param):
                raise  # not the cursor's fault: a bug, reported as one
            # Raised while the cursor's position is turned into a filter value.
            raise NotFound(self.invalid_cursor_message) from None


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """The default for short lists (projects, accounts, sources). `limit` is capped;
    `offset` too, past any table's size: a larger number overflows the database's
    integers (PostgreSQL refuses it, SQLite's driver cannot bind it)."""

    max_limit = 200
    max_offset = 2**31 - 1

    def get_offset(self, request) -> int:
        return min(super().get_offset(request), self.max_offset)
