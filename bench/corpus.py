"""Generated comments for benchmarks: English and Arabic, 1500 characters, now and then rude or disguised."""

from __future__ import annotations

import random

EN = ("The council said on Monday that it would review the budget after critics argued the plan was unfair "
      "to families in the north, while supporters praised its focus on schools, hospitals and buses. I have "
      "lived here for 20 years and never seen the roads this bad; the minister should answer for it. Good "
      "reporting, thanks. Who checked these numbers? In 2023 the same promise was made and nothing changed.").split()
AR = ("قالت الحكومة يوم الاثنين إنها ستراجع الميزانية بعد أن قال المنتقدون إن الخطة غير عادلة للعائلات في "
      "الشمال، بينما أشاد المؤيدون بتركيزها على المدارس والمستشفيات والمواصلات. أعيش هنا منذ عشرين عاماً ولم "
      "أرَ الطرق بهذا السوء، وعلى الوزير أن يجيب. تقرير جيد، شكراً. من راجع هذه الأرقام؟ في عام ٢٠٢٣ وُعدنا "
      "بالشيء نفسه ولم يتغير شيء.").split()
EN_RUDE = ["idiot", "f*cking", "sh1t", "B.A.S.T.A.R.D", "a$$hole", "ｆｕｃｋ", "stupid"]
AR_RUDE = ["يا كلب", "حقير", "والخنازير", "ك ل ب", "يلعن", "حمــــار", "وسخ"]


def comments(n: int, words: list[str], rude: list[str], *, seed: int, length: int = 1500) -> list[str]:
    """`n` comments of exactly `length` characters; about one in three carries a rude word."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < length:
            parts.append(rng.choice(rude) if rng.random() < 0.004 else rng.choice(words))
        out.append(" ".join(parts)[:length])
    return out


def english(n: int, seed: int = 1) -> list[str]:
    return comments(n, EN, EN_RUDE, seed=seed)


def arabic(n: int, seed: int = 2) -> list[str]:
    return comments(n, AR, AR_RUDE, seed=seed)
