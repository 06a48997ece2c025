"""Sentence and word splitting for the miner.

Sentences are returned as exact substrings of the input, so answers built
from them are verbatim spans of the text (grounded by construction).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List

# Candidate sentence ends: terminal punctuation (plus closing quotes/brackets)
# followed by whitespace, or a line break (headings and list items).
_BOUNDARY = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s)|\n+")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]|[A-Za-z]|\d[\d,.]*\d|\d")

# A period after these is not a sentence end ("Dr. Smith", "e.g. this").
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st sr jr vs etc e.g i.e a.m p.m no fig inc ltd co corp jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k".split()
)

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers herself him himself his how i if in into is it its itself just may might me more most must my
    myself no nor not now of off on once only or other our ours ourselves out over own same shall she should so
    some such than that the their theirs them themselves then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you your yours yourself
    yourselves one two many much however therefore thus hence although though yet since while whereas still
    even often every new used using use well like made make per via""".split()
)


@dataclass(frozen=True)
class Sentence:
    text: str  # exact substring of the source text
    start: int  # offset in the source text
    index: int  # position among the text's sentences


@dataclass(frozen=True)
class Word:
    text: str
    start: int  # offset inside the string it was found in
    end: int


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at `dot` closes an abbreviation or an initial."""
    if text[dot] != ".":
        return False
    m = re.search(r"([A-Za-z.]+)$", text[:dot])
    if not m:
        return False
    token = m.group(1).lower().strip(".")
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def split_sentences(text: str) -> List[Sentence]:
    """Split `text` into sentences (exact, stripped substrings)."""
    spans: List[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if m.group(0)[0] != "\n":
            if _is_abbreviation(text, m.start()):
                continue
            nxt = text[m.end() :].lstrip()
            if nxt[:1].islower():  # "p. 5 of the report" style: not a new sentence
                continue
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(text)))
    out: List[Sentence] = []
    for a, b in spans:
        chunk = text[a:b]
        stripped = chunk.strip()
        if not stripped:
            continue
        offset = a + (len(chunk) - len(chunk.lstrip()))
        out.append(Sentence(text=stripped, start=offset, index=len(out)))
    return out


def words(text: str) -> List[Word]:
    return [Word(m.group(0), m.start(), m.end()) for m in _WORD.finditer(text)]


def is_number(token: str) -> bool:
    return token[:1].isdigit()


def is_content(token: str) -> bool:
    """A word worth asking about: a number, or a non-stopword of 4+ letters."""
    if is_number(token):
        return True
    return len(token) >= 4 and token.lower() not in STOPWORDS


def keyword_ranks(text: str) -> Dict[str, int]:
    """Rank content words by frequency (ties: first occurrence). Key: lowercase."""
    counts: Dict[str, int] = {}
    first: Dict[str, int] = {}
    for i, w in enumerate(words(text)):
        if not is_content(w.text):
            continue
        key = w.text.lower()
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, i)
    order = sorted(counts, key=lambda k: (-counts[k], first[k]))
    return {k: r for r, k in enumerate(order)}


def squash(text: str) -> str:
    """Collapse whitespace, for text quoted inside a question."""
    return " ".join(text.split())


def strip_final_punct(text: str) -> str:
    return text.rstrip().rstrip(".!?;:,").rstrip()
