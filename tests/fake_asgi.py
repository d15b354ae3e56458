"""`service.asgi` with the fake models (tests/fakes.py): what a test starts as several uvicorn workers."""

from fakes import FakeEmbedder, fake_use

from service import create_app
from service.log_config import configure_logging

configure_logging()
app = create_app(models=[FakeEmbedder(), fake_use()])
