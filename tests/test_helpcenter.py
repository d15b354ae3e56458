"""helpcenter.json: the help center's own name, contacts and topics, read beside the corpus and served to the pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from faq.errors import FaqError, HelpCenterError
from faq.settings import Settings
from ingest import load_corpus
from ingest.corpus import corpus_files
from ingest.helpcenter import FILE_NAME, HelpCenter, helpcenter_path, load_helpcenter
from service import create_app

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
BIKES = {
    "name": "VéloCité Aide",
    "tagline": {"fr": "Location de vélos en ville", "en": "City bike rental"},
    "contact": {"email": "aide@velocite.example", "phone": "+33 1 23 45 67 89", "hours": "7 j/7, 8 h – 20 h",
                "url": "https://velocite.example/contact"},
    "topics": ["location", "casques"],
    "default_language": "fr",
}


def write(folder: Path, data: object, name: str = FILE_NAME) -> Path:
    path = folder / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_valid_file_is_read_whole(tmp_path):
    write(tmp_path, BIKES)
    hc = load_helpcenter(tmp_path)
    assert hc.name == "VéloCité Aide"
    assert hc.contact.email == "aide@velocite.example" and hc.contact.url == "https://velocite.example/contact"
    assert hc.topics == ("location", "casques") and hc.default_language == "fr"
    with pytest.raises(ValidationError):  # frozen: the service shares one instance between requests
        hc.name = "other"  # type: ignore[misc]


def test_no_file_gives_neutral_defaults_with_no_contact(tmp_path):
    hc = load_helpcenter(tmp_path)
    assert hc == HelpCenter()
    assert hc.name == "Help center" and hc.contact.is_empty() and hc.topics == ()


def test_the_file_sits_in_the_corpus_folder_or_beside_a_single_file(tmp_path):
    faq = tmp_path / "shop.fr.md"
    faq.write_text("# Shop\n\n## S\n\n### Q?\n\nA.\n", encoding="utf-8")
    assert helpcenter_path(tmp_path) == tmp_path / FILE_NAME
    assert helpcenter_path(faq) == tmp_path / FILE_NAME
    write(tmp_path, BIKES)
    assert load_helpcenter(faq).name == "VéloCité Aide"
    assert corpus_files(tmp_path) == [faq]  # helpcenter.json is never taken for a FAQ file


def test_the_bundled_corpus_keeps_its_watch_shop_contacts():
    hc = load_helpcenter(CORPUS)
    assert hc.name == "Centre d'aide BTOMIC" and hc.contact.email == "service@btomic.com"
    assert hc.contact.phone == "+1 (347) 459-1491" and hc.default_language == "fr"
    assert {"livraison", "garantie"} <= set(hc.topics)
    assert len(load_corpus(CORPUS).documents) == 1


def test_faq_helpcenter_overrides_and_must_exist(tmp_path):
    other = write(tmp_path, {"name": "Elsewhere"}, "brand.json")
    assert load_helpcenter(CORPUS, other).name == "Elsewhere"
    with pytest.raises(HelpCenterError, match="FAQ_HELPCENTER") as caught:
        load_helpcenter(CORPUS, tmp_path / "missing.json")
    assert caught.value.path.endswith("missing.json")


@pytest.mark.parametrize(("data", "field", "says"), [
    ({"name": "X", "colour": "red"}, "colour", "unknown field; allowed here: name, tagline, contact, topics, default_language"),
    ({"contact": {"mail": "a@b.c"}}, "contact.mail", "allowed here: email, phone, hours, url"),
    ({"contact": {"email": "not-an-address"}}, "contact.email", "support@example.com"),
    ({"contact": {"url": "javascript:alert(1)"}}, "contact.url", "https://example.com/contact"),
    ({"contact": {"phone": "call us"}}, "contact.phone", "not a phone number"),
    ({"default_language": "French"}, "default_language", "two-letter"),
    ({"topics": ["x" * 41]}, "topics", "1 to 40 characters"),
    ({"name": ""}, "name", "at least 1 character"),
    ({"tagline": {"French": "Bonjour"}}, "tagline", "language keys are two lowercase letters"),
])
def test_a_bad_field_names_the_file_and_the_field(tmp_path, data, field, says):
    path = write(tmp_path, data)
    with pytest.raises(HelpCenterError) as caught:
        load_helpcenter(tmp_path)
    error = caught.value
    assert isinstance(error, FaqError)
    assert error.path == str(path) and error.field == field
    assert str(error).startswith(f"{path}: {field}: ") and says in str(error)


def test_bad_json_names_the_file_and_line(tmp_path):
    (tmp_path / FILE_NAME).write_text('{\n  "name": "X",\n}', encoding="utf-8")
    with pytest.raises(HelpCenterError, match=r"helpcenter.json: not valid JSON at line 3"):
        load_helpcenter(tmp_path)
    write(tmp_path, ["a list"])
    with pytest.raises(HelpCenterError, match="JSON object"):
        load_helpcenter(tmp_path)


def test_create_app_refuses_a_malformed_file(tmp_path):
    write(tmp_path, {"nom": "X"})
    with pytest.raises(HelpCenterError, match="nom"):
        create_app(Settings(corpus=tmp_path, data_dir=tmp_path / "data"))


# --- the API -----------------------------------------------------------------------------------


def test_helpcenter_endpoint_serves_the_bundled_file(fake_client):
    body = fake_client.get("/v1/helpcenter").json()
    assert body["name"] == "Centre d'aide BTOMIC"
    assert body["contact"]["email"] == "service@btomic.com" and body["contact"]["url"] is None
    assert body["topics"] == ["commandes", "livraison", "garantie", "retours"]
    assert body["default_language"] == "fr"


def test_documents_carry_the_helpcenter(fake_client):
    body = fake_client.get("/v1/documents").json()
    assert body["helpcenter"] == fake_client.get("/v1/helpcenter").json()


@pytest.fixture
def app_on(fake_index_dir, fake_models, tmp_path):
    """A fake-model app over the watch-shop index, with the help center read from `corpus` or `helpcenter`."""
    def make(corpus: Path, helpcenter: Path | None = None) -> TestClient:
        settings = Settings(index_dir=fake_index_dir, corpus=corpus, helpcenter=helpcenter, data_dir=tmp_path / "data",
                            reload_poll_seconds=0)
        return TestClient(create_app(settings, models=fake_models))
    return make


def test_without_a_file_the_api_is_neutral_and_topics_are_the_faqs_sections(app_on, tmp_path):
    empty = tmp_path / "corpus"
    empty.mkdir()
    with app_on(empty) as client:
        body = client.get("/v1/helpcenter").json()
        sections = [s["title"] for s in client.get("/v1/documents").json()["documents"][0]["sections"]]
    assert body["name"] == "Help center"
    assert body["contact"] == {"email": None, "phone": None, "hours": None, "url": None}
    assert body["topics"] == sections[:12] and body["topics"]


def test_faq_helpcenter_setting_reaches_the_api(app_on, tmp_path):
    path = write(tmp_path, BIKES, "velocite.json")
    with app_on(CORPUS, path) as client:
        body = client.get("/v1/helpcenter").json()
        assert client.get("/v1/documents").json()["helpcenter"]["name"] == "VéloCité Aide"
    assert body["name"] == "VéloCité Aide" and body["topics"] == ["location", "casques"]
    assert body["contact"]["hours"] == "7 j/7, 8 h – 20 h"
    assert body["tagline"] == {"fr": "Location de vélos en ville", "en": "City bike rental"}


def test_no_watch_shop_detail_is_left_in_the_pages():
    static = ROOT / "service" / "static"
    for path in static.iterdir():
        text = path.read_text(encoding="utf-8").casefold()
        for word in ("btomic", "montre", "watch", "commande", "livraison", "garantie", "retours", "1491", "347"):
            assert word not in text, f"{path.name} still says {word!r}: it belongs in corpus/helpcenter.json"
