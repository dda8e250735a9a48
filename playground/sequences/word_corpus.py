"""A generated corpus whose words carry consistent relations, so that word analogies can be checked.

Real text needs millions of words before word2vec's famous analogies (king − man + woman ≈ queen)
appear. Here a small grammar writes short sentences in which every word's company is built from
independent parts, so the relations are there after a few seconds of training:

- people nouns (man, king, actor, …) in four forms: male or female, one or many. A sentence about a
  noun holds a word that tells its *role* (crown, stage, …), its *gender* (his / her) and its
  *number* (loves / love, a / these, …), each drawn on its own. So "queen" keeps the company of
  "king" except that "her" takes the place of "his", just as "woman" does for "man";
- countries and their capitals: a sentence about a place names its language (french, …) and its
  kind (country: president, nation; city: mayor, streets).

Because each part of a word's company depends on one property only, the differences between word
vectors that skip-gram learns line up: vec(queen) − vec(king) ≈ vec(woman) − vec(man).
`make_corpus(seed)` returns the sentences, the vocabulary and the analogy questions they support,
grouped by relation. Same seed, same corpus.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter

import numpy as np

__all__ = ["COUNTRIES", "PEOPLE", "RELATIONS", "Analogy", "Corpus", "make_corpus", "relation_pairs"]

# People: (role words, male, female, male plural, female plural). Role words are what a sentence about
# one of them talks about: they tell the roles apart and say nothing about gender or number.
PEOPLE = (
    (("job", "office", "car"), "man", "woman", "men", "women"),
    (("school", "toys", "games"), "boy", "girl", "boys", "girls"),
    (("throne", "crown", "kingdom"), "king", "queen", "kings", "queens"),
    (("castle", "horse", "tower"), "prince", "princess", "princes", "princesses"),
    (("stage", "film", "script"), "actor", "actress", "actors", "actresses"),
    (("tables", "tray", "cafe"), "waiter", "waitress", "waiters", "waitresses"),
    (("baby", "family", "home"), "father", "mother", "fathers", "mothers"),
    (("cousins", "visit", "gifts"), "uncle", "aunt", "uncles", "aunts"),
)
# Countries: (country, capital, language). The language is what ties a capital to its country.
COUNTRIES = (
    ("france", "paris", "french"), ("italy", "rome", "italian"), ("spain", "madrid", "spanish"),
    ("germany", "berlin", "german"), ("japan", "tokyo", "japanese"), ("greece", "athens", "greek"),
    ("portugal", "lisbon", "portuguese"), ("russia", "moscow", "russian"),
)
# Relation name -> what it turns into what, as the page names it.
RELATIONS = {"gender": "male → female", "plural": "one → many", "capital": "country → capital"}

# Words that mark a noun's number and gender; the same for every role.
_ONE = {"det": ("a", "this", "one"), "verb": ("loves", "needs", "likes", "keeps")}
_MANY = {"det": ("these", "some", "two"), "verb": ("love", "need", "like", "keep")}
_PRONOUN = {"male": "his", "female": "her"}
# The wording around a place, by kind; the slots are filled with the place and its language.
_PLACE_TEMPLATES = {
    "country": (("{place}", "is", "a", "{language}", "country"),
                ("the", "president", "of", "{place}", "speaks", "{language}"),
                ("the", "{language}", "nation", "of", "{place}")),
    "capital": (("{place}", "is", "a", "{language}", "city"),
                ("the", "mayor", "of", "{place}", "speaks", "{language}"),
                ("the", "{language}", "streets", "of", "{place}")),
}


@dataclasses.dataclass(frozen=True)
class Analogy:
    """"a is to b as c is to expected", one question of `relation` (e.g. man : woman :: king : queen)."""

    a: str
    b: str
    c: str
    expected: str
    relation: str


@dataclasses.dataclass
class Corpus:
    """Sentences (lists of words), the vocabulary (most frequent first, ties alphabetical) and the
    analogy questions the corpus supports, by relation."""

    sentences: list[list[str]]
    vocabulary: list[str]
    questions: dict[str, list[Analogy]]
    seed: int

    @property
    def index(self) -> dict[str, int]:
        """Word -> its position in the vocabulary."""
        return {word: i for i, word in enumerate(self.vocabulary)}

    @property
    def tokens(self) -> int:
        """How many words the corpus holds, counting repeats."""
        return sum(len(s) for s in self.sentences)

    def all_questions(self) -> list[Analogy]:
        """Every question of every relation, in relation order."""
        return [q for relation in self.questions for q in self.questions[relation]]


def relation_pairs(relation: str) -> list[tuple[str, str]]:
    """The word pairs (from, to) of `relation` ("gender", "plural" or "capital"); ValueError otherwise."""
    if relation == "gender":
        return [(male, female) for _, male, female, _, _ in PEOPLE] + [(mp, fp) for *_, mp, fp in PEOPLE]
    if relation == "plural":
        return [(male, mp) for _, male, _, mp, _ in PEOPLE] + [(female, fp) for _, _, female, _, fp in PEOPLE]
    if relation == "capital":
        return [(country, capital) for country, capital, _ in COUNTRIES]
    raise ValueError(f"unknown relation {relation!r}; known relations are {', '.join(RELATIONS)}")


def _questions(relation: str) -> list[Analogy]:
    # Every ordered pair of different pairs: (a, b) and (c, d) give "a : b :: c : d".
    pairs = relation_pairs(relation)
    return [Analogy(a, b, c, d, relation) for (a, b), (c, d) in itertools.permutations(pairs, 2)]


def _person_sentence(rng: np.random.Generator, noun: str, roles: tuple, gender: str, many: bool) -> list[str]:
    marks = _MANY if many else _ONE
    det, verb = rng.choice(marks["det"]), rng.choice(marks["verb"])
    role, pronoun = rng.choice(roles), _PRONOUN[gender]
    if rng.random() < 0.5:  # "this king loves his crown"
        return [det, noun, verb, pronoun, role]
    return [pronoun, role, "pleases", det, noun]  # "his crown pleases this king"


def make_corpus(seed: int = 0, *, per_word: int = 40) -> Corpus:
    """The corpus: `per_word` sentences about each person noun and each place, shuffled.

    With the default 40: 1,920 sentences, about 9,800 words, a vocabulary of 107 words. The seed
    picks the wording of each sentence and their order; the relations are the same for every seed.
    """
    rng = np.random.default_rng(seed)
    sentences = []
    for roles, male, female, males, females in PEOPLE:
        for noun, gender, many in ((male, "male", False), (female, "female", False), (males, "male", True),
                                   (females, "female", True)):
            sentences += [_person_sentence(rng, noun, roles, gender, many) for _ in range(per_word)]
    for country, capital, language in COUNTRIES:
        for place, kind in ((country, "country"), (capital, "capital")):
            templates = _PLACE_TEMPLATES[kind]
            for _ in range(per_word):
                template = templates[rng.integers(len(templates))]
                sentences.append([w.format(place=place, language=language) for w in template])
    sentences = [[str(w) for w in sentences[i]] for i in rng.permutation(len(sentences))]
    counts = Counter(w for s in sentences for w in s)
    vocabulary = sorted(counts, key=lambda w: (-counts[w], w))
    return Corpus(sentences, vocabulary, {relation: _questions(relation) for relation in RELATIONS}, seed)
