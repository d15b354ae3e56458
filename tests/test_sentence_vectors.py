"""Sentence vectors stored at build for short answers: what is stored, that answering uses them, and the fallback
for an index without them (index.disk.sentence_vectors)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from faq.errors import IndexError_, IndexMismatchError
from faq.retrieval import RetrievalConfig
from faq.text import normalize
from index import build_index, load_index
from index.deciding.short_answer import ShortAnswerer, sentence_texts, sentences
from index.disk.build import MANIFEST, passage_text
from index.disk.sentence_vectors import files
from index.pipeline import open_answerer
from index.ranking.lexical import analyzer

from fakes import RecordingEmbedder

QUESTION = "Quel est le délai de remboursement ?"


def without_sentence_vectors(index_dir, copy):
    """An index as built before sentence vectors were stored: no files, no `sentence_model` in the manifest."""
    shutil.copytree(index_dir, copy)
    manifest = json.loads((copy / MANIFEST).read_text())
    for name in files(manifest.pop("sentence_model")):
        (copy / name).unlink()
    (copy / MANIFEST).write_text(json.dumps(manifest))
    return copy


def sentence_model(index_dir: Path) -> str:
    """The model whose sentence vectors the index keeps; the test fails when it keeps none."""
    model = load_index(index_dir).manifest.sentence_model
    assert model is not None, "the index keeps no sentence vectors"
    return model


def test_build_stores_the_sentence_models_vector_of_each_sentence(fake_index_dir, fake_use_embedder):
    index = load_index(fake_index_dir)
    stored = index.sentence_vectors
    assert stored is not None and index.manifest.sentence_model == stored.model == fake_use_embedder.name
    by_passage = stored.by_passage(index.records.chunks)
    several = [c.text for c in index.records.chunks if len(sentences(c.text)) > 1]
    assert sorted(by_passage) == sorted(several) and len(several) == 11  # the one-sentence chunk has none
    for text, (spans, vectors) in by_passage.items():
        assert spans == tuple(sentences(text))
        np.testing.assert_allclose(vectors, fake_use_embedder.encode_passages(sentence_texts(text, spans)), atol=1e-6)


def test_build_without_the_sentence_model_stores_no_sentence_vectors(corpus, fake_embedder, tmp_path):
    manifest = build_index(corpus, [fake_embedder], tmp_path / "index")
    assert manifest.sentence_model is None
    assert not list((tmp_path / "index").glob("sentences.*"))
    assert load_index(tmp_path / "index").sentence_vectors is None


def test_build_embeds_each_distinct_sentence_once(corpus, fake_embedder, fake_use_embedder, tmp_path):
    use = RecordingEmbedder(fake_use_embedder)
    build_index(corpus, [fake_embedder, use], tmp_path / "index")
    index = load_index(tmp_path / "index")
    passages = {passage_text(c) for c in index.records.chunks}
    embedded = [t for call in use.passage_calls for t in call if t not in passages]
    assert index.sentence_vectors is not None
    stored = [normalize(index.records.chunks[c].text[a:b]) for c, a, b in index.sentence_vectors.spans]
    assert (len(stored), len(embedded)) == (36, 35)  # one sentence stands in two answers
    assert sorted(embedded) == sorted(set(stored))


def test_answering_embeds_no_sentence_of_an_index_that_stores_them(fake_index_dir, fake_embedder, fake_use_embedder):
    use = RecordingEmbedder(fake_use_embedder)
    answer = open_answerer(fake_index_dir, RetrievalConfig(), [fake_embedder, use]).answer(QUESTION)
    assert answer.short_answer is not None
    assert use.passage_calls == []


def test_an_index_without_sentence_vectors_embeds_the_passages_sentences_once(fake_index_dir, fake_embedder,
                                                                              fake_use_embedder, tmp_path):
    older = without_sentence_vectors(fake_index_dir, tmp_path / "older")
    assert load_index(older).sentence_vectors is None
    use = RecordingEmbedder(fake_use_embedder)
    answerer = open_answerer(older, RetrievalConfig(), [fake_embedder, use])
    first = answerer.answer_uncached(QUESTION, 5)
    answerer.answer_uncached(QUESTION, 5)
    top = first.hits[0].chunk.text
    assert use.passage_calls == [sentence_texts(top, sentences(top))]  # once: the passage's vectors are remembered


def test_stored_and_embedded_sentence_vectors_give_the_same_short_answers(fake_index_dir, fake_embedder, fake_use_embedder,
                                                                         tmp_path):
    older = without_sentence_vectors(fake_index_dir, tmp_path / "older")
    stored = open_answerer(fake_index_dir, RetrievalConfig(), [fake_embedder, fake_use_embedder])
    embedded = open_answerer(older, RetrievalConfig(), [fake_embedder, fake_use_embedder])
    questions = [e.question for e in load_index(fake_index_dir).records.entries] + [QUESTION, "livraison gratuite ?"]
    answers = [(stored.answer_uncached(q, 5).short_answer, embedded.answer_uncached(q, 5).short_answer) for q in questions]
    assert sum(a is not None for a, _ in answers) >= 10
    assert all(a == b for a, b in answers)


def test_stored_vectors_of_other_sentences_are_not_used(fake_use_embedder):
    passage = "La garantie couvre deux ans. Les frais de port sont offerts."
    wrong = ((0, 10), (11, 30))  # as a splitter other than today's would have cut the passage
    use = RecordingEmbedder(fake_use_embedder)
    extractor = ShortAnswerer(analyzer("fr"), use, {passage: (wrong, np.zeros((2, use.dim), np.float32))})
    extractor.extract("frais de port ?", passage)
    assert use.passage_calls == [sentence_texts(passage, sentences(passage))]


def test_truncated_sentence_vectors_are_a_clear_error(fake_index_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(fake_index_dir, copy)
    vectors_file, _ = files(sentence_model(fake_index_dir))
    vectors = np.load(copy / vectors_file)
    np.save(copy / vectors_file, vectors[:-1])
    with pytest.raises(IndexError_, match=r"sentence vectors of .* are inconsistent \(spans are \(36, 3\) int32, not \(35, 3\)"):
        load_index(copy)


def test_missing_sentence_vectors_named_by_the_manifest_are_a_clear_error(fake_index_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(fake_index_dir, copy)
    _, spans_file = files(sentence_model(fake_index_dir))
    (copy / spans_file).unlink()
    with pytest.raises(IndexError_, match="sentence vectors of .* cannot be read .*Rebuild the index with: faq ingest"):
        load_index(copy)


@pytest.mark.model
def test_uses_batched_sentence_vectors_are_the_ones_it_gives_a_passage_alone(index_dir, use_embedder):
    """The build embeds sentences of many passages together, longest first: USE pads a batch to its longest
    sentence, which must not move a vector (a short answer would then depend on how the index was built)."""
    index = load_index(index_dir)
    assert index.sentence_vectors is not None
    for text, (spans, vectors) in index.sentence_vectors.by_passage(index.records.chunks).items():
        np.testing.assert_allclose(vectors, use_embedder.encode_passages(sentence_texts(text, spans)), atol=1e-5)


def test_sentence_vectors_of_a_model_the_index_was_not_built_with_are_a_clear_error(fake_index_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(fake_index_dir, copy)
    manifest = json.loads((copy / MANIFEST).read_text())
    manifest["sentence_model"] = "usem3-other:model"
    (copy / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="stores sentence vectors of 'usem3-other:model', which is not one of its embedders"):
        load_index(copy)
