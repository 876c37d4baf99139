"""Cursor pagination on every list (stable under inserts; no counts)."""

from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-created_at", "-id")


class ReceivedCursorPagination(ApiCursorPagination):
    ordering = ("-received_at", "-id")
