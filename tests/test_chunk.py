"""Chunking: one chunk per entry when it fits; long answers split with overlap; stable ids and spans."""

import pytest

from ingest import chunk_entries, load_corpus
from ingest.decode import read_text

from conftest import CORPUS, SEED


def test_each_seed_entry_is_one_chunk(corpus):
    chunks = chunk_entries(corpus)
    assert len(chunks) == 12
    assert [c.entry_id for c in chunks] == [e.id for e in corpus.entries]
    assert all(c.parts == 1 and c.text == e.answer for c, e in zip(chunks, corpus.entries))


def test_chunk_ids_are_stable_for_the_same_input():
    first = [c.id for c in chunk_entries(load_corpus(CORPUS), max_chars=250, overlap=50)]
    second = [c.id for c in chunk_entries(load_corpus(CORPUS), max_chars=250, overlap=50)]
    assert first == second
    assert first[0] == "enigme-ba793-faq:1.1#0"


def test_long_answers_split_with_overlap_and_exact_spans(corpus):
    source = read_text(SEED)
    chunks = chunk_entries(corpus, max_chars=120, overlap=40)
    payment = [c for c in chunks if c.entry_id.endswith(":1.1")]
    assert len(payment) >= 5
    assert all(len(c.text) <= 120 for c in payment)
    for chunk in chunks:
        assert source[chunk.start : chunk.end] == chunk.text
        assert chunk.section and chunk.question and chunk.document_title == "Série Énigme BA-793 — FAQ"
    assert any(b.start < a.end for a, b in zip(payment, payment[1:]))  # pieces cut inside a paragraph overlap
    assert [c.part for c in payment] == list(range(len(payment)))


@pytest.mark.model
def test_short_answer_source_offsets_point_into_the_file(client):
    from ingest.decode import read_text

    body = client.post("/v1/query", json={"question": "combien de temps dure la garantie ?"}).json()
    answer = body["answer"]
    assert read_text(SEED)[answer["source_start"] : answer["source_end"]] == answer["text"]
    assert "24 mois" in answer["text"]
