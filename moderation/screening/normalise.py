"""Text normalisation for matching, keeping the way back to offsets in the stored body.

`fold()` maps every character of a body to what it looks like: NFKD with accents and
Arabic diacritics dropped, case-folded, Cyrillic/Greek look-alikes and full-width forms
turned into their Latin twins, Arabic letter variants unified, Arabic-Indic digits made
ASCII, punctuation and spaces made one space (except the symbols readers use for letters:
`$ @ * ! | + _`). Invisible characters (zero-width, bidi controls, soft hyphen, tatweel,
combining marks) become IGNORABLE instead of disappearing, so the folded text keeps the
body's length and indices, and a match at [s, e) in it is the reader's own text at [s, e).
The few characters whose folding is longer than one character (ligatures such as 'ﬁ',
'ß') take a slower path that records each folded character's origin.

Folding also reads leetspeak's look-alike letters and digits as one class ('1', 'l' ->
'i'; '0' -> 'o'; '5' -> 's' ...). `skeleton()` goes on to read symbols inside a word
('$' -> 's', '!' -> 'i' ...), with '*' and '@' kept as MASK, a letter hidden on purpose.
"""

from __future__ import annotations

import sys
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from moderation.screening import confusables

IGNORABLE = "\ue000"
MASK = "*"
LETTER_SYMBOLS = "$@*!|+_"
_EXPANDS = "\uffff"  # marks, in the fast pass, a character whose folding is longer than one

_CONFUSABLES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "һ": "h", "ӏ": "l",
    "ԛ": "q", "ԝ": "w", "ь": "b", "ц": "u", "п": "n", "г": "r", "з": "3", "ч": "4",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "γ": "y", "ω": "w", "ς": "c", "μ": "u", "ϲ": "c", "ϳ": "j",
    # Latin look-alikes NFKD leaves alone
    "ı": "i", "ɑ": "a", "ɡ": "g", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t", "ƅ": "b", "ɩ": "i",
    "ʀ": "r", "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j",
    "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v",
    "ᴡ": "w", "ʏ": "y", "ᴢ": "z", "ꜰ": "f", "ʂ": "s", "ƒ": "f", "ɱ": "m", "ɲ": "n", "ʈ": "t", "ɖ": "d",
}
_ARABIC = {
    "ٱ": "ا", "أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ة": "ه", "ک": "ك", "ی": "ي", "ې": "ي",
    "ۀ": "ه", "ە": "ه", "ہ": "ه", "ھ": "ه", "ۃ": "ه", "ؤ": "و", "ئ": "ي", "گ": "ك", "پ": "ب",
    "ڤ": "ف", "چ": "ج", "ژ": "ز",
    # Letters of Persian, Urdu, Kurdish and Pashto that look like an Arabic one (dots aside): Unicode's
    # confusables and their skeletons, for the Arabic letters that table leaves to NFKD.
    "ڪ": "ك", "ڭ": "ك", "ڮ": "ك", "ڱ": "ك", "ڳ": "ك", "ۇ": "و", "ۆ": "و", "ۈ": "و", "ۉ": "و", "ۋ": "و",
    "ۅ": "و", "ٮ": "ب", "ٻ": "ب", "ڀ": "ب", "ٹ": "ت", "ٺ": "ت", "ټ": "ت", "ٽ": "ت", "ٿ": "ت", "ڈ": "د",
    "ډ": "د", "ڊ": "د", "ڌ": "ذ", "ڍ": "د", "ړ": "ر", "ڕ": "ر", "ڒ": "ر", "ڙ": "ز", "ږ": "ز", "ښ": "س",
    "ڛ": "س", "ڜ": "ش", "ۺ": "ش", "ڟ": "ظ", "ڠ": "ع", "ۼ": "غ", "ڡ": "ف", "ڢ": "ف", "ڥ": "ف", "ٯ": "ق",
    "ڨ": "ق", "ں": "ن", "ڹ": "ن", "ڻ": "ن", "ڼ": "ن", "ے": "ي", "ۓ": "ي", "ۍ": "ي", "ێ": "ي", "ؠ": "ي",
    "ۑ": "ي", "ۻ": "ض", "ڞ": "ص", "ڝ": "ص", "ڃ": "ج", "ڄ": "ج", "ڇ": "ج", "ڿ": "ج", "ځ": "ح", "ڂ": "ح",
    "څ": "ح", "ۿ": "ه",
}
_INVISIBLE_EXTRA = {"\u0640", "\u00ad", "\u034f", "\u115f", "\u1160", "\u17b4", "\u17b5", "\u180e",
                    "\u3164", "\uffa0", "\u2800"}


def _fold_char(ch: str) -> str:
    """What one character looks like, as a (usually one-character) string.

    Look-alikes are read before case folding, which would merge some of them with other letters
    (Greek final sigma 'ς' casefolds to 'σ', which looks like an 'o'; 'ς' itself looks like a 'c').
    """
    alike = _CONFUSABLES.get(ch) or _ARABIC.get(ch) or confusables.table().get(ch)
    if alike is not None:
        return alike
    cat = unicodedata.category(ch)
    if ch in _INVISIBLE_EXTRA or cat in ("Cf", "Mn", "Me"):
        return IGNORABLE
    if cat == "Nd":
        return str(unicodedata.digit(ch))
    if ch in LETTER_SYMBOLS:
        return ch
    if cat[0] in "PSZC":
        return " "
    out = []
    for c in unicodedata.normalize("NFKD", ch):
        if unicodedata.category(c) in ("Mn", "Me"):
            continue
        for d in c.casefold():
            if unicodedata.category(d) in ("Mn", "Me"):
                continue
            d = _CONFUSABLES.get(d, d)
            out.append(_ARABIC.get(d, d))
    folded = "".join(out)
    return folded if folded else IGNORABLE


def _regional_indicators() -> dict[int, str]:
    return {0x1F1E6 + i: chr(ord("a") + i) for i in range(26)}


# Letters and digits that stand for one another ('1', 'l' -> 'i'; '0' -> 'o' ...), folded in too.
_LOOKALIKES = {"l": "i", "1": "i", "v": "u", "0": "o", "4": "a", "3": "e", "5": "s", "7": "t"}
# Symbols read as letters inside a token; '_' and invisibles vanish.
_SKELETON_SYMBOLS = str.maketrans({"$": "s", "!": "i", "|": "i", "+": "t", "@": MASK, "_": None, IGNORABLE: None})


def _with_lookalikes(folded: str) -> str:
    return "".join(_LOOKALIKES.get(c, c) for c in folded)


@lru_cache(maxsize=1)
def _tables() -> tuple[str, np.ndarray, dict[int, str]]:
    """Built once per process: an ASCII table for `str.translate`, a BMP table (code point -> code point, an
    array: `str.translate` outside ASCII looks each character up in Python, numpy indexes the lot in C),
    and the full table, whose values may be longer than one character."""
    bmp: list[str] = []
    full: dict[int, str] = {}
    ranges = [range(0, 0x10000), range(0x1D400, 0x1D800), range(0x1F000, 0x1FB00)]
    for r in ranges:
        for cp in r:
            ch = chr(cp)
            folded = ch if 0xD800 <= cp < 0xE000 else _with_lookalikes(_fold_char(ch))
            if cp < 0x10000:
                bmp.append(folded if len(folded) == 1 else _EXPANDS)
            if folded != ch:
                full[cp] = folded
    for cp, letter in _regional_indicators().items():
        full[cp] = letter
    return "".join(bmp[:128]), np.array([ord(c) for c in bmp], dtype=np.uint32), full


@dataclass(frozen=True)
class Folded:
    """Folded text, and where each of its characters came from when that is not the same index."""

    text: str
    origin: tuple[int, ...] | None = None

    @cached_property
    def tokens(self) -> list[str]:
        """The folded text's words, split once for every filter that reads them."""
        return self.text.split()

    @cached_property
    def distinct(self) -> frozenset[str]:
        return frozenset(self.tokens)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The body offsets [start, end) of the folded text's [start, end)."""
        if self.origin is None:
            return start, end
        return self.origin[start], self.origin[end - 1] + 1


def fold(body: str) -> Folded:
    """Fold a body for matching, look-alike letters and digits included; see the module docstring."""
    ascii_table, bmp, full = _tables()
    if body.isascii():
        return Folded(body.translate(ascii_table))
    utf16 = body.encode("utf-16-le", "surrogatepass")
    if len(utf16) == 2 * len(body):  # no character beyond the BMP: code units are code points
        text = bmp.take(np.frombuffer(utf16, dtype=np.uint16)).tobytes().decode("utf-32-le", "surrogatepass")
        if _EXPANDS not in text:
            return Folded(text)
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(body):
        for c in full.get(ord(ch), ch):
            chars.append(c)
            origin.append(i)
    return Folded("".join(chars), tuple(origin))


def skeleton(word: str) -> str:
    """The matching key of a word or token: folded, look-alikes collapsed, symbols read, masks kept."""
    return fold(word).text.translate(_SKELETON_SYMBOLS)


def warm_up() -> None:
    """Build the tables now (worker start) rather than on the first comment."""
    _tables()


if __name__ == "__main__":  # pragma: no cover - a manual check
    print(skeleton(" ".join(sys.argv[1:])))
