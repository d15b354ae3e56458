"""The synthetic corpora of `python -m benchmarks.bench --parts sizes` (benchmarks.synthetic): real text recombined, deterministic, unique."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from benchmarks.synthetic import PooledEmbedder, RealText, real_text, synthetic_corpus
from index.disk.storage import load_index
from index.embedders import normalised
from index.pipeline import build_index

from fakes import FakeEmbedder


@pytest.fixture(scope="module")
def text() -> dict[str, RealText]:
    return real_text()


def test_the_same_size_and_seed_give_the_same_corpus(text: dict[str, RealText]) -> None:
    first, again = synthetic_corpus(300, seed=7, text=text), synthetic_corpus(300, seed=7, text=text)
    assert first.corpus == again.corpus
    assert first.corpus.checksum == again.corpus.checksum


def test_another_seed_gives_another_corpus(text: dict[str, RealText]) -> None:
    assert synthetic_corpus(300, seed=1, text=text).corpus.entries != synthetic_corpus(300, seed=2, text=text).corpus.entries


@pytest.mark.parametrize("size", [1, 12, 400, 3000])
def test_ids_titles_and_sections_are_unique(text: dict[str, RealText], size: int) -> None:
    entries = synthetic_corpus(size, text=text).corpus.entries
    assert len(entries) == size
    assert len({e.id for e in entries}) == size
    assert len({e.question for e in entries}) == size
    sections = Counter(e.section for e in entries)
    assert max(sections.values()) <= 25
    # a section is one run of entries in one language
    assert all(len({e.lang for e in entries if e.section == s}) == 1 for s in sections)


def test_every_sentence_comes_from_a_real_answer(text: dict[str, RealText]) -> None:
    synthetic = synthetic_corpus(200, text=text)
    real_sentences = {s for t in text.values() for s in t.sentences}
    real_questions = {q for t in text.values() for q in t.questions}
    for e in synthetic.corpus.entries:
        assert all(piece in real_sentences for piece in synthetic.pieces[e.answer])
        question, section = synthetic.pieces[e.question]
        assert question in real_questions and e.question == f"{question} ({e.section})"
        assert len(e.answer) <= 1000


def test_both_languages_of_the_real_text_appear_in_a_large_corpus(text: dict[str, RealText]) -> None:
    langs = Counter(e.lang for e in synthetic_corpus(2000, text=text).corpus.entries)
    assert set(langs) == {"en", "fr"} and langs["en"] > langs["fr"]


def test_a_size_under_one_is_refused(text: dict[str, RealText]) -> None:
    with pytest.raises(ValueError, match="at least one entry; got size 0"):
        synthetic_corpus(0, text=text)


def test_pooled_vectors_are_the_length_weighted_mean_of_the_pieces(text: dict[str, RealText]) -> None:
    synthetic = synthetic_corpus(30, text=text)
    model = FakeEmbedder()
    pooled = PooledEmbedder(model, synthetic)
    entry = synthetic.corpus.entries[0]
    question, section = synthetic.pieces[entry.question]
    expected = normalised((len(question) * model.encode_queries([question]) + len(section) * model.encode_queries([section])) / 2)
    np.testing.assert_allclose(pooled.encode_queries([entry.question]), expected, atol=1e-6)


def test_pooled_embedder_embeds_other_texts_with_the_real_model(text: dict[str, RealText]) -> None:
    synthetic = synthetic_corpus(30, text=text)
    model = FakeEmbedder()
    pooled = PooledEmbedder(model, synthetic)
    question = "Combien de temps dure la garantie ?"
    np.testing.assert_array_equal(pooled.encode_queries([question]), model.encode_queries([question]))
    assert pooled.name == model.name and pooled.dim == model.dim


def test_an_index_built_with_pooled_vectors_opens_with_the_real_model(text: dict[str, RealText], tmp_path) -> None:
    synthetic = synthetic_corpus(60, text=text)
    model = FakeEmbedder()
    build_index(synthetic.corpus, [PooledEmbedder(model, synthetic)], tmp_path / "index")
    index = load_index(tmp_path / "index", model.name)
    assert index.manifest.entry_count == 60 and index.manifest.vector_count == 120
