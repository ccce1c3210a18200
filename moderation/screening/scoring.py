"""The shipped models and their calibration: toxicity per language, spam, and the one risk score.

`calibration.json` (written by `make train`, fitted on the dev data) holds, per model, the Platt
scaling that turns its raw logit into a probability with equal priors, and two logistic heads:
abuse (the toxicity logits and the word list's severity, fitted on the offensive-language dev
sets) and spam (the spam logit, links and contact details, fitted on the spam dev set). The risk
is the chance that either is so, 1 - (1 - abuse)(1 - spam); context that dev data cannot show
(duplicates, floods, the author's history) then adds fixed, documented log-odds.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from moderation.screening.textmodel import MODELS, LinearModel, Score, probability, token_spans

# Each head's features, in the order of its weights; each language's toxicity weighs on its own.
HEADS = {
    "abuse": ("toxicity_en", "toxicity_ar", "profanity_low_en", "profanity_medium_en", "profanity_high_en",
              "profanity_low_ar", "profanity_medium_ar", "profanity_high_ar", "shouting", "repetition"),
    "spam": ("spam", "link", "personal_data", "repetition", "shouting"),
}
# Log-odds added by what only the live service knows; dev data has no authors. Chosen, not fitted: a duplicate
# or a flood counts about half what a high-severity listed word does (~3 in the fitted heads); a rejected
# history less, unless it is three rejections or more.
CONTEXT_WEIGHTS = {"duplicate": 1.5, "flood": 1.5, "author_history": 0.8, "author_history_high": 1.6,
                   "new_author": 0.3}
_CLIP = 8.0
RISK_POINTS = 50 / math.log(9999)  # ~5.4 points of risk per unit of log-odds
_ROWS_LIMIT = 100_000  # distinct tokens remembered: ~25 MB at most
_NO_TEXT = -2.0


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True)
class Head:
    """A logistic regression over some of the features."""

    intercept: float = 0.0
    weights: Mapping[str, float] = field(default_factory=dict)

    def probability(self, features: Mapping[str, float]) -> float:
        return sigmoid(self.intercept + sum(features.get(n, 0.0) * w for n, w in self.weights.items()))


@dataclass(frozen=True)
class Calibration:
    """Platt scaling per model name, and the risk's two heads."""

    platt: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    heads: Mapping[str, Head] = field(default_factory=dict)

    def probability(self, model: str, z: float) -> float:
        a, b = self.platt.get(model, (1.0, 0.0))
        return sigmoid(a * z + b)

    def risk(self, features: Mapping[str, float]) -> int:
        """0-100: the log-odds, with equal priors, that a moderator rejects the comment (abuse or spam).

        50 is even odds; every RISK_POINTS points multiply the odds by e; 0 and 100 are 1 in 10,000 either way.
        On log-odds, a comment that is very likely spam still ranks below one that is certain: on a probability
        scale both would be 100.
        """
        keep = 1.0
        for head in self.heads.values():
            keep *= 1.0 - head.probability(features)
        z = logit(1.0 - keep) + sum(CONTEXT_WEIGHTS.get(n, 0.0) * v for n, v in features.items())
        return max(0, min(100, round(50 + RISK_POINTS * z)))

    def to_json(self) -> dict[str, object]:
        return {"platt": {k: list(v) for k, v in self.platt.items()},
                "heads": {k: {"intercept": h.intercept, "weights": dict(h.weights)} for k, h in self.heads.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Calibration:
        platt = {k: (float(v[0]), float(v[1])) for k, v in data.get("platt", {}).items()}
        heads = {k: Head(float(h["intercept"]), {n: float(w) for n, w in h["weights"].items()})
                 for k, h in data.get("heads", {}).items()}
        return cls(platt, heads)


@dataclass(frozen=True)
class ModelScores:
    """The calibrated toxicity and spam probabilities of one text, and what each model made of its tokens."""

    toxicity: float | None
    spam: float
    toxicity_language: str = "en"  # whose model gave the toxicity score
    toxicity_raw: Score | None = None
    spam_raw: Score | None = None

    def spans(self, body: str, which: str, n: int = 3) -> list[tuple[int, int]]:
        """The body spans of the (up to) `n` tokens that raised `which` ('toxicity' or 'spam') most."""
        raw = self.toxicity_raw if which == "toxicity" else self.spam_raw
        if raw is None:
            return []
        where = token_spans(body)
        return [where[i] for i in raw.top(n) if i < len(where)]

    def features(self) -> dict[str, float]:
        """Each probability as a clipped logit: the risk is linear in them."""
        # No letters, no language: scored as an ordinary comment would be (emoji alone are rarely abuse).
        tox = _NO_TEXT if self.toxicity is None else max(-_CLIP, min(_CLIP, logit(self.toxicity)))
        return {f"toxicity_{self.toxicity_language}": tox, "spam": max(-_CLIP, min(_CLIP, logit(self.spam)))}


class Models:
    """Toxicity models by language, the spam model, and the calibration over them.

    A token's weight in each of the three models is looked up once per process and kept as one tuple, so a
    comment costs one dictionary look-up per token, whatever the number of models.
    """

    def __init__(self, toxicity: Mapping[str, LinearModel], spam: LinearModel, calibration: Calibration) -> None:
        self.toxicity = dict(toxicity)
        self.spam = spam
        self.calibration = calibration
        self._order = (self.toxicity["en"], self.toxicity["ar"], spam)
        self._rows: dict[str, tuple[float, float, float]] = {}

    @classmethod
    def load(cls, folder: Path = MODELS) -> Models:
        cal_path = folder / "calibration.json"
        calibration = Calibration.from_json(json.loads(cal_path.read_text())) if cal_path.exists() else Calibration()
        toxicity = {lang: LinearModel.load(folder / f"toxicity-{lang}.npz") for lang in ("en", "ar")}
        return cls(toxicity, LinearModel.load(folder / "spam.npz"), calibration)

    def _row(self, text: str) -> tuple[float, float, float]:
        en, ar, spam = (m.token_weight(text) for m in self._order)
        if len(self._rows) >= _ROWS_LIMIT:
            self._rows.clear()
        row = self._rows[text] = (en, ar, spam)
        return row

    def score(self, texts: Sequence[str], language: str | None) -> ModelScores:
        """Each text by the model of its language; a mixed text by both, the higher counting."""
        rows = self._rows
        per = [rows[t] if t in rows else self._row(t) for t in texts]
        en_w, ar_w, spam_w = zip(*per, strict=True) if per else ((), (), ())
        spam = Score(probability(self.spam.bias, spam_w), spam_w)
        tox: float | None = None
        best: Score | None = None
        which = "en"
        for lang, weights in (("en", en_w), ("ar", ar_w)):
            if language not in (lang, "mixed"):
                continue
            model = self.toxicity[lang]
            raw = Score(probability(model.bias, weights), weights)
            p = self.calibration.probability(model.name, logit(raw.value))
            if tox is None or p > tox:
                tox, best, which = p, raw, lang
        return ModelScores(tox, self.calibration.probability(self.spam.name, logit(spam.value)), which, best, spam)


@lru_cache(maxsize=1)
def shipped() -> Models:
    """The models in the package, loaded once per process."""
    return Models.load()
