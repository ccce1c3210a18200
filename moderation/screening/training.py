"""Train the text models from labelled TSV files (`make train`); needs the `train` extra (scikit-learn).

    python -m moderation.screening.training --data ../shared/data/train [--eval ../shared/data/eval] [--out DIR]

With `--eval`, each model is first fitted without any row whose text is also in the dev data (the probe: what
the other sources alone teach). A model whose training files copy its dev set, where that set is the kind of
comment the model will meet (`Task.crossfit`), is then cross-fitted: fitted five times, each time learning from
the dev rows outside one fold in place of the copy and scored on that fold, so every dev row is scored by the
shipped recipe without having been seen. Those scores (or the probe's, for the other models) are the model card's
numbers and what the calibration is fitted on; then the model is fitted again on all rows (the shipped file).
Seeds are fixed: the same data gives the same files.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from moderation.screening.scoring import HEADS, Calibration, Head, Models, logit
from moderation.screening.textmodel import DIM, MODELS, LinearModel, detect_language, features, token_texts

SEED = 20261201
FOLDS = 5
Row = tuple[str, int]


@dataclass(frozen=True)
class Task:
    """One model: which files, which labels are positive, which rows count as negatives."""

    name: str
    files: tuple[str, ...]
    positive: frozenset[str]
    negative: frozenset[str]
    # Rows of other files taken as negatives (ordinary comments are not spam), at most this many per file.
    borrow: tuple[str, ...] = ()
    borrow_max: int = 3000
    c: float = 1.0
    # Files counted more than once: the few rows closest to news comments weigh more than many tweets.
    repeat: tuple[tuple[str, int], ...] = ()
    # Files that hold the dev data itself (the same tweets or comments, not always byte for byte): left out
    # whole when the held-out model is fitted, or the dev numbers would measure memory.
    dev_copies: tuple[str, ...] = ()
    # Measured and calibrated cross-fitted (`crossfit`) where its dev copy is the kind of comment it will meet
    # (news comments, YouTube comments); else by the probe that never saw the copy.
    crossfit: bool = False
    nb: bool = False  # NB-LR (see `fit`)
    alpha: float = 1.0  # NB-LR's smoothing of the feature counts


# English sources left out, each because the held-out AUC on the dev tweets rose without it (docs/screening.md):
# HateXplain's derived copy (its "normal" takes in casual profanity), MLMA (88% toxic, "normal" ill-defined),
# and the Toxic Spans rows of Civil Comments (toxic only: the model learned news-comment style as toxicity).
TOXIC_EN = ("en/davidson2017_hate_offensive.tsv", "en/jigsaw_toxic_train_excerpt.tsv",
            "en/jigsaw_toxic_balanced_sample.tsv", "en/convabuse.tsv", "en/stormfront_degibert2018.tsv")
TOXIC_AR = ("ar/osact2020_train.tsv", "ar/mpold_rows_1_2000.tsv", "ar/mlma_ar.tsv")
# What is not spam: ordinary comments of every source, toxic or not. Civil Comments are news comments, the register
# of our sites ("thanks for your comment" is no channel promotion, which YouTube spam alone would teach).
NOT_SPAM = (*TOXIC_EN, "en/civil_comments_toxic_spans.tsv", "en/hatexplain_derived.tsv", "en/mlma_en.tsv", *TOXIC_AR)
TASKS = (
    Task("toxicity-en", TOXIC_EN, frozenset({"toxic"}), frozenset({"clean"}), c=0.3, nb=True,
         dev_copies=("en/davidson2017_hate_offensive.tsv",)),
    # Arabic: fewer rows, further from the dev comments; less smoothing and a stronger prior ranked better.
    Task("toxicity-ar", TOXIC_AR, frozenset({"toxic"}), frozenset({"clean"}), c=0.1, nb=True, alpha=0.1,
         repeat=(("ar/mpold_rows_1_2000.tsv", 3),), dev_copies=("ar/mpold_rows_1_2000.tsv",), crossfit=True),
    # YouTube's comments are mostly the dev set's own (a BOM apart): weighed three times, as MPOLD is.
    Task("spam", ("en/sms_spam_collection.tsv", "en/youtube_spam_01_03.tsv"), frozenset({"spam"}),
         frozenset({"ham"}), borrow=NOT_SPAM, borrow_max=4000, c=0.5,
         repeat=(("en/youtube_spam_01_03.tsv", 3),), dev_copies=("en/youtube_spam_01_03.tsv",), crossfit=True),
)


# Format characters (a BOM, zero-width joiners, bidi marks): a copy that differs only by them is the same text.
_FORMAT = {cp: None for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)) == "Cf"}


def normalised(text: str) -> str:
    """The text as two copies of one comment share it: case, spacing and format characters aside."""
    return " ".join(text.translate(_FORMAT).lower().split())


def read_tsv(path: Path, header: bool = False) -> list[list[str]]:
    csv.field_size_limit(10**7)
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [r for r in rows[1 if header else 0:] if len(r) >= 2 and r[0].strip()]


def dev_texts(eval_dir: Path | None) -> set[str]:
    if eval_dir is None:
        return set()
    return {normalised(r[0]) for p in sorted(eval_dir.glob("*.tsv")) for r in read_tsv(p, header=True)}


def extra_rows(task: Task, paths: Sequence[Path]) -> list[Row]:
    """A newsroom's own labels (`moderation export-labels`: text, clean|toxic|spam) for this task.

    Toxic and clean rows teach the toxicity model of their language; spam rows the spam model,
    for which every clean or toxic comment is an example of what is not spam.
    """
    lang = task.name.removeprefix("toxicity-") if task.name.startswith("toxicity-") else None
    out: list[Row] = []
    for path in paths:
        for r in read_tsv(path):
            text, label = r[0], r[1]
            if lang is None:
                out.append((text, int(label == "spam")))
            elif label in ("toxic", "clean"):
                detected = detect_language(token_texts(text))
                if detected == lang or detected == "mixed":
                    out.append((text, int(label == "toxic")))
    return out


def task_rows(task: Task, data: Path, exclude: set[str], extra: Sequence[Path] = ()) -> list[Row]:
    """The task's labelled rows; with `exclude` (the dev texts), without them and without the dev sets' copies."""
    rng = random.Random(SEED)
    rows: list[Row] = extra_rows(task, extra)
    repeat = dict(task.repeat)
    for name in task.files:
        if not (data / name).exists() or (exclude and name in task.dev_copies):
            continue  # a newsroom may train on part of the sources
        for r in read_tsv(data / name):
            text, label = r[0], r[1]
            if normalised(text) in exclude:
                continue
            if label in task.positive or label in task.negative:
                rows += [(text, int(label in task.positive))] * repeat.get(name, 1)
    for name in task.borrow:
        path = data / name
        if not path.exists():
            continue
        texts = [r[0] for r in read_tsv(path) if normalised(r[0]) not in exclude]
        rows += [(t, 0) for t in rng.sample(texts, min(task.borrow_max, len(texts)))]
    return rows


def matrix(texts: Sequence[str]) -> Any:  # a scipy CSR matrix (scipy has no type stubs)
    """The texts' hashed features as a CSR matrix, each row scaled as the scorer scales it."""
    from scipy.sparse import csr_matrix

    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for text in texts:
        idx, scale = features(text)
        indices += idx
        data += [scale] * len(idx)
        indptr.append(len(indices))
    m = csr_matrix((np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32), np.array(indptr)),
                   shape=(len(texts), DIM))
    m.sum_duplicates()
    return m


def nb_ratios(x: Any, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Each feature's log-count ratio between the classes (Wang and Manning's NBSVM, 2012), from presence counts."""
    present = (x > 0).astype(np.float32)
    pos = alpha + np.asarray(present[y == 1].sum(axis=0)).ravel()
    neg = alpha + np.asarray(present[y == 0].sum(axis=0)).ravel()
    return np.log((pos / pos.sum()) / (neg / neg.sum())).astype(np.float32)


def fit(name: str, rows: Sequence[Row], c: float, meta: dict[str, str] | None = None,
        nb: bool = False, alpha: float = 1.0) -> LinearModel:
    """A logistic regression over the rows, classes weighted equally; deterministic.

    `nb`: over features scaled by their NB log-count ratios (NB-LR). The model is still linear in the features,
    its weights the fitted ones times the ratios, so scoring is the same; on the dev sets it ranked better.
    """
    from sklearn.linear_model import LogisticRegression

    x = matrix([t for t, _ in rows])
    y = np.array([label for _, label in rows])
    ratios = nb_ratios(x, y, alpha) if nb else None
    if ratios is not None:
        x = x.multiply(ratios).tocsr()
    clf = LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=300, random_state=SEED)
    clf.fit(x, y)
    weights = clf.coef_[0] * ratios if ratios is not None else clf.coef_[0]
    return LinearModel(name, weights, float(clf.intercept_[0]), meta)


def auc(scores: Sequence[float], labels: Sequence[int]) -> float:
    """ROC AUC by ranks, ties shared (the Mann-Whitney U)."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    pos = sum(labels)
    neg = len(labels) - pos
    if not pos or not neg:
        return float("nan")
    return (sum(r for r, y in zip(ranks, labels, strict=True) if y) - pos * (pos + 1) / 2) / (pos * neg)


def recall_at(scores: Sequence[float], labels: Sequence[int], false_rate: float) -> float:
    """The share of positives caught by the best cut that flags at most `false_rate` of negatives."""
    neg = sorted((s for s, y in zip(scores, labels, strict=True) if not y), reverse=True)
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    if not neg or not pos:
        return float("nan")
    allowed = int(false_rate * len(neg))
    cut = neg[allowed] if allowed < len(neg) else -float("inf")
    return sum(s > cut for s in pos) / len(pos)


# Which dev file measures which model, and which of its labels are positive.
DEV = {"toxicity-en": ("davidson-dev.tsv", {"offensive", "hate"}), "toxicity-ar": ("mpold-dev.tsv", {"offensive"}),
       "spam": ("youtube-spam-dev.tsv", {"spam"})}


def metrics(scores: Sequence[float], labels: Sequence[int], prefix: str = "dev") -> dict[str, str]:
    """AUC and recall at 5% and 3% false flags, as the model card's `<prefix>_*` entries."""
    return {f"{prefix}_auc": f"{auc(scores, labels):.3f}",
            f"{prefix}_recall_at_5pct": f"{recall_at(scores, labels, 0.05):.3f}",
            f"{prefix}_recall_at_3pct": f"{recall_at(scores, labels, 0.03):.3f}"}


def dev_labelled(name: str, eval_dir: Path) -> list[Row]:
    """The dev file of a model's task, as (text, 1 if positive) rows in file order."""
    file, positive = DEV[name]
    return [(r[0], int(r[1] in positive)) for r in read_tsv(eval_dir / file, header=True)]


def dev_metrics(model: LinearModel, eval_dir: Path) -> dict[str, str]:
    """The probe's numbers: what the other sources alone teach."""
    rows = dev_labelled(model.name, eval_dir)
    return ({"dev_file": DEV[model.name][0], "dev_rows": str(len(rows))}
            | metrics([model.score(t).value for t, _ in rows], [y for _, y in rows]))


def folds(labels: Sequence[int], k: int = FOLDS) -> list[int]:
    """Each row's fold, 0 to k-1: each class shuffled (seeded) and dealt in turn, so every fold holds its share."""
    out = [0] * len(labels)
    rng = random.Random(SEED)
    for label in sorted(set(labels)):
        members = [i for i, y in enumerate(labels) if y == label]
        rng.shuffle(members)
        for n, i in enumerate(members):
            out[i] = n % k
    return out


def copies_dev(task: Task, data: Path) -> bool:
    """Whether the task's training files hold a copy of its dev set (so the shipped model has seen it)."""
    return any((data / name).exists() for name in task.dev_copies)


def crossfit(task: Task, held: Sequence[Row], dev: Sequence[Row],
             k: int = FOLDS) -> tuple[list[LinearModel], list[float]]:
    """The shipped recipe fitted k times, fold f's model learning from the dev rows outside fold f where the shipped
    one learns from their copy (weighed as the copy is), and never from fold f's rows; and each dev row's score by
    the model of its fold."""
    repeat = max(dict(task.repeat).get(name, 1) for name in task.dev_copies)
    assigned = folds([y for _, y in dev], k)
    models = []
    scores = [0.0] * len(dev)
    for f in range(k):
        rows = [*held, *[r for r, g in zip(dev, assigned, strict=True) if g != f] * repeat]
        model = fit(task.name, rows, task.c, nb=task.nb, alpha=task.alpha)
        for i, g in enumerate(assigned):
            if g == f:
                scores[i] = model.score(dev[i][0]).value
        models.append(model)
    return models, scores


def unseen(probes: Path, k: int = FOLDS) -> list[Models]:
    """For each fold, the models that never saw its dev rows: a task's fold model where it was cross-fitted, else its
    probe. A dev row of file F in fold f (`folds` of F's labels) is scored by set f, as the shipped models would
    score a comment they never saw."""
    def load(name: str, f: int) -> LinearModel:
        path = probes / f"{name}.fold{f}.npz"
        model = LinearModel.load(path if path.exists() else probes / f"{name}.npz")
        model.name = name
        return model
    return [Models({lang: load(f"toxicity-{lang}", f) for lang in ("en", "ar")}, load("spam", f), Calibration())
            for f in range(k)]


def model_of(models: Models, name: str) -> LinearModel:
    """A task's model in a set of models."""
    return models.spam if name == "spam" else models.toxicity[name.rsplit("-", 1)[1]]


def _platt(z: Sequence[float], y: Sequence[int]) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=100.0, class_weight="balanced", max_iter=1000, random_state=SEED)
    clf.fit(np.array(z).reshape(-1, 1), np.array(y))
    return float(clf.coef_[0][0]), float(clf.intercept_[0])


def _head(x: np.ndarray, y: np.ndarray, groups: list[tuple[str, int]], names: Sequence[str]) -> Head:
    """A logistic head, each (dev file, class) weighing the same, its weights kept non-negative.

    A flag may only raise the risk: a feature whose fitted weight comes out negative (a link among the dev
    data's spam-free tweets, say) is dropped and the rest refitted, so no rule makes a comment look safer.
    """
    from sklearn.linear_model import LogisticRegression

    sizes = {g: groups.count(g) for g in set(groups)}
    weight = np.array([1.0 / sizes[g] for g in groups])
    weight *= len(groups) / weight.sum()
    kept = list(range(len(names)))
    while True:
        clf = LogisticRegression(C=1.0, random_state=SEED)
        clf.fit(x[:, kept], y, sample_weight=weight)
        negative = [k for k, w in zip(kept, clf.coef_[0], strict=True) if w < 0]
        if not negative:
            break
        kept = [k for k in kept if k not in negative]
    fitted = dict(zip((names[k] for k in kept), clf.coef_[0], strict=True))
    return Head(round(float(clf.intercept_[0]), 4), {n: round(float(fitted.get(n, 0.0)), 4) for n in names})


# Which dev files teach which head of the risk; False: every row of the file is a negative for that head (tweets and
# news comments are not spam, as the spam model also learns), so the spam head does not lift ordinary comments.
HEAD_FILES = {"abuse": {"davidson-dev.tsv": True, "mpold-dev.tsv": True},
              "spam": {"youtube-spam-dev.tsv": True, "davidson-dev.tsv": False, "mpold-dev.tsv": False}}


def calibrate(eval_dir: Path, probes: Path, out: Path) -> Calibration:
    """Fit the calibration on the dev data, each row scored by models that never saw it (`unseen`), and write it.

    Each model gets Platt scaling on its own dev file; then each head of the risk is fitted on its
    dev files, every file and every class weighing the same: `risk` is log-odds under equal priors.
    """
    from moderation.screening.screener import rule_features, screener_for
    from moderation.sitepolicy import Policies

    sets = unseen(probes)
    dev = {name: dev_labelled(name, eval_dir) for name in DEV}
    fold = {name: folds([y for _, y in rows]) for name, rows in dev.items()}
    platt = {name: _platt([logit(model_of(sets[f], name).score(t).value)
                           for (t, _), f in zip(rows, fold[name], strict=True)], [y for _, y in rows])
             for name, rows in dev.items()}
    screeners = [screener_for(Policies().defaults, Models(s.toxicity, s.spam, Calibration(platt))) for s in sets]
    scored = []
    for name, rows in dev.items():
        for (text, label), f in zip(rows, fold[name], strict=True):
            analysis = screeners[f].screen_text(text)
            scored.append((DEV[name][0], analysis.scores.features() | rule_features(analysis), label))
    heads = {}
    for head, names in HEADS.items():
        files = HEAD_FILES[head]
        picked = [(file, feats, label if files[file] else 0) for file, feats, label in scored if file in files]
        x = np.array([[feats.get(n, 0.0) for n in names] for _, feats, _ in picked])
        y = np.array([label for _, _, label in picked])
        heads[head] = _head(x, y, [(file, label) for file, _, label in picked], names)
    cal = Calibration(platt, heads)
    (out / "calibration.json").write_text(json.dumps(cal.to_json(), indent=2, sort_keys=True) + "\n")
    return cal


def train(data: Path, out: Path, eval_dir: Path | None, probes: Path, only: Iterable[str] = (),
          extra: Sequence[Path] = ()) -> list[LinearModel]:
    out.mkdir(parents=True, exist_ok=True)
    probes.mkdir(parents=True, exist_ok=True)
    exclude = dev_texts(eval_dir)
    models = []
    for task in TASKS:
        if only and task.name not in only:
            continue
        meta = {"task": task.name, "files": ",".join(task.files), "c": str(task.c), "nb": str(task.nb),
                "alpha": str(task.alpha),
                "seed": str(SEED)}
        if eval_dir is not None:
            held = task_rows(task, data, exclude, extra)
            probe = fit(task.name, held, task.c, nb=task.nb, alpha=task.alpha)
            probe.save(probes / f"{task.name}.npz")
            meta |= dev_metrics(probe, eval_dir) | {"dev_fit_rows": str(len(held))}
            for stale in probes.glob(f"{task.name}.fold*.npz"):
                stale.unlink()
            if task.crossfit and copies_dev(task, data):
                dev = dev_labelled(task.name, eval_dir)
                folded, scores = crossfit(task, held, dev)
                for f, model in enumerate(folded):
                    model.save(probes / f"{task.name}.fold{f}.npz")
                meta |= metrics(scores, [y for _, y in dev], "cv")
            print(task.name, {k: v for k, v in meta.items() if k.startswith(("dev", "cv"))}, flush=True)
        rows = task_rows(task, data, set(), extra)
        meta["rows"] = str(len(rows))
        meta["positives"] = str(sum(y for _, y in rows))
        model = fit(task.name, rows, task.c, meta, nb=task.nb, alpha=task.alpha)
        model.save(out / f"{task.name}.npz")
        models.append(model)
    if eval_dir is not None:
        calibrate(eval_dir, probes, out)
    return models


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="folder of <lang>/<name>.tsv (text, label[, fine])")
    ap.add_argument("--eval", type=Path, default=None, help="dev folder: held out, scored, written to the card")
    ap.add_argument("--out", type=Path, default=MODELS)
    ap.add_argument("--probes", type=Path, default=Path("var/train/probes"),
                    help="where the models fitted without the dev rows are kept (to re-calibrate)")
    ap.add_argument("--labels", type=Path, action="append", default=[],
                    help="a newsroom's own text<TAB>clean|toxic|spam file (moderation export-labels); repeatable")
    ap.add_argument("--calibrate-only", action="store_true", help="refit calibration.json from the kept probes")
    ap.add_argument("--only", action="append", default=[], help="train only this model (repeatable)")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"no training data at {args.data}", file=sys.stderr)
        return 2
    if args.calibrate_only:
        if args.eval is None:
            ap.error("--calibrate-only needs --eval")
        calibrate(args.eval, args.probes, args.out)
        return 0
    train(args.data, args.out, args.eval, args.probes, args.only, args.labels)
    return 0


if __name__ == "__main__":
    sys.exit(main())
