"""The LangChain peer of `python -m benchmarks.peer` (issue 8) finds the right entry on the bundled FAQ, by entry id.

Needs the `st` and `bench` extras (pip install -e '.[st,bench]'); skipped without them. The e5 folder
is built once for this module (about 5 s, 470 MB in the session's tmp dir): test_st_backend's
`e5_folder` fixture lives in that module, not in conftest.py, so it cannot be shared from here.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from benchmarks.peer import PeerPipeline, build_peer, load_embeddings, peer_ask
from ingest import load_corpus
from tools.convert_e5 import convert_e5

# the extras are looked for, not imported: importing sentence-transformers (torch) takes seconds, and
# every pytest run collects this module, also the ones that deselect it (make test-fast)
MISSING = [m for m in ("sentence_transformers", "langchain_community", "langchain_huggingface") if importlib.util.find_spec(m) is None]

pytestmark = [pytest.mark.st, pytest.mark.model, pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)}: pip install -e '.[st,bench]'"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]  # langchain-community's sunset notice

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture(scope="module")
def peer(tmp_path_factory: pytest.TempPathFactory) -> PeerPipeline:
    folder = convert_e5(tmp_path_factory.mktemp("peer") / "multilingual-e5-small").path
    return build_peer(CORPUS, load_embeddings(folder))


def test_warranty_question_finds_the_warranty_entry(peer: PeerPipeline) -> None:
    ranked = peer_ask(peer, "Combien de temps dure la garantie ?")
    assert "enigme-ba793-faq:3.1" in ranked[:3], ranked


def test_results_are_the_corpus_entry_ids(peer: PeerPipeline) -> None:
    entry_ids = {e.id for e in load_corpus(CORPUS).entries}
    ranked = peer_ask(peer, "How do I return a watch?")
    assert peer.entry_ids == entry_ids
    assert len(ranked) == min(10, len(entry_ids)) == len(set(ranked))
    assert set(ranked) <= entry_ids


def test_e5_prompts_reach_the_model(peer: PeerPipeline) -> None:
    """The peer must embed like e5 expects ("query: " / "passage: "), or the comparison would handicap it."""
    if peer.prompts != "prompt_name":
        pytest.skip("this langchain-huggingface prefixes texts itself")
    model = peer.store.embedding_function
    question = "Combien de temps dure la garantie ?"
    by_prompt = model.embed_query(question)
    by_hand = model._client.encode(f"query: {question}", normalize_embeddings=True)
    assert sum(a * b for a, b in zip(by_prompt, by_hand)) > 0.9999
