"""A help center's own name, contacts and suggested topics: `helpcenter.json` beside its FAQ.

It lives with the corpus because it belongs to the company whose FAQ this is, not to the code: the
pages and the "no answer" state show it, so serving another company's FAQ needs no change to the
pages. Without a file the defaults are neutral (no invented contact details).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from faq.errors import HelpCenterError
from ingest.decode import read_text

FILE_NAME = "helpcenter.json"
MAX_TOPICS = 12
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ().\-]+$")
_LANG = re.compile(r"^[a-z]{2}$")


def _check_localized(value: str | dict[str, str]) -> str | dict[str, str]:
    """Keys of a per-language text are language codes, as the pages' UI languages are."""
    if isinstance(value, dict):
        bad = [k for k in value if not _LANG.match(k)]
        if bad:
            raise ValueError(f"language keys are two lowercase letters (\"fr\", \"en\"), got {bad}")
    return value


# one text, or one per UI language ({"fr": ..., "en": ...}); the pages pick the UI language's
Localized = Annotated[str | dict[str, str], AfterValidator(_check_localized)]

class Contact(BaseModel):
    """How a customer reaches the company when the FAQ has no answer; every field optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: str | None = Field(None, max_length=200, description="shown as a mailto: link")
    phone: str | None = Field(None, max_length=40, description="shown as a tel: link, e.g. +1 (347) 459-1491")
    hours: Localized | None = Field(None, description="opening hours, as text (or one text per UI language)")
    url: str | None = Field(None, max_length=500, description="a contact page, http(s)")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError(f"{value!r} is not an e-mail address; write it as support@example.com")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None and (not _PHONE.match(value) or sum(c.isdigit() for c in value) < 5):
            raise ValueError(f"{value!r} is not a phone number; use digits, spaces, + ( ) . -, e.g. +33 1 23 45 67 89")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+\S*$", value):
            raise ValueError(f"{value!r} is not a web address; write it as https://example.com/contact")
        return value

    def is_empty(self) -> bool:
        return not (self.email or self.phone or self.url)


class HelpCenter(BaseModel):
    """The fields of helpcenter.json; unknown keys are refused so a typo is not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("Help center", min_length=1, max_length=80, description="display name: page title, header, brand mark")
    tagline: Localized | None = Field(None, description="one line under the search page's heading")
    contact: Contact = Field(default_factory=Contact)
    topics: tuple[str, ...] = Field((), max_length=MAX_TOPICS, description="suggested topics, shown as chips; "
                                                                          "default: the FAQ's section titles")
    default_language: str = Field("en", description="UI language when the browser's is not one the pages translate")

    @field_validator("topics")
    @classmethod
    def _short_topics(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for topic in value:
            if not topic.strip() or len(topic) > 40:
                raise ValueError(f"topic {topic!r} must be 1 to 40 characters, e.g. \"returns\"")
        return value

    @field_validator("default_language")
    @classmethod
    def _lang(cls, value: str) -> str:
        if not _LANG.match(value):
            raise ValueError(f"{value!r} must be a two-letter language code such as \"fr\" or \"en\"")
        return value


def helpcenter_path(corpus: Path, override: Path | None = None) -> Path:
    """Where the help center's file is: FAQ_HELPCENTER, else in the corpus folder, else beside the single FAQ file."""
    if override is not None:
        return override
    return corpus / FILE_NAME if corpus.is_dir() else corpus.parent / FILE_NAME


def load_helpcenter(corpus: Path | str, override: Path | None = None) -> HelpCenter:
    """Read and check the help center's file; neutral defaults when the corpus has none (a site has none: FAQ_HELPCENTER).

    A file named by FAQ_HELPCENTER must exist: a wrong path would otherwise quietly drop the contacts.
    """
    if isinstance(corpus, str) and override is None:  # a site's address
        return HelpCenter()
    path = helpcenter_path(Path(corpus), override)
    if not path.is_file():
        if override is not None:
            raise HelpCenterError(path, None, "no such file (named by FAQ_HELPCENTER); fix the path or unset it "
                                              f"to use {FILE_NAME} beside the corpus")
        return HelpCenter()
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as e:
        raise HelpCenterError(path, None, f"not valid JSON at line {e.lineno} ({e.msg})") from e
    if not isinstance(data, dict):
        raise HelpCenterError(path, None, 'a help center file is a JSON object: {"name", "contact", "topics", ...}')
    try:
        return HelpCenter.model_validate(data)
    except ValidationError as e:
        raise _named(path, e) from e


def _named(path: Path, error: ValidationError) -> HelpCenterError:
    """The first problem as `file: field: rule and fix`, in words rather than pydantic's."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    if first["type"] == "extra_forbidden":
        model = Contact if len(first["loc"]) > 1 and first["loc"][0] == "contact" else HelpCenter
        allowed = ", ".join(model.model_fields)
        return HelpCenterError(path, field, f"unknown field; allowed here: {allowed}")
    message = str(first["msg"]).removeprefix("Value error, ")
    return HelpCenterError(path, field, message)
