"""Quality floors with the default configuration, set just below what was measured: a regression fails CI.

Measured on 2026-11-28 (test split, default configuration): watch-faq hit@1 0.828, hit@3 0.966,
end-to-end 0.797; quebec-fr (test half) hit@1 0.768, MRR 0.839. The floors sit one or two questions
below, so that losing one of the things calibration learns fails them.
"""

import pytest

from eval.clients import in_process
from eval.datasets import load_dataset
from eval.run import evaluate
from eval.systems import SYSTEMS, build_system

pytestmark = pytest.mark.model


def measure(dataset: str, split: str, tmp_cache) -> dict:
    full = load_dataset(dataset)
    run = evaluate(full.split(split), in_process(build_system(SYSTEMS["default"], full, tmp_cache)), "default", show_progress=False)
    return run["overall"]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("eval-index")


def test_watch_faq_test_split_floor(cache):
    m = measure("watch-faq", "test", cache)
    # measured 0.828 / 0.966 / 0.797 (58 in-scope questions: one is 0.017; 74 questions: one is 0.0135).
    # Without background words hit@1 is 0.741; without known out-of-scope questions end-to-end is 0.770.
    assert m["hit@1"] >= 0.79
    assert m["hit@3"] >= 0.93
    assert m["end_to_end_accuracy"] >= 0.775


@pytest.mark.slow
def test_quebec_fr_paraphrases_floor(cache):
    m = measure("quebec-fr", "all", cache)
    assert m["questions"] == 662
    # measured 0.770 / 0.843; 0.745 / 0.819 without the query bank
    assert m["hit@1"] >= 0.755
    assert m["mrr@10"] >= 0.83
