"""Tests for playground.sequences.word_corpus: the corpus repeats with its seed, every analogy's words are in
its vocabulary, and the sentences carry each relation consistently (the property the analogies rest on)."""

from __future__ import annotations

import pytest

from playground.sequences.word_corpus import COUNTRIES, PEOPLE, RELATIONS, make_corpus, relation_pairs


@pytest.fixture(scope="module")
def corpus():
    return make_corpus(0)


def test_the_same_seed_gives_the_same_corpus_and_another_seed_another(corpus):
    again = make_corpus(0)
    assert again.sentences == corpus.sentences and again.vocabulary == corpus.vocabulary
    assert make_corpus(1).sentences != corpus.sentences


def test_sizes_match_the_documented_ones(corpus):
    assert len(corpus.sentences) == 40 * (4 * len(PEOPLE) + 2 * len(COUNTRIES)) == 1920
    assert len(corpus.vocabulary) == 107
    assert 9000 < corpus.tokens < 10500
    assert len(make_corpus(0, per_word=5).sentences) == 240


def test_every_analogy_word_is_in_the_vocabulary_and_the_questions_are_all_pairs_of_pairs(corpus):
    vocabulary = set(corpus.vocabulary)
    assert list(corpus.questions) == list(RELATIONS)
    for relation, questions in corpus.questions.items():
        n = len(relation_pairs(relation))
        assert len(questions) == n * (n - 1)  # 16 pairs: 240 questions; 8 countries: 56
        for q in questions:
            assert {q.a, q.b, q.c, q.expected} <= vocabulary
            assert q.relation == relation and (q.a, q.b) != (q.c, q.expected)
            assert (q.a, q.b) in relation_pairs(relation) and (q.c, q.expected) in relation_pairs(relation)
    assert len(corpus.all_questions()) == 240 + 240 + 56


def test_vocabulary_runs_from_the_most_frequent_word(corpus):
    counts = [sum(s.count(w) for s in corpus.sentences) for w in corpus.vocabulary]
    assert counts == sorted(counts, reverse=True)


def test_each_sentence_about_a_person_carries_its_gender_and_number(corpus):
    gender = {w: g for _, m, f, mp, fp in PEOPLE for w, g in ((m, "his"), (mp, "his"), (f, "her"), (fp, "her"))}
    many = {mp for *_, mp, _ in PEOPLE} | {fp for *_, fp in PEOPLE}
    roles = {w: set(r) for r, *words in PEOPLE for w in words}
    seen = 0
    for sentence in corpus.sentences:
        nouns = [w for w in sentence if w in gender]
        if not nouns:
            continue
        seen += 1
        (noun,) = nouns
        assert gender[noun] in sentence and ({"his", "her"} - {gender[noun]}).isdisjoint(sentence)
        assert len(roles[noun] & set(sentence)) == 1
        plural_marks = {"these", "some", "two", "love", "need", "like", "keep"}
        assert bool(plural_marks & set(sentence)) == (noun in many)
    assert seen == 40 * 4 * len(PEOPLE)


def test_each_sentence_about_a_place_names_its_language_and_its_kind(corpus):
    kinds = {"country": {"country", "president", "nation"}, "capital": {"city", "mayor", "streets"}}
    for country, capital, language in COUNTRIES:
        for place, kind in ((country, "country"), (capital, "capital")):
            about = [s for s in corpus.sentences if place in s]
            assert len(about) == 40
            for sentence in about:
                assert language in sentence and len(kinds[kind] & set(sentence)) == 1
                assert not kinds["country" if kind == "capital" else "capital"] & set(sentence)


def test_an_unknown_relation_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="gender, plural, capital"):
        relation_pairs("tense")
