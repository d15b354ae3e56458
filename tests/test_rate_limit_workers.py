"""FAQ_RATE_LIMIT_PER_MINUTE and FAQ_RATE_LIMIT_BURST are the limit per client address for the whole service:
with `faq serve --workers N`, each worker process enforces its 1/N share."""

import httpx
import pytest

from faq.settings import Settings
from service.middleware import RateLimit, per_worker

from fake_workers import two_fake_workers


def test_one_worker_enforces_the_whole_limit():
    assert per_worker(600, 60, workers=1) == (600, 60)


def test_two_workers_each_enforce_half_of_the_limit():
    assert per_worker(600, 60, workers=2) == (300, 30)


def test_a_worker_s_burst_never_falls_below_one_request():
    assert per_worker(600, 3, workers=4) == (150, 1)


def test_the_app_takes_its_share_from_the_workers_setting(fake_index_dir, fake_models, tmp_path):
    from service import create_app

    app = create_app(Settings(index_dir=fake_index_dir, data_dir=tmp_path, rate_limit_per_minute=600, rate_limit_burst=60,
                              workers=2), models=fake_models)
    [limit] = [m for m in app.user_middleware if m.cls is RateLimit]
    assert (limit.kwargs["per_minute"], limit.kwargs["burst"]) == (300, 30)


def test_faq_serve_says_each_worker_s_share_of_the_limit():
    from cli.main import rate_limit_line

    line = rate_limit_line(Settings(rate_limit_per_minute=600, rate_limit_burst=60, workers=2, _env_file=None))
    assert line == "rate limit per client address: 600/min, burst 60, shared out: 300/min, burst 30 in each of 2 workers"


@pytest.mark.slow  # two worker processes start: ~10-20 s
def test_two_workers_together_let_through_no_more_than_the_burst(fake_index_dir, tmp_path):
    burst, asked = 10, 40
    settings = {"FAQ_INDEX_DIR": str(fake_index_dir), "FAQ_DATA_DIR": str(tmp_path), "FAQ_RELOAD_POLL_SECONDS": "0",
                "FAQ_RATE_LIMIT_PER_MINUTE": "1", "FAQ_RATE_LIMIT_BURST": str(burst)}
    with two_fake_workers(settings) as base:
        statuses = [httpx.get(f"{base}/v1/helpcenter").status_code for _ in range(asked)]  # a new connection each
    assert set(statuses) == {200, 429}
    assert statuses.count(200) <= burst  # 1 a minute refills nothing meanwhile; each worker's own limit let 2 × burst through
