"""Trained text models: a hashed linear model over a comment's words and their letter n-grams.

One featuriser serves training (`moderation.screening.training`) and scoring, so the two cannot drift. A
comment's score is the bias plus the sum of its tokens' weights (each token's word feature and
the n-grams of its letters), scaled by 1/sqrt(tokens + 1). The
sum is additive per token, so a token's weight is computed once per process and cached, and the
tokens that added most are the evidence the desk highlights.
"""

from __future__ import annotations

import heapq
import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from moderation.screening.normalise import IGNORABLE, fold

MODELS = Path(__file__).parent / "data" / "models"
BITS = 20
DIM = 1 << BITS
NGRAMS = (2, 3, 4, 5)
MAX_TOKEN = 24  # letters of a token that make n-grams: a 300-letter run is not 300 features
_CACHE_LIMIT = 200_000

# Links, emails, @handles and numbers: what matters is that there is one, not which. Words keep the symbols
# readers write for letters inside them (f*ck, $hit). Most whitespace-separated chunks are plain words and take
# the fast path; the others are cut by this expression (possessive, so a word that is no link fails at once).
_PIECE = re.compile(
    r"(?i:https?://|www\.)\S++|(?i:[a-z0-9-]++\.)++(?i:com|net|org|info|biz|io|co|me|tv|ly|xyz|ru|uk)\b\S*+"
    r"|[\w.+-]++@[\w-]++(?:\.[\w-]++)++"
    r"|@\w++"
    r"|\+?\d[\d().-]*+"
    r"|[^\W_]++(?:[*@$!|+'’][^\W_]++)*+"
)
_CHUNK = re.compile(r"\S+")
_EDGE = "!?.,;:'\"()[]{}<>«»،؛؟…-–—*"
_NUMERIC = frozenset("0123456789+().-")
# Each placeholder is digits that folding keeps as digits, so it is no word of any language and never counts as
# letters when the language is decided: a link, an email, an @handle, a number of 1-2, 3-4, 5-7 and 8+ digits.
URL, EMAIL, USER = "2828", "2829", "2868"
_NUMBERS = ("2869", "2889", "2898", "2899")
_NOT_LATIN = bytes(b for b in range(256) if not 97 <= b <= 122)


def _number(digits: int) -> str:
    return _NUMBERS[0 if digits <= 2 else 1 if digits <= 4 else 2 if digits <= 7 else 3]


def _classify(piece: str) -> str:
    """A piece of a chunk as the models read it: a placeholder, or the piece itself (a word)."""
    first = piece[0]
    if first.isdigit() or first == "+":
        return _number(sum(c.isdigit() for c in piece))
    if first == "@":
        return USER
    if "@" in piece:
        return EMAIL
    if "." in piece or "://" in piece:
        return URL
    return piece


def _joins(digits: list[int]) -> bool:
    """Numeric chunks in a row are one number if they hold 8 digits or more between them: a phone number written in
    groups ('+20 128 293 2709'); else each is a number of its own."""
    return len(digits) > 1 and sum(digits) >= 8


def _numbers(pending: list[tuple[str, int]]) -> list[tuple[str, int, int]]:
    """Numeric chunks in a row as number tokens with their offsets (see `_joins`)."""
    digits = [sum(c.isdigit() for c in chunk) for chunk, _ in pending]
    if _joins(digits):
        return [(_number(sum(digits)), pending[0][1], pending[-1][1] + len(pending[-1][0]))]
    return [(_number(n), at, at + len(chunk)) for n, (chunk, at) in zip(digits, pending, strict=True)]


def _is_numeric(chunk: str) -> bool:
    return chunk[0] in _NUMERIC and _NUMERIC.issuperset(chunk) and any(c.isdigit() for c in chunk)


def _pieces(chunk: str, at: int) -> list[tuple[str, int, int]]:
    """The tokens of a chunk that is not a plain word: a word in punctuation, or links, emails, words with symbols."""
    core = chunk.strip(_EDGE)
    if core.isalpha():
        lead = chunk.index(core)
        return [(core, at + lead, at + lead + len(core))]
    return [(_classify(m.group()), at + m.start(), at + m.end()) for m in _PIECE.finditer(chunk)]


def _scan(body: str) -> list[tuple[str, int, int]]:
    """(raw token, start, end) for each token of the body, in order."""
    out: list[tuple[str, int, int]] = []
    pending: list[tuple[str, int]] = []
    for m in _CHUNK.finditer(body):
        chunk, at = m.group(), m.start()
        if _is_numeric(chunk):
            pending.append((chunk, at))
            continue
        if pending:
            out += _numbers(pending)
            pending = []
        out += [(chunk, at, m.end())] if chunk.isalpha() else _pieces(chunk, at)
    return out + _numbers(pending) if pending else out


# What a chunk that is not a plain word holds: its tokens ('reporting,' -> ['reporting']), or, for a number, how
# many digits it has (numbers in a row may join into one). Chunks recur, so each is read once per process.
_chunks: dict[str, list[str] | int] = {}
_folded: dict[str, list[str]] = {}  # a raw token of a non-ASCII body -> what folding makes of it


def _read_chunk(chunk: str) -> list[str] | int:
    kind: list[str] | int = (sum(c.isdigit() for c in chunk) if _is_numeric(chunk)
                             else [t for t, _, _ in _pieces(chunk, 0)])
    if len(_chunks) >= _CACHE_LIMIT:
        _chunks.clear()
    _chunks[chunk] = kind
    return kind


def _merged(digits: list[int]) -> list[str]:
    """`_numbers` without offsets."""
    if _joins(digits):
        return [_number(sum(digits))]
    return [_number(n) for n in digits]


def token_texts(body: str) -> list[str]:
    """The body's tokens as the models see them: folded words and placeholders; punctuation and emoji dropped.

    The fast path of `_scan` (no offsets, plain words appended as they are): the same tokens, as a test checks.
    """
    raw: list[str] = []
    append = raw.append
    digits: list[int] = []
    known = _chunks
    for chunk in body.split():
        if chunk.isalpha():
            if digits:
                raw += _merged(digits)
                digits = []
            append(chunk)
            continue
        kind = known.get(chunk)
        if kind is None:
            kind = _read_chunk(chunk)
        if isinstance(kind, int):
            digits.append(kind)
            continue
        if digits:
            raw += _merged(digits)
            digits = []
        raw += kind
    if digits:
        raw += _merged(digits)
    if body.isascii():
        return fold(" ".join(raw)).text.replace(IGNORABLE, "").split()
    # Folding translates non-ASCII text a character at a time; a word's folding is remembered instead.
    out: list[str] = []
    folded = _folded
    for token in raw:
        pieces = folded.get(token)
        if pieces is None:
            pieces = fold(token).text.replace(IGNORABLE, "").split()
            if len(folded) >= _CACHE_LIMIT:
                folded.clear()
            folded[token] = pieces
        out += pieces
    return out


def token_spans(body: str) -> list[tuple[int, int]]:
    """Where each of `token_texts(body)` stands in the body, in the same order (the slow path, for evidence)."""
    out = []
    for raw, start, end in _scan(body):
        out += [(start, end)] * len(fold(raw).text.replace(IGNORABLE, "").split())
    return out


def detect_language(texts: Sequence[str]) -> str | None:
    """'ar', 'en' or 'mixed' by the letters of the words (links and numbers aside); None with no letters.

    Counted in C: folded text is ASCII but for Arabic letters, two bytes each in UTF-8.
    """
    joined = "".join(texts)
    encoded = joined.encode("utf-8")
    arabic = len(encoded) - len(joined)
    latin = len(encoded.translate(None, _NOT_LATIN))
    letters = arabic + latin
    if letters == 0:
        return None
    if arabic >= 0.8 * letters:
        return "ar"
    if latin >= 0.8 * letters:
        return "en"
    return "mixed"


def _index(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) & (DIM - 1)


def token_features(text: str) -> list[int]:
    """The hashed features of one token: the word, and the 2- to 5-letter n-grams of ' word '."""
    out = [_index("w " + text)]
    if len(text) == 1 or text.isdigit():
        return out
    padded = f" {text[:MAX_TOKEN]} "
    for n in NGRAMS:
        out += [_index(padded[i:i + n]) for i in range(len(padded) - n + 1)]
    return out


def features(body: str) -> tuple[list[int], float]:
    """Every hashed feature index of a body (repeats count) and the scale its sum takes."""
    texts = token_texts(body)
    out: list[int] = []
    for t in texts:
        out += token_features(t)
    return out, 1.0 / math.sqrt(len(texts) + 1)


@dataclass
class Score:
    """A model's probability for one text, and each token's weight in it (for the evidence)."""

    value: float
    per: Sequence[float] = field(default_factory=tuple)

    def top(self, n: int = 3) -> list[int]:
        """The indices of the (up to) `n` tokens that raised the score most, in text order."""
        per = self.per
        best = heapq.nlargest(n, range(len(per)), key=per.__getitem__) if n > 0 else []
        return sorted(i for i in best if per[i] > 0)


def probability(bias: float, weights: Sequence[float]) -> float:
    """The logistic of bias + sum(weights) / sqrt(len + 1): how every model here turns token weights into a score."""
    z = bias + sum(weights) / math.sqrt(len(weights) + 1)
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


class LinearModel:
    """Weights over the hashed features and a bias; `score` a body or its tokens."""

    def __init__(self, name: str, weights: np.ndarray, bias: float, meta: dict[str, str] | None = None) -> None:
        self.name = name
        self.weights = weights.astype(np.float32)
        self.bias = float(bias)
        self.meta = dict(meta or {})
        self._cache: dict[str, float] = {}

    def token_weight(self, text: str) -> float:
        """The sum of a token's feature weights (once per distinct token: callers cache it)."""
        return float(self.weights[token_features(text)].sum())

    def _fill(self, text: str) -> float:
        w = self.token_weight(text)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[text] = w
        return w

    def score_texts(self, texts: Sequence[str]) -> Score:
        """The probability for these tokens."""
        cache = self._cache
        per = [cache[t] if t in cache else self._fill(t) for t in texts]
        return Score(probability(self.bias, per), per)

    def score(self, body: str) -> Score:
        return self.score_texts(token_texts(body))

    def save(self, path: Path) -> None:
        """float16 weights, compressed: a model file stays a few MB."""
        meta = np.array([f"{k}={v}" for k, v in sorted(self.meta.items())])
        np.savez_compressed(path, weights=self.weights.astype(np.float16), bias=np.array([self.bias]),
                            meta=meta, bits=np.array([BITS]))

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        with np.load(path, allow_pickle=False) as data:
            if int(data["bits"][0]) != BITS:
                raise ValueError(f"{path}: model of {int(data['bits'][0])} bits, this code hashes to {BITS}")
            meta = dict(str(item).split("=", 1) for item in data["meta"])
            return cls(path.stem, data["weights"].astype(np.float32), float(data["bias"][0]), meta)
