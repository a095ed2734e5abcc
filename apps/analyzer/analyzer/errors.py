"""The one exception type for rejected client input."""

from __future__ import annotations


class ClientError(Exception):
    """Input the analyzer refuses: HTTP status, stable error code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
