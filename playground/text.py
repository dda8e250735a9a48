"""Text to train a character model on: the project's own default text, and checks of a user's text.

`default_text(seed)` writes simple English from a small grammar of our own (animals, places,
weather, a few hundred distinct words, punctuation and line breaks). Words recur often and
sentences follow a few patterns, so a small character model learns to spell words within seconds.

`check_text(raw)` turns what a user pasted or uploaded (bytes or a string) into text a model can
train on, or raises `TextError` with what to change: bad UTF-8 (naming the byte offset), empty
text, text over the size limit, too few characters, too many different characters. Line endings
become "\\n".
"""

from __future__ import annotations

import random

__all__ = ["MAX_DISTINCT_CHARS", "MAX_TEXT_CHARS", "MIN_TEXT_CHARS", "TextError", "check_text",
           "default_text"]

# A few hundred kilobytes: enough for a book chapter, while reading and counting it stays instant
# and the page's copy of it stays small.
MAX_TEXT_CHARS = 200_000
# Training windows are 64 characters long; below a few windows' worth there is nothing to learn.
MIN_TEXT_CHARS = 200
# The model's output layer has one unit per distinct character; beyond this it is no longer small.
MAX_DISTINCT_CHARS = 500

_BOM = b"\xef\xbb\xbf"


class TextError(ValueError):
    """Text that cannot be trained on, with what to change."""


def check_text(raw: bytes | str, *, max_chars: int = MAX_TEXT_CHARS) -> str:
    """Decode and check a user's text; return it with line endings normalised to "\\n".

    raw: bytes (decoded as UTF-8, a leading byte-order mark dropped) or a string. Raises
    `TextError` with a message a user can act on.
    """
    if isinstance(raw, (bytes, bytearray, memoryview)):
        data = bytes(raw)
        # Checked on bytes first so a huge upload is refused before it is decoded; a UTF-8 character
        # is at most 4 bytes.
        if len(data) > 4 * max_chars:
            raise TextError(f"The text is {len(data):,} bytes long; at most {max_chars:,} characters "
                            f"may be used. Use a shorter extract.")
        skip = len(_BOM) if data.startswith(_BOM) else 0
        try:
            text = data[skip:].decode("utf-8")
        except UnicodeDecodeError as error:
            offset = error.start + skip
            raise TextError(f"The text is not valid UTF-8: the byte at offset {offset:,} "
                            f"(0x{data[offset]:02x}) cannot be read. Save the file as UTF-8 "
                            f"(most editors offer this under “Save as” → encoding) and try again.") from None
    elif isinstance(raw, str):
        text = raw
    else:
        raise TextError(f"Expected text or bytes, got {type(raw).__name__}.")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise TextError("The text is empty (or only spaces and line breaks). Paste or upload some text.")
    if len(text) > max_chars:
        raise TextError(f"The text has {len(text):,} characters; at most {max_chars:,} may be used. "
                        f"Use a shorter extract.")
    if len(text) < MIN_TEXT_CHARS:
        raise TextError(f"The text has only {len(text):,} characters; at least {MIN_TEXT_CHARS:,} are "
                        f"needed to train on. Paste or upload a longer text.")
    distinct = len(set(text))
    if distinct > MAX_DISTINCT_CHARS:
        raise TextError(f"The text uses {distinct:,} different characters; at most {MAX_DISTINCT_CHARS:,} "
                        f"are allowed (one output per character keeps the model small).")
    return text


# ----------------------------------------------------------------------------------------------
# The default text's grammar

_ANIMALS = ("cat", "dog", "fox", "owl", "hen", "cow", "pig", "goat", "sheep", "horse", "mouse",
            "rabbit", "bear", "wolf", "deer", "duck", "goose", "frog", "toad", "fish", "crow", "hawk",
            "eagle", "otter", "beaver", "badger", "squirrel", "hedgehog", "lion", "tiger", "zebra",
            "camel", "seal", "whale", "snail", "bee", "ant", "moth", "lamb", "pony")
_ADJECTIVES = ("small", "big", "old", "young", "quick", "slow", "quiet", "loud", "happy", "sleepy",
               "hungry", "brave", "shy", "clever", "lazy", "busy", "gentle", "wild", "tiny", "tall",
               "brown", "white", "black", "grey", "red", "golden", "spotted", "striped", "fluffy",
               "curious", "proud", "calm", "tired", "cheerful", "careful", "clumsy")
_PLACES = ("the forest", "the river", "the garden", "the meadow", "the hill", "the barn", "the farm",
           "the village", "the town", "the market", "the lake", "the field", "the valley",
           "the mountain", "the beach", "the harbour", "the bridge", "the road", "the park",
           "the orchard", "the pond", "the island", "the cave", "the mill", "the school",
           "the station", "the wood", "the marsh", "the castle", "the church")
_PREPOSITIONS = ("in", "near", "by", "behind", "under", "across", "beside", "over", "through",
                 "around")
_VERBS_PAST = ("walked", "ran", "slept", "sang", "jumped", "played", "waited", "danced", "rested",
               "wandered", "hid", "swam", "climbed", "looked around", "sat down", "stayed",
               "worked", "hurried", "listened", "laughed")
_VERBS_PRESENT = ("walks", "runs", "sleeps", "sings", "jumps", "plays", "waits", "dances", "rests",
                  "wanders", "hides", "swims", "climbs", "eats", "drinks", "reads", "dreams",
                  "works", "listens", "watches the birds")
_FOODS = ("apples", "bread", "cheese", "carrots", "berries", "nuts", "seeds", "grass", "honey",
          "corn", "soup", "pears", "plums", "fish", "cake", "rice", "beans", "milk")
_WEATHER = ("it was sunny", "it was raining", "it was windy", "it was cold", "it was warm",
            "it was snowing", "the sky was grey", "the sky was clear", "a storm was coming",
            "the fog was thick", "the sun was bright", "the air was fresh", "the wind was strong",
            "the clouds were low", "the night was dark", "the morning was misty")
_TIMES = ("in the morning", "at noon", "in the evening", "at night", "on monday", "on tuesday",
          "on wednesday", "on thursday", "on friday", "on saturday", "on sunday", "in spring",
          "in summer", "in autumn", "in winter", "every day", "after lunch", "before dinner",
          "at dawn", "at dusk")
_NAMES = ("Anna", "Ben", "Clara", "David", "Emma", "Felix", "Grace", "Hugo", "Ida", "Jack",
          "Kate", "Leo", "Mia", "Noah", "Olga", "Paul", "Rosa", "Sam", "Tara", "Victor")
_FEELINGS = ("happy", "sad", "glad", "tired", "surprised", "worried", "excited", "proud",
             "hungry", "calm")
_NUMBERS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "many", "some",
            "a few")
_PLURALS = {"sheep": "sheep", "mouse": "mice", "goose": "geese", "wolf": "wolves", "fish": "fish",
            "deer": "deer", "pony": "ponies", "fox": "foxes"}


def _plural(animal: str) -> str:
    return _PLURALS.get(animal, animal + "s")


def _a(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def _sentence(rng: random.Random) -> str:
    """One sentence from one of the grammar's patterns, capitalised and punctuated."""
    c = rng.choice
    animal, adjective, place = c(_ANIMALS), c(_ADJECTIVES), c(_PLACES)
    pattern = rng.randrange(13)
    if pattern == 0:
        s = f"the {adjective} {animal} {c(_VERBS_PAST)} {c(_PREPOSITIONS)} {place}."
    elif pattern == 1:
        s = f"{c(_TIMES)}, {c(_WEATHER)}, so the {animal} {c(_VERBS_PAST)} {c(_PREPOSITIONS)} {place}."
    elif pattern == 2:
        s = f"{c(_NAMES)} saw {_a(adjective)} {animal} {c(_PREPOSITIONS)} {place}."
    elif pattern == 3:
        s = f"{c(_NUMBERS)} {_plural(animal)} live {c(_PREPOSITIONS)} {place}."
    elif pattern == 4:
        s = f"the {animal} likes {c(_FOODS)} and {c(_FOODS)}."
    elif pattern == 5:
        s = f"{c(_WEATHER)} {c(_TIMES)}."
    elif pattern == 6:
        s = f"is the {animal} {c(_FEELINGS)}? Yes, the {animal} is very {c(_FEELINGS)}!"
    elif pattern == 7:
        s = f"{c(_NAMES)} and {c(_NAMES)} went to {place} {c(_TIMES)}."
    elif pattern == 8:
        s = f"the {animal} {c(_VERBS_PAST)} {c(_PREPOSITIONS)} {place} because {c(_WEATHER)}."
    elif pattern == 9:
        s = f"\"Where is the {animal}?\" asked {c(_NAMES)}. \"It is {c(_PREPOSITIONS)} {place},\" said {c(_NAMES)}."
    elif pattern == 10:
        s = f"the {adjective} {animal} and the {c(_ADJECTIVES)} {c(_ANIMALS)} are friends."
    elif pattern == 12:
        s = f"every {animal} {c(_VERBS_PRESENT)} {c(_PREPOSITIONS)} {place} {c(_TIMES)}."
    else:
        s = f"{c(_NAMES)} gave the {animal} some {c(_FOODS)}, and the {animal} was {c(_FEELINGS)}."
    return s[0].upper() + s[1:]


def default_text(seed: int = 0, chars: int = 20_000) -> str:
    """Simple English from the project's grammar, at most `chars` characters, ending at a line end.

    The same seed gives the same text. Sentences come one to a line, in paragraphs of two to five
    separated by a blank line.
    """
    rng = random.Random(seed)
    parts: list[str] = []
    length = 0
    while length < chars:
        paragraph = "\n".join(_sentence(rng) for _ in range(rng.randint(2, 5)))
        parts.append(paragraph)
        length += len(paragraph) + 2
    text = "\n\n".join(parts) + "\n"
    cut = text.rfind("\n", 0, chars + 1)
    return text[:cut + 1] if cut > 0 else text[:chars]
