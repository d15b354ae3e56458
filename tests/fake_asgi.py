"""`service.asgi` with the fake models (tests/fakes.py): what a test starts as several uvicorn workers."""

from service import create_app
from service.log_config import configure_logging

from fakes import FakeEmbedder, fake_use

configure_logging()
app = create_app(models=[FakeEmbedder(), fake_use()])
