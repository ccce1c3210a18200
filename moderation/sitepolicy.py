"""Per-site screening policy from a TOML file, validated with marshmallow at start-up.

The file has a `[defaults]` table and one `[sites.<name>]` table per site; each holds the
same sections, and a site's values are laid over the defaults. Example (`policy.example.toml`):

    [defaults.thresholds]
    flood_window_seconds = 600
    [sites.demo.words]
    add = ["wanker"]
    allow = ["scunthorpe"]
    [sites.demo.links]
    allow_domains = ["news.example"]
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from moderation.policy import SEVERITIES
from moderation.settings import ConfigError

FLAG_CODES = ("profanity", "link", "personal_data", "shouting", "repetition", "duplicate", "flood",
              "author_history", "new_author")
# Flags a trained model raises; their severity comes from the score thresholds, not from the severity table.
MODEL_FLAGS = ("toxicity", "spam")

DEFAULT_SEVERITY = {
    "link": "medium", "personal_data": "high", "shouting": "low", "repetition": "low", "duplicate": "medium",
    "flood": "medium", "author_history": "medium", "new_author": "low",
}


@dataclass(frozen=True)
class Thresholds:
    """Numbers a newsroom may tune; the defaults suit a busy news site."""

    shouting_ratio: float = 0.7
    shouting_min_letters: int = 20
    repeat_char_run: int = 6
    repeat_word_run: int = 4
    duplicate_window_seconds: int = 24 * 3600
    flood_window_seconds: int = 600
    flood_per_author: int = 5
    flood_per_address: int = 15
    reject_per_author: int = 30
    reject_per_address: int = 100
    # Listed words below this severity raise no profanity flag ('hell', 'trash', 'الشيطان' alone are not abuse);
    # they still count in the risk.
    profanity_min_severity: str = "medium"
    # Model scores (calibrated, 0-1) from which the toxicity and spam flags are low, medium, high.
    toxicity_low: float = 0.9
    toxicity_medium: float = 0.95
    toxicity_high: float = 0.98
    spam_low: float = 0.9
    spam_medium: float = 0.95
    spam_high: float = 0.98

    def model_severity(self, flag: str, score: float) -> str | None:
        """The severity a model's score earns under these thresholds; None below the lowest."""
        for severity in ("high", "medium", "low"):
            if score >= getattr(self, f"{flag}_{severity}"):
                return severity
        return None


@dataclass(frozen=True)
class SitePolicy:
    """Everything screening needs to know about one site."""

    words_add: Mapping[str, str] = field(default_factory=dict)
    words_remove: tuple[str, ...] = ()
    words_allow: tuple[str, ...] = ()
    word_severity: Mapping[str, str] = field(default_factory=dict)
    link_allow_domains: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SEVERITY))
    thresholds: Thresholds = field(default_factory=Thresholds)

    @property
    def lexicon_key(self) -> tuple[Any, ...]:
        """What the word index depends on: sites that share it share one index."""
        return (tuple(sorted(self.words_add.items())), self.words_remove, self.words_allow,
                tuple(sorted(self.word_severity.items())))


class _Words(Schema):
    class Meta:
        unknown = RAISE

    add = fields.List(fields.String(validate=validate.Length(min=1, max=100)))
    add_severity = fields.String(validate=validate.OneOf(SEVERITIES))
    remove = fields.List(fields.String(validate=validate.Length(min=1, max=100)))
    allow = fields.List(fields.String(validate=validate.Length(min=1, max=100)))
    severity = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=100)),
                           values=fields.String(validate=validate.OneOf(SEVERITIES)))


class _Links(Schema):
    class Meta:
        unknown = RAISE

    allow_domains = fields.List(fields.String(validate=validate.Regexp(
        r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", error="Not a domain name such as news.example.")))


class _Thresholds(Schema):
    class Meta:
        unknown = RAISE

    shouting_ratio = fields.Float(validate=validate.Range(min=0.3, max=1.0))
    shouting_min_letters = fields.Integer(validate=validate.Range(min=1, max=1500))
    repeat_char_run = fields.Integer(validate=validate.Range(min=3, max=100))
    repeat_word_run = fields.Integer(validate=validate.Range(min=2, max=100))
    duplicate_window_seconds = fields.Integer(validate=validate.Range(min=0, max=30 * 24 * 3600))
    flood_window_seconds = fields.Integer(validate=validate.Range(min=10, max=7 * 24 * 3600))
    flood_per_author = fields.Integer(validate=validate.Range(min=1))
    flood_per_address = fields.Integer(validate=validate.Range(min=1))
    reject_per_author = fields.Integer(validate=validate.Range(min=1))
    reject_per_address = fields.Integer(validate=validate.Range(min=1))
    profanity_min_severity = fields.String(validate=validate.OneOf(SEVERITIES))
    toxicity_low = fields.Float(validate=validate.Range(min=0.0, max=1.0))
    toxicity_medium = fields.Float(validate=validate.Range(min=0.0, max=1.0))
    toxicity_high = fields.Float(validate=validate.Range(min=0.0, max=1.0))
    spam_low = fields.Float(validate=validate.Range(min=0.0, max=1.0))
    spam_medium = fields.Float(validate=validate.Range(min=0.0, max=1.0))
    spam_high = fields.Float(validate=validate.Range(min=0.0, max=1.0))

    @validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        for flag in MODEL_FLAGS:
            given = [(s, data.get(f"{flag}_{s}")) for s in ("low", "medium", "high")]
            values = [(s, v) for s, v in given if v is not None]
            for (s1, v1), (s2, v2) in zip(values, values[1:], strict=False):
                if v2 < v1:
                    raise ValidationError(f"Must not be below {flag}_{s1} ({v1}).", f"{flag}_{s2}")

    @validates_schema
    def _reject_above_flag(self, data: dict[str, Any], **kwargs: Any) -> None:
        for who in ("author", "address"):
            flag, reject = data.get(f"flood_per_{who}"), data.get(f"reject_per_{who}")
            if flag is not None and reject is not None and reject < flag:
                raise ValidationError(f"Must not be below flood_per_{who} ({flag}).", f"reject_per_{who}")


class _Section(Schema):
    class Meta:
        unknown = RAISE

    words = fields.Nested(_Words)
    links = fields.Nested(_Links)
    thresholds = fields.Nested(_Thresholds)
    severity = fields.Dict(keys=fields.String(validate=validate.OneOf(FLAG_CODES[1:])),
                           values=fields.String(validate=validate.OneOf(SEVERITIES)))


class _PolicyFile(Schema):
    class Meta:
        unknown = RAISE

    defaults = fields.Nested(_Section)
    sites = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_.-]+$")),
                        values=fields.Nested(_Section))


def _first_error(messages: Any, path: tuple[str, ...] = ()) -> tuple[str, str]:
    """The dotted path and text of the first problem in marshmallow's nested messages."""
    if isinstance(messages, dict):
        key = sorted(messages, key=str)[0]
        return _first_error(messages[key], (*path, str(key)))
    if isinstance(messages, list) and messages:
        if all(isinstance(m, str) for m in messages):
            return ".".join(p for p in path if p not in ("value", "_schema")), "; ".join(messages)
        return _first_error(messages[0], path)
    return ".".join(path), str(messages)


def _apply(policy: SitePolicy, section: Mapping[str, Any]) -> SitePolicy:
    words = section.get("words", {})
    add_sev = words.get("add_severity", "high")
    thresholds = replace(policy.thresholds, **section.get("thresholds", {}))
    return replace(
        policy,
        words_add={**policy.words_add, **{w: add_sev for w in words.get("add", [])}},
        words_remove=(*policy.words_remove, *words.get("remove", [])),
        words_allow=(*policy.words_allow, *words.get("allow", [])),
        word_severity={**policy.word_severity, **words.get("severity", {})},
        link_allow_domains=(*policy.link_allow_domains, *section.get("links", {}).get("allow_domains", [])),
        severity={**policy.severity, **section.get("severity", {})},
        thresholds=thresholds,
    )


@dataclass(frozen=True)
class Policies:
    """The policy of every site; sites without a section get the defaults."""

    defaults: SitePolicy = field(default_factory=SitePolicy)
    sites: Mapping[str, SitePolicy] = field(default_factory=dict)

    def for_site(self, site: str) -> SitePolicy:
        return self.sites.get(site, self.defaults)

    @classmethod
    def parse(cls, data: Mapping[str, Any], source: str = "policy") -> Policies:
        """Validate a decoded policy document; the error names the source, the field and the problem."""
        try:
            loaded = _PolicyFile().load(data)
        except ValidationError as err:
            where, problem = _first_error(err.messages)
            raise ConfigError(f"policy file {source}: {where}: {problem}") from None
        defaults = _apply(SitePolicy(), loaded.get("defaults", {}))
        sites = {name: _apply(defaults, section) for name, section in loaded.get("sites", {}).items()}
        return cls(defaults, sites)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Policies:
        """Read and validate a TOML policy file."""
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"policy file {p}: no such file") from None
        except (OSError, UnicodeDecodeError) as err:
            raise ConfigError(f"policy file {p}: cannot be read: {err}") from None
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"policy file {p}: not valid TOML: {err}") from None
        return cls.parse(data, str(p))


@lru_cache(maxsize=4)
def _load_cached(path: str) -> Policies:
    return Policies.load(path)


def from_file(path: str) -> Policies:
    """The policies of the file MODERATION_POLICY_FILE names (read once per process), or the defaults."""
    return _load_cached(path) if path else Policies()
