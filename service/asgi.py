"""`uvicorn service.asgi:app`: the app configured from FAQ_* variables, for process managers and workers."""

from service.app import create_app

app = create_app()
