"""The screening pipeline: every filter, each a flag with evidence, and the risk score that orders the queue.

`Screener.screen_text` is pure computation on one body (no Redis); the job adds what Redis
knows about the author and the site (`Context`) with `Screener.finish`. Screeners are built
once per worker process and per site policy (`screener_for`), never per comment.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from moderation.policy import SEVERITY_RANK
from moderation.screening import filters
from moderation.screening.lexicon import Entry, Lexicon, default_entries
from moderation.screening.matcher import Matcher
from moderation.screening.normalise import LETTER_SYMBOLS, Folded, fold
from moderation.screening.scoring import Models, ModelScores, shipped
from moderation.screening.textmodel import detect_language, token_texts
from moderation.sitepolicy import Policies, SitePolicy

_RUN3 = re.compile(r"([^\W\d_])\1\1")


@dataclass(frozen=True)
class Evidence:
    start: int
    end: int
    text: str


@dataclass
class Flag:
    code: str
    severity: str
    message: str
    evidence: list[Evidence] = field(default_factory=list)
    score: float | None = None  # a model's calibrated probability, for the flags a model raises

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "severity": self.severity, "message": self.message,
                               "evidence": [{"start": e.start, "end": e.end, "text": e.text} for e in self.evidence]}
        if self.score is not None:
            out["score"] = self.score
        return out


@dataclass(frozen=True)
class Context:
    """What Redis knows, at screening time, about the author, the address and the text."""

    earlier_comments: int = 0
    approved: int = 0
    rejected: int = 0
    author_in_window: int = 1
    address_in_window: int | None = None
    duplicate_of: str | None = None


@dataclass
class Analysis:
    """The text filters' results for one body, and what the Redis-backed filters need from it."""

    body: str
    folded: Folded
    tokens: list[str]
    flags: list[Flag]
    language: str | None
    scores: ModelScores
    list_severity: str | None = None  # the worst listed word's, flagged or not

    @property
    def fingerprint(self) -> str:
        """Same words after normalisation, same fingerprint: the key of the duplicate filter."""
        words = [w for w in (t.strip(LETTER_SYMBOLS) for t in self.tokens) if w]
        text = " ".join(words) or self.body.strip()  # a comment of emoji only is its own text
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass
class Result:
    flags: list[Flag]
    risk: int
    language: str | None

    def flag_dicts(self) -> list[dict[str, Any]]:
        return [f.to_dict() for f in self.flags]


def rule_features(analysis: Analysis) -> dict[str, float]:
    """The text filters as the risk's features: the worst listed word's severity, and each other flag's presence."""
    out: dict[str, float] = {}
    if analysis.list_severity:
        lang = "ar" if analysis.language == "ar" else "en"
        out[f"profanity_{analysis.list_severity}_{lang}"] = 1.0
    for flag in analysis.flags:
        if flag.code in ("link", "personal_data", "shouting", "repetition"):
            out[flag.code] = 1.0
    return out


def context_features(context: Context) -> dict[str, float]:
    """What Redis knows as the risk's features (their weights are fixed: dev data has no authors)."""
    out = {}
    if context.duplicate_of:
        out["duplicate"] = 1.0
    if context.rejected:
        out["author_history_high" if context.rejected >= 3 else "author_history"] = 1.0
    if context.earlier_comments == 0:
        out["new_author"] = 1.0
    return out


def _evidence(body: str, spans: Iterable[tuple[int, int]]) -> list[Evidence]:
    return [Evidence(s, e, body[s:e]) for s, e in spans]


class Screener:
    """One site's filters, built once; `screen_text` per comment."""

    def __init__(self, policy: SitePolicy, matcher: Matcher, models: Models | None = None) -> None:
        self.policy = policy
        self.matcher = matcher
        self.models = models or shipped()

    def _flag(self, code: str, message: str, body: str, spans: Iterable[tuple[int, int]]) -> Flag:
        return Flag(code, self.policy.severity[code], message, _evidence(body, spans))

    def screen_text(self, body: str) -> Analysis:
        """The filters that need only the text: profanity, links, personal data, shouting, repetition."""
        folded = fold(body)
        tokens = folded.tokens
        distinct = folded.distinct
        t = self.policy.thresholds
        flags: list[Flag] = []

        matches = self.matcher.find(body, folded)
        list_severity = max((m.entry.severity for m in matches), key=SEVERITY_RANK.__getitem__, default=None)
        floor = SEVERITY_RANK[t.profanity_min_severity]
        shown = [m for m in matches if SEVERITY_RANK[m.entry.severity] >= floor]
        if shown:
            words = sorted({m.entry.word for m in shown})
            flags.append(Flag("profanity", str(list_severity),
                              f"Offensive or sensitive words ({len(shown)}): {', '.join(words)}.",
                              [Evidence(m.start, m.end, m.text) for m in shown]))
        personal = filters.personal_data(body)
        # An email address is personal data, not also a link to its domain.
        spans = [(s, e) for s, e in filters.links(body, self.policy.link_allow_domains)
                 if not any(ps <= s < pe for ps, pe in personal)]
        if spans:
            flags.append(self._flag("link", f"Contains {len(spans)} link(s).", body, spans))
        if personal:
            flags.append(self._flag("personal_data", "Contains a phone number or an email address.", body, personal))
        spans = filters.shouting(body, t.shouting_ratio, t.shouting_min_letters)
        if spans:
            flags.append(self._flag("shouting", "Written mostly in capitals.", body, spans))
        runs = [tok for tok in distinct if len(tok) >= t.repeat_char_run and _RUN3.search(tok)]
        spans = sorted(filters.char_runs(body, t.repeat_char_run, runs)
                       + [folded.span(*s) for s in filters.word_runs(folded.text, tokens, t.repeat_word_run)]
                       + [folded.span(*s) for s in filters.gibberish(folded.text, distinct)])
        if spans:
            flags.append(self._flag("repetition", "Repeated characters or words, or keyboard mashing.", body, spans))
        texts = token_texts(body)
        language = detect_language(texts)
        scores = self.models.score(texts, language)
        flags += self._model_flags(body, scores)
        return Analysis(body, folded, tokens, flags, language, scores, list_severity)

    def _model_flags(self, body: str, scores: ModelScores) -> list[Flag]:
        t = self.policy.thresholds
        out = []
        for code, score, what in (("toxicity", scores.toxicity, "Reads as insulting, hateful or obscene"),
                                  ("spam", scores.spam, "Reads as spam or self-promotion")):
            severity = None if score is None else t.model_severity(code, score)
            if severity is not None and score is not None:
                out.append(Flag(code, severity, f"{what} (model score {score:.2f}).",
                                _evidence(body, scores.spans(body, code)), score=round(score, 3)))
        return out

    def finish(self, analysis: Analysis, context: Context) -> Result:
        """Add the flags that depend on the author's history and the site's recent comments."""
        flags = list(analysis.flags)
        t = self.policy.thresholds
        sev = self.policy.severity
        if context.duplicate_of:
            flags.append(Flag("duplicate", sev["duplicate"],
                              f"The same text was posted on this site recently (comment {context.duplicate_of}).",
                              [Evidence(0, len(analysis.body), analysis.body)]))
        window_min = t.flood_window_seconds // 60
        if context.author_in_window > t.flood_per_author:
            flags.append(Flag("flood", sev["flood"],
                              f"{context.author_in_window} comments from this email in {window_min} minutes."))
        elif context.address_in_window is not None and context.address_in_window > t.flood_per_address:
            flags.append(Flag("flood", sev["flood"],
                              f"{context.address_in_window} comments from this address in {window_min} minutes."))
        if context.rejected:
            total = context.rejected + context.approved
            flags.append(Flag("author_history", "high" if context.rejected >= 3 else sev["author_history"],
                              f"{context.rejected} of this author's {total} decided comments were rejected."))
        if context.earlier_comments == 0:
            flags.append(Flag("new_author", sev["new_author"], "First comment from this author on this site."))
        features = analysis.scores.features() | rule_features(analysis) | context_features(context)
        if any(f.code == "flood" for f in flags):
            features["flood"] = 1.0
        risk = self.models.calibration.risk(features)
        return Result(flags=flags, risk=risk, language=analysis.language)

    def screen(self, body: str, context: Context | None = None) -> Result:
        """Every filter; without a context, as for an author with history and no recent comments."""
        return self.finish(self.screen_text(body), context or Context(earlier_comments=1))


@lru_cache(maxsize=32)
def _matcher(lexicon_key: tuple[Any, ...]) -> Matcher:
    add, remove, allow, severities = lexicon_key
    extra = [Entry(word, severity, "site") for word, severity in add]
    return Matcher(Lexicon.build(default_entries(), remove=remove, allow=allow, severities=dict(severities),
                                 extra=extra))


def screener_for(policy: SitePolicy, models: Models | None = None) -> Screener:
    """The screener of a site policy; sites whose word lists agree share one matcher."""
    return Screener(policy, _matcher(policy.lexicon_key), models)


def default_screener() -> Screener:
    """The screener with the shipped lists and default thresholds."""
    return screener_for(Policies().defaults)
