"""HTTP service: FastAPI app over a loaded index. Never parses corpora."""

from service.app import create_app

__all__ = ["create_app"]
