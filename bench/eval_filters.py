"""Measure screening on labelled data, ours beside better-profanity and alt-profanity-check in the same run.

    python -m bench.eval_filters [DATA_DIR] [--sample N]      (make eval)

DATA_DIR holds TSV files with a `text<TAB>label` header (default: ../shared/data/eval). For each
set it prints the ROC AUC and the share of positives caught at 5% and 3% false flags, for our
`risk`, each of our flags' scores, better-profanity and alt-profanity-check; then how many
generated disguises of listed words are caught, and the share of clean texts carrying a flag of
content. The data stays where it is: nothing of it is copied into the product, and CI does not need it.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from moderation.policy import SEVERITY_RANK
from moderation.screening.lexicon import default_entries
from moderation.screening.scoring import Models
from moderation.screening.screener import Screener, screener_for
from moderation.screening.textmodel import MODELS
from moderation.screening.training import DEV, auc, folds, model_of, read_tsv, recall_at, unseen
from moderation.sitepolicy import Policies

CONTENT = {"profanity", "toxicity"}


def read(path: Path) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in read_tsv(path, header=True)]


Scorer = Callable[[Screener, str], float]  # a text's score, by a screener whose models never saw the text


def _flag_score(code: str) -> Scorer:
    def score(screener: Screener, text: str) -> float:
        analysis = screener.screen_text(text)
        if code == "toxicity":
            return analysis.scores.toxicity or 0.0
        if code == "spam":
            return analysis.scores.spam
        return max((SEVERITY_RANK[f.severity] for f in analysis.flags if f.code == code), default=0)
    return score


def scorers() -> dict[str, Scorer]:
    out: dict[str, Scorer] = {
        "ours: risk": lambda s, t: s.screen(t).risk,
        "ours: toxicity": _flag_score("toxicity"),
        "ours: spam": _flag_score("spam"),
        "ours: profanity (list)": _flag_score("profanity"),
    }
    try:
        from better_profanity import profanity
        out["better-profanity"] = lambda s, t: float(profanity.contains_profanity(t))
    except ImportError:  # pragma: no cover - a dependency of the service itself
        pass
    try:
        from profanity_check import predict_prob
        out["alt-profanity-check"] = lambda s, t: float(predict_prob([t])[0])
    except ImportError:
        print("alt-profanity-check is not installed (pip install '.[eval]'): its rows are left out", file=sys.stderr)
    return out


def row(name: str, scores: Sequence[float], labels: Sequence[int]) -> str:
    return (f"  {name:<24} AUC {auc(scores, labels):5.3f}   at 5%: {recall_at(scores, labels, 0.05):6.1%}"
            f"   at 3%: {recall_at(scores, labels, 0.03):6.1%}")


LEET = {"a": "@4", "e": "3", "i": "1!|", "o": "0", "s": "$5", "t": "7+"}
LOOKALIKE = {"a": "а", "c": "ϲ", "e": "е", "o": "о", "p": "р", "x": "х", "i": "і"}


def disguise(word: str, rng: random.Random) -> str:
    """One generated disguise of a listed word: leet, a look-alike, a doubled letter, a star, spacing or tatweel."""
    arabic = not word.isascii()
    kinds = ["double", "space", "zwj"] + (["tatweel", "diacritic"] if arabic else ["leet", "lookalike", "star", "case"])
    kind = rng.choice(kinds)
    i = rng.randrange(len(word))
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "space":
        return " ".join(word)
    if kind == "zwj":
        return "\u200d".join(word)
    if kind == "tatweel":
        return word[:max(1, i)] + "ــ" + word[max(1, i):]
    if kind == "diacritic":
        return word[:i + 1] + "\u064e" + word[i + 1:]
    if kind == "leet":
        spots = [j for j, c in enumerate(word) if c in LEET]
        if not spots:
            return word.upper()
        j = rng.choice(spots)
        return word[:j] + rng.choice(LEET[word[j]]) + word[j + 1:]
    if kind == "lookalike":
        spots = [j for j, c in enumerate(word) if c in LOOKALIKE]
        j = rng.choice(spots) if spots else 0
        return word[:j] + LOOKALIKE.get(word[j], word[j].upper()) + word[j + 1:]
    if kind == "star":
        spots = [j for j, c in enumerate(word) if c in "aeiou"] or [len(word) // 2]
        j = rng.choice(spots)
        return word[:j] + "*" + word[j + 1:]
    return word.upper()


def disguises(screener: Screener, n: int = 600) -> None:
    rng = random.Random(14)
    for lang in ("en", "ar"):
        words = [e.word for e in default_entries() if e.lang == lang and " " not in e.word and len(e.word) >= 3
                 and e.severity != "low"]
        picked = [disguise(rng.choice(words), rng) for _ in range(n)]
        caught = sum(any(f.code == "profanity" for f in screener.screen_text(f"well {w} then").flags) for w in picked)
        print(f"  disguised listed words, {lang}: {caught / n:6.1%} caught of {n} generated")


def scunthorpe(screener: Screener) -> None:
    """Innocent English words that hold a listed word (assassin, Scunthorpe): alt-profanity-check's vocabulary
    (~15k words of its training data), the words with a listed word of 3+ letters inside that better-profanity,
    whose list ours contains, does not flag either."""
    try:
        import joblib
        import profanity_check
        from better_profanity import profanity
    except ImportError:
        return
    from pathlib import Path as _Path

    vectorizer = joblib.load(_Path(profanity_check.__file__).parent / "data" / "vectorizer.joblib")
    listed = {e.word for e in default_entries() if e.lang == "en" and e.word.isalpha() and len(e.word) >= 3}
    vocab = sorted(w for w in vectorizer.vocabulary_ if w.isalpha() and w.isascii() and len(w) >= 4)
    holding = [w for w in vocab if w not in listed and any(x in w for x in listed)]
    def inflected(word: str) -> bool:  # 'bastards', 'fooled': a listed word's own form, not an innocent word
        return any(word.endswith(end) and (word[:-len(end)] in listed or word[:-len(end)] + "e" in listed
                                          or word[:-len(end) - 1] in listed)
                   for end in ("s", "es", "ed", "ing", "er", "ers"))

    innocent = [w for w in holding if not profanity.contains_profanity(w) and not inflected(w)]
    flagged = [w for w in innocent if any(f.code == "profanity" for f in screener.screen_text(w).flags)]
    print(f"  innocent English words holding a listed word (Scunthorpe): {len(flagged) / max(1, len(innocent)):6.1%}"
          f" flagged of {len(innocent)}" + (f" ({', '.join(flagged[:12])})" if flagged else ""))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", nargs="?", default=str(Path(__file__).resolve().parents[2] / "shared/data/eval"))
    ap.add_argument("--models", type=Path, default=None,
                    help="make train's probes (make eval passes them): each dev row is scored by models that never "
                         "saw it (the cross-fitted fold models), with the shipped calibration; default: the shipped "
                         "models, which saw the dev rows")
    ap.add_argument("--sample", type=int, default=3000,
                    help="texts per set (a stratified sample; better-profanity takes ~10 ms a tweet)")
    args = ap.parse_args(argv)
    data = Path(args.data)
    if not data.is_dir():
        print(f"no data folder at {data}", file=sys.stderr)
        return 2
    shipped = Models.load(MODELS)
    if args.models is not None:
        screeners = [screener_for(Policies().defaults, Models(s.toxicity, s.spam, shipped.calibration))
                     for s in unseen(args.models)]
        probes: Models | None = Models.load(args.models)
        print(f"models: {args.models}: each dev row scored by models that never saw it (cross-fitted where the "
              "training files copy the dev set), with the shipped calibration\n")
    else:
        screeners = [screener_for(Policies().defaults, shipped)]
        probes = None
        print("models: the shipped ones. They were trained on every training row, and the training folder holds "
              "copies of the three dev sets: their numbers here are in-sample. `make eval` measures make train's "
              "cross-fitted models instead.\n")
    score_by = scorers()
    for task, (name, positive) in DEV.items():
        path = data / name
        if not path.exists():
            continue
        everything = read(path)
        truth = [int(label in positive) for _, label in everything]
        fold = folds(truth) if probes is not None else [0] * len(everything)
        picked = list(range(len(everything)))
        if len(picked) > args.sample:
            picked = random.Random(7).sample(picked, args.sample)
        rows = [(everything[i][0], screeners[fold[i]]) for i in picked]
        labels = [truth[i] for i in picked]
        print(f"{name}: {len(rows)} texts, {sum(labels)} positive")
        for scorer, fn in score_by.items():
            print(row(scorer, [fn(s, t) for t, s in rows], labels))
        if probes is not None and (args.models / f"{task}.fold0.npz").exists():
            alone = model_of(probes, task)  # what the other sources alone teach: the copy of this set left out
            print(row(f"ours: {task} (no copy)", [alone.score(t).value for t, _ in rows], labels))
        clean = [(t, s) for (t, s), y in zip(rows, labels, strict=True) if not y]
        flagged = sum(bool({f.code for f in s.screen_text(t).flags} & CONTENT) for t, s in clean)
        print(f"  clean texts with a flag of content (profanity or toxicity): {flagged / max(1, len(clean)):6.1%}")
    print("disguises (generated from the shipped lists, seed 14) and look-alike innocent words:")
    disguises(screeners[0])
    scunthorpe(screeners[0])
    print("\nAUC: how often a positive outranks a negative; 'at 5%': positives caught by the best cut that flags "
          "at most 5% of negatives. better-profanity answers yes/no, so its AUC is that of one cut.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
