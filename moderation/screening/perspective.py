"""Perspective API's comments:analyze, answered by our own models (Perspective closes on 2026-12-31).

A newsroom whose platform calls Perspective (Coral among them) points that setting at us. The
request and response shapes are Perspective's; the scores are ours:

- TOXICITY: the toxicity model of the text's language (calibrated probability).
- SEVERE_TOXICITY: the toxicity score where a high-severity listed word is present, its square otherwise
  (a rude comment is toxic; a slur or a threat is severe).
- INSULT: the toxicity score (our model is trained on insults, slurs, threats and obscenity together).
- PROFANITY: the word list: 0.95 for a high-severity word, 0.8 medium, 0.6 low, 0.02 without one.
- SPAM: the spam model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from moderation.errors import ValidationFailed
from moderation.screening.screener import Analysis, Screener

ATTRIBUTES = ("TOXICITY", "SEVERE_TOXICITY", "INSULT", "PROFANITY", "SPAM")
LANGUAGES = ("en", "ar")
_PROFANITY = {"high": 0.95, "medium": 0.8, "low": 0.6}


class UnsupportedAttribute(ValidationFailed):
    status, code = 400, "unsupported_attribute"


class UnsupportedLanguage(ValidationFailed):
    status, code = 400, "unsupported_language"


@dataclass(frozen=True)
class Span:
    begin: int
    end: int
    score: float


def _scores(analysis: Analysis) -> dict[str, tuple[float, list[Span]]]:
    s = analysis.scores
    tox = s.toxicity or 0.0
    tox_spans = [Span(b, e, round(tox, 4)) for b, e in s.spans(analysis.body, "toxicity")]
    profanity = next((f for f in analysis.flags if f.code == "profanity"), None)
    prof = _PROFANITY[profanity.severity] if profanity else 0.02
    prof_spans = [Span(e.start, e.end, prof) for e in profanity.evidence] if profanity else []
    severe = tox if profanity is not None and profanity.severity == "high" else tox * tox
    return {
        "TOXICITY": (tox, tox_spans),
        "SEVERE_TOXICITY": (severe, tox_spans if severe >= 0.5 else []),
        "INSULT": (tox, tox_spans),
        "PROFANITY": (prof, prof_spans),
        "SPAM": (s.spam, [Span(b, e, round(s.spam, 4)) for b, e in s.spans(analysis.body, "spam")]),
    }


def _utf16(text: str, index: int) -> int:
    """Perspective counts offsets in UTF-16 code units (it is a JavaScript-facing API); we count code points."""
    return index + sum(1 for ch in text[:index] if ord(ch) > 0xFFFF)


def analyze(screener: Screener, text: str, requested: Mapping[str, Mapping[str, Any]],
            languages: Iterable[str] = (), spans: bool = False) -> dict[str, Any]:
    """The AnalyzeComment response for one request's fields, validated as Perspective validates them."""
    asked = [lang.lower().split("-")[0] for lang in languages]
    unsupported = [lang for lang in asked if lang not in LANGUAGES]
    if unsupported:
        raise UnsupportedLanguage(f"Attribute TOXICITY does not support request languages: {', '.join(unsupported)}",
                                  fields={"languages": [f"Supported: {', '.join(LANGUAGES)}."]})
    unknown = [name for name in requested if name not in ATTRIBUTES]
    if unknown:
        raise UnsupportedAttribute(f"Unknown or unsupported attribute: {', '.join(unknown)}",
                                   fields={"requestedAttributes": [f"Supported: {', '.join(ATTRIBUTES)}."]})
    analysis = screener.screen_text(text)
    detected = {"ar": ["ar"], "en": ["en"], "mixed": ["ar", "en"]}.get(analysis.language or "", ["en"])
    scores = _scores(analysis)
    out: dict[str, Any] = {}
    for name, options in requested.items():
        value, span_list = scores[name]
        threshold = options.get("scoreThreshold")
        if threshold is not None and value < float(threshold):
            continue  # Perspective leaves out an attribute whose score is below the asked threshold
        entry: dict[str, Any] = {"summaryScore": {"value": round(value, 4), "type": "PROBABILITY"}}
        if spans:
            entry["spanScores"] = [{"begin": _utf16(text, s.begin), "end": _utf16(text, s.end),
                                    "score": {"value": s.score, "type": "PROBABILITY"}} for s in span_list]
        out[name] = entry
    return {"attributeScores": out, "languages": asked or detected, "detectedLanguages": detected}
