"""Known phrasings count as much as the entry's own question only where the dev questions say they help."""

import pytest

from faq.retrieval import RetrievalConfig
from index import build_index, load_index
from index.deciding.calibrate import read_labelled
from index.pipeline import fit
from ingest.corpus import with_phrasings

from conftest import CALIBRATION_SET

pytestmark = pytest.mark.model


def _fitted_discount(corpus, phrasings, tmp_path, embedder, use_embedder) -> float:
    path = tmp_path / "index"
    build_index(with_phrasings(corpus, phrasings), [embedder, use_embedder], path)
    searcher, _ = fit(load_index(path), RetrievalConfig(), [embedder, use_embedder], read_labelled(CALIBRATION_SET, "dev"))
    return searcher.learnt.phrasing_discount


@pytest.mark.slow
def test_misleading_phrasings_are_discounted(corpus, tmp_path, embedder, use_embedder):
    # every entry "knows" the next entry's question: a phrasing an agent confirmed by mistake, twelve times
    entries = corpus.entries
    swapped = {e.id: (entries[(i + 1) % len(entries)].question,) for i, e in enumerate(entries)}
    assert _fitted_discount(corpus, swapped, tmp_path, embedder, use_embedder) > 0


@pytest.mark.slow
def test_faithful_phrasings_are_not_discounted(corpus, tmp_path, embedder, use_embedder):
    faithful = {"enigme-ba793-faq:2.3": ("Où en est mon colis ?",), "enigme-ba793-faq:4.3": ("Quand serai-je remboursé ?",)}
    assert _fitted_discount(corpus, faithful, tmp_path, embedder, use_embedder) == 0.0
