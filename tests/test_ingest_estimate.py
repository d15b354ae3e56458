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


def test_faq_ingest_over_the_embedding_cap_is_refused_before_embedding(fake_everywhere, tmp_path):
    from cli.main import build
    from faq.errors import FaqError

    corpus = HELPCENTERS / "zendesk"
    settings = Settings(index_dir=tmp_path / "index", corpus=corpus, data_dir=tmp_path / "data", max_embed_chars=1000)
    with pytest.raises(FaqError, match=r"would embed \d+ texts of [\d,]+ characters .* over FAQ_MAX_EMBED_CHARS=1,000; "
                                       r"raise FAQ_MAX_EMBED_CHARS to index it"):
        build(corpus, tmp_path / "index", settings)
    assert not (tmp_path / "index").exists()


def test_faq_ingest_warns_of_a_long_embedding_with_its_estimate(fake_everywhere, tmp_path, capsys, monkeypatch):
    import ingest.workload
    from cli.main import build

    monkeypatch.setattr(ingest.workload, "WARN_EMBED_CHARS", 1000)
    corpus = HELPCENTERS / "zendesk"
    build(corpus, tmp_path / "index", Settings(index_dir=tmp_path / "index", corpus=corpus, data_dir=tmp_path / "data"))
    said = " ".join(capsys.readouterr().out.split())
    assert "large corpus: about" in said and said.index("large corpus") < said.index("indexed 8 entries")
