"""Measure the filters on labelled data: the share of offensive/spam texts flagged, and of clean texts
flagged by mistake, ours beside better-profanity's on the same texts.

    python -m bench.eval_filters [DATA_DIR] [--bp-sample N]

DATA_DIR holds TSV files with a `text<TAB>label` header (default: ../shared/data/eval). The data
stays where it is: nothing of it is copied into the product, and CI does not need it.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

from better_profanity import profanity

from workers.screening import default_screener

RANK = {"low": 1, "medium": 2, "high": 3}
# Which of our flags count as "flagged" for each kind of data.
KINDS = {
    "davidson-dev.tsv": ("offensive language", {"profanity"}),
    "mpold-dev.tsv": ("offensive language", {"profanity"}),
    "youtube-spam-dev.tsv": ("spam", {"link", "personal_data", "repetition", "shouting", "profanity"}),
}


def read(path: Path) -> list[tuple[str, str]]:
    csv.field_size_limit(10**7)
    with path.open(encoding="utf-8", newline="") as f:
        return [(row["text"], row["label"]) for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]


def ours(text: str, codes: set[str], min_rank: int) -> bool:
    return any(f.code in codes and RANK[f.severity] >= min_rank for f in default_screener().screen_text(text).flags)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", nargs="?", default=str(Path(__file__).resolve().parents[2] / "shared/data/eval"))
    ap.add_argument("--bp-sample", type=int, default=600,
                    help="texts per label given to better-profanity (it takes ~10 ms a tweet); ours sees all")
    args = ap.parse_args(argv)
    data = Path(args.data)
    if not data.is_dir():
        print(f"no data folder at {data}", file=sys.stderr)
        return 2
    print(f"{'file':<22} {'label':<10} {'n':>6}  {'ours >=medium':>13} {'ours any':>9}  "
          f"{'bp (sample)':>12} {'ours, same sample':>17}")
    for name, (_what, codes) in KINDS.items():
        path = data / name
        if not path.exists():
            continue
        by_label: dict[str, list[str]] = defaultdict(list)
        for text, label in read(path):
            by_label[label].append(text)
        for label in sorted(by_label):
            texts = by_label[label]
            medium = sum(ours(t, codes, 2) for t in texts) / len(texts)
            anysev = sum(ours(t, codes, 1) for t in texts) / len(texts)
            sample = random.Random(7).sample(texts, min(args.bp_sample, len(texts)))
            started = time.perf_counter()
            bp = sum(profanity.contains_profanity(t) for t in sample) / len(sample)
            bp_time = time.perf_counter() - started
            ours_sample = sum(ours(t, codes, 2) for t in sample) / len(sample)
            print(f"{name:<22} {label:<10} {len(texts):>6}  {medium:>12.1%} {anysev:>9.1%}  "
                  f"{bp:>11.1%} {ours_sample:>17.1%}   (bp {bp_time / len(sample) * 1000:.1f} ms/text)")
    print("\nflagged = a flag of the kind the label is about (profanity; for spam: link, personal data, "
          "repetition, shouting, profanity); 'ours >=medium' counts flags of medium or high severity.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
