"""The trained text models: tokens, language, a tiny model trained through the shipped code, the shipped models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.screening import training
from moderation.screening.scoring import Models, shipped
from moderation.screening.textmodel import (
    MODELS,
    LinearModel,
    detect_language,
    token_features,
    token_spans,
    token_texts,
)


def test_tokens_fold_words_and_stand_links_numbers_and_handles_for_placeholders() -> None:
    body = "Check OUT www.spam.example, call +20 128 293 2709 or mail me@x.example @bob Ｈｅｌｌｏ f*ck, 12 or 2023!"
    assert token_texts(body) == ["check", "out", "2828", "caii", "2899", "or", "maii", "2829", "2868", "heiio",
                                 "f*ck", "2869", "or", "2889"]
    assert [body[s:e] for s, e in token_spans(body)] == [
        "Check", "OUT", "www.spam.example,", "call", "+20 128 293 2709", "or", "mail", "me@x.example", "@bob",
        "Ｈｅｌｌｏ", "f*ck", "12", "or", "2023"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab l1@.:/ +-,!*'\u200bّ٣كلبﬁÉ😀\t")), max_size=40))
def test_the_fast_tokens_and_their_spans_are_the_same_sequence(body: str) -> None:
    texts, spans = token_texts(body), token_spans(body)
    assert len(texts) == len(spans)
    assert all(0 <= s < e <= len(body) for s, e in spans)


@pytest.mark.parametrize("body,lang", [
    ("مقال رائع جدا", "ar"), ("A great article", "en"), ("مقال رائع جدا عن الاقتصاد ok", "ar"),
    ("great article مقال رائع", "mixed"), ("ﺍﻟﻤﻘﺎﻝ", "ar"), ("12345 !!! https://x.example", None),
    ("شوف الرابط https://spam.example/watch?v=abcdefghijk", "ar"),
])
def test_language_is_found_per_comment_from_its_letters(body: str, lang: str | None) -> None:
    assert detect_language(token_texts(body)) == lang


def write_tsv(path: Path, rows: list[tuple[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{t}\t{label}\n" for t, label in rows), encoding="utf-8")


@pytest.fixture()
def tiny_data(tmp_path: Path) -> Path:
    """A few rows in the training folder's layout: the shipped tasks read these files."""
    data = tmp_path / "train"
    rude = ["you are a stupid idiot", "shut up you moron", "idiot troll go away", "what a moron you are"]
    kind = ["thank you for the article", "a careful and fair report", "I learned a lot today", "good points here"]
    write_tsv(data / "en" / "jigsaw_toxic_balanced_sample.tsv",
              [(t, "toxic") for t in rude] + [(t, "clean") for t in kind])
    write_tsv(data / "ar" / "osact2020_train.tsv", [("يا غبي يا حمار", "toxic"), ("انت حقير وكلب", "toxic"),
                                                   ("مقال رائع شكرا", "clean"), ("تقرير مفيد جدا", "clean")])
    write_tsv(data / "en" / "youtube_spam_01_03.tsv", [("check out my channel subscribe", "spam"),
                                                        ("subscribe to my channel please", "spam"),
                                                        ("nice song", "ham"), ("I love this video", "ham")])
    return data


@pytest.mark.slow
def test_a_tiny_model_trained_through_the_shipped_code_ranks_its_own_kind_higher(tiny_data: Path,
                                                                                  tmp_path: Path) -> None:
    out = tmp_path / "models"
    models = training.train(tiny_data, out, None, tmp_path / "probes")
    assert sorted(p.name for p in out.glob("*.npz")) == ["spam.npz", "toxicity-ar.npz", "toxicity-en.npz"]
    loaded = Models.load(out)
    en = loaded.toxicity["en"]
    assert en.score("what an idiot").value > en.score("what an article").value
    ar = loaded.toxicity["ar"]
    assert ar.score("يا حمار").value > ar.score("مقال مفيد").value
    assert loaded.spam.score("subscribe to my channel").value > loaded.spam.score("a fair report").value
    assert {m.name for m in models} == {"toxicity-en", "toxicity-ar", "spam"}
    assert LinearModel.load(out / "spam.npz").meta["task"] == "spam"


def test_training_is_reproducible(tiny_data: Path, tmp_path: Path) -> None:
    first = training.train(tiny_data, tmp_path / "a", None, tmp_path / "p", only=["toxicity-en"])[0]
    second = training.train(tiny_data, tmp_path / "b", None, tmp_path / "p", only=["toxicity-en"])[0]
    assert (first.weights == second.weights).all() and first.bias == second.bias


@pytest.mark.slow
def test_a_newsrooms_own_labels_join_training(tiny_data: Path, tmp_path: Path) -> None:
    ours = tmp_path / "ours.tsv"
    write_tsv(ours, [("clickbait garbage rag", "toxic")] * 6 + [("garden party", "clean")] * 6
              + [("buy followers cheap", "spam")] * 6)
    before = training.train(tiny_data, tmp_path / "a", None, tmp_path / "p")
    after = training.train(tiny_data, tmp_path / "b", None, tmp_path / "p", extra=[ours])
    tox = {m.name: m for m in before}["toxicity-en"], {m.name: m for m in after}["toxicity-en"]
    assert tox[1].score("garbage rag").value > tox[0].score("garbage rag").value
    spam = {m.name: m for m in before}["spam"], {m.name: m for m in after}["spam"]
    assert spam[1].score("buy followers").value > spam[0].score("buy followers").value


def test_a_training_copy_of_a_dev_text_that_differs_by_a_format_character_is_held_out(tmp_path: Path) -> None:
    # 988 YouTube dev comments differ from their training copies by a BOM or another format character only.
    evaluation = tmp_path / "eval"
    write_tsv(evaluation / "youtube-spam-dev.tsv", [("text", "label"), ("Check out my channel \ufeff", "spam"),
                                                     ("nice song\u200e", "clean")])
    data = tmp_path / "train"
    write_tsv(data / "en" / "sms_spam_collection.tsv", [("check OUT my  channel", "spam"), ("nice song", "ham"),
                                                        ("call me later", "ham")])
    spam = next(t for t in training.TASKS if t.name == "spam")
    rows = training.task_rows(spam, data, training.dev_texts(evaluation))
    assert [t for t, _ in rows if t in ("check OUT my  channel", "nice song")] == []
    assert ("call me later", 0) in rows


def test_folds_are_stratified_and_fixed() -> None:
    labels = [1] * 10 + [0] * 40
    first = training.folds(labels)
    assert first == training.folds(labels)
    for f in range(training.FOLDS):
        assert sum(1 for y, g in zip(labels, first, strict=True) if g == f and y) == 2
        assert sum(1 for y, g in zip(labels, first, strict=True) if g == f and not y) == 8


@pytest.mark.slow
def test_a_model_that_learns_from_its_dev_set_is_measured_by_fold_models_that_never_saw_the_row(
        tiny_data: Path, tmp_path: Path) -> None:
    """The spam model learns from YouTube comments that are the dev set's own: each dev row is scored, and the
    calibration fitted, by a fold model that learned from the other folds and never from that row."""
    words = ["zorbliquent", "flumaxing", "grevantiol", "hapsodrine", "juntorvex", "klimpathor", "marvolint",
             "nebrocasp", "pindrelox", "quastiferon"]
    dev = [(f"check my channel {w}", "spam") for w in words[:5]] + [(f"lovely song {w}", "clean") for w in words[5:]]
    evaluation = tmp_path / "eval"
    write_tsv(evaluation / "youtube-spam-dev.tsv", [("text", "label"), *dev])
    write_tsv(evaluation / "davidson-dev.tsv",
              [("text", "label"), ("you idiot", "offensive"), ("a fair report", "clean")])
    write_tsv(evaluation / "mpold-dev.tsv", [("text", "label"), ("يا حمار", "offensive"), ("مقال مفيد", "clean")])
    write_tsv(tiny_data / "en" / "sms_spam_collection.tsv", [("win cash now, text back", "spam"),
                                                             ("see you at lunch", "ham")])
    probes = tmp_path / "probes"
    spam = {m.name: m for m in training.train(tiny_data, tmp_path / "models", evaluation, probes)}["spam"]
    assert sorted(p.name for p in probes.glob("spam.fold*.npz")) == [f"spam.fold{f}.npz" for f in range(5)]
    assert not list(probes.glob("toxicity-en.fold*"))  # English is measured by its probe (Davidson's are tweets)
    assert {"dev_auc", "cv_auc", "cv_recall_at_5pct"} <= set(spam.meta)
    sets = training.unseen(probes)
    fold = training.folds([int(label == "spam") for _, label in dev])
    for (text, _), word, f in zip(dev, words, fold, strict=True):
        feature = token_features(token_texts(word)[0])[0]  # the (folded) word itself: no other text holds it
        assert sets[f].spam.weights[feature] == 0, text  # its fold's model never saw the row
        assert any(s.spam.weights[feature] != 0 for s in sets), text  # the other folds' models learned from it
    calibration = json.loads((tmp_path / "models" / "calibration.json").read_text())
    assert set(calibration["platt"]) == {"toxicity-en", "toxicity-ar", "spam"}


def test_evidence_is_the_words_that_raised_the_score(tiny_data: Path, tmp_path: Path) -> None:
    model = training.train(tiny_data, tmp_path / "m", None, tmp_path / "p", only=["toxicity-en"])[0]
    body = "Thanks for the article, you idiot"
    where = token_spans(body)
    assert "idiot" in [body[slice(*where[i])] for i in model.score(body).top(2)]


def test_shipped_models_load_are_small_and_rank_abuse_above_ordinary_comments() -> None:
    for name in ("toxicity-en", "toxicity-ar", "spam"):
        assert (MODELS / f"{name}.npz").stat().st_size <= 10 * 1024 * 1024
    models = shipped()
    calibration = json.loads((MODELS / "calibration.json").read_text())
    assert set(calibration["platt"]) == {"toxicity-en", "toxicity-ar", "spam"}
    en = models.score(token_texts("You are a pathetic worthless loser, go kill yourself"), "en")
    ok = models.score(token_texts("The council will vote on the new budget next week."), "en")
    assert en.toxicity is not None and ok.toxicity is not None and en.toxicity > 0.8 > ok.toxicity
    ar = models.score(token_texts("انت حمار وغبي وحقير يا كلب"), "ar")
    ar_ok = models.score(token_texts("شكرا على هذا التقرير المفيد عن الاقتصاد"), "ar")
    assert ar.toxicity is not None and ar_ok.toxicity is not None and ar.toxicity > 0.8 > ar_ok.toxicity
    spam = models.score(token_texts("Check out my channel and subscribe!! http://bit.ly/xyz"), "en")
    assert spam.spam > 0.9 > ok.spam
    assert (MODELS / "MODEL_CARD.md").read_text().count("CC BY-SA") >= 2


@pytest.mark.slow
def test_a_worker_with_the_models_loaded_uses_at_most_150_mb_more() -> None:
    from bench import model_memory

    measured = model_memory.run()
    assert measured["without_mb"] > 20  # the baseline process really ran and screened
    assert 0 < measured["added_mb"] <= 150, measured  # the models were loaded, and cost what they may
