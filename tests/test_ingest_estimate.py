"""`faq ingest` says up front how much it will embed when that is long, and refuses past FAQ_MAX_EMBED_CHARS (issue #28, item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

import ingest.workload
from faq.errors import CorpusError
from faq.settings import Settings
from ingest import load_corpus
from ingest.workload import estimate_embedding

ZENDESK = Path(__file__).parent / "fixtures" / "helpcenters" / "zendesk"


# --- embedding: the work is said up front, and refused over FAQ_MAX_EMBED_CHARS -------------------


def write(folder: Path, name: str, content: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(content, encoding="utf-8")
    return folder / name


def test_the_estimate_counts_questions_and_the_chunks_of_long_answers(tmp_path):
    write(tmp_path, "faq.md", "## S\n### Q\n" + "x" * 100 + "\n### Long\n" + "y" * 2500 + "\n")
    work = estimate_embedding(load_corpus(tmp_path), max_chars=1200, overlap=200)
    # two questions; 1 chunk of 100 + "S Q" and 3 chunks of 2500 with 2 overlaps + 3 times "S Long"
    assert (work.texts, work.characters) == (2 + 1 + 3, len("Q") + len("Long") + 100 + 3 + 2500 + 2 * 200 + 3 * 6)


def test_a_short_embedding_says_nothing_and_a_long_one_says_how_long():
    assert estimate_embedding(load_corpus(ZENDESK)).warning() is None
    long = ingest.workload.EmbeddingWork(texts=40_000, characters=50_000_000)
    assert long.warning() == ("large corpus: about 67 min of embedding for 40,000 texts of 50,000,000 characters "
                              "(measured at ~12,500 characters a second on 2 cores)")


def test_faq_ingest_over_the_embedding_cap_is_refused_before_embedding(fake_everywhere, tmp_path):
    from cli.main import build

    corpus = ZENDESK
    settings = Settings(index_dir=tmp_path / "index", corpus=corpus, data_dir=tmp_path / "data", max_embed_chars=1000)
    with pytest.raises(CorpusError, match=r"the index would embed \d+ texts of [\d,]+ characters .* over FAQ_MAX_EMBED_CHARS=1,000; "
                                       r"raise FAQ_MAX_EMBED_CHARS to index it"):
        build(corpus, tmp_path / "index", settings)
    assert not (tmp_path / "index").exists()


def test_faq_ingest_warns_of_a_long_embedding_with_its_estimate(fake_everywhere, tmp_path, capsys, monkeypatch):
    from cli.main import build

    monkeypatch.setattr(ingest.workload, "WARN_EMBED_CHARS", 1000)
    corpus = ZENDESK
    build(corpus, tmp_path / "index", Settings(index_dir=tmp_path / "index", corpus=corpus, data_dir=tmp_path / "data"))
    said = " ".join(capsys.readouterr().out.split())
    assert "large corpus: about" in said and said.index("large corpus") < said.index("indexed 8 entries")
