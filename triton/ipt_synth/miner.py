"""The rule-based CPU synthesizer: mines reading-comprehension tasks from a text.

In the spirit of AdaptLLM ("Adapting LLMs via Reading Comprehension"): tasks
are mined with patterns over the text itself, so every answer is a span of
the text or a fact stated in it (wrapped in a few fixed template words,
listed in TEMPLATE_WORDS so tests can check nothing else is invented).

Deterministic by construction: no randomness, choices are made with SHA-1 of
the inputs (Python's hash() is salted per process and would break replay).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from . import protocol
from .textutil import (
    Sentence,
    is_content,
    is_number,
    keyword_ranks,
    split_sentences,
    squash,
    strip_final_punct,
    words,
)

Pair = Tuple[str, str]

TASK_TYPES: Tuple[str, ...] = (
    "title",
    "keywords",
    "completion",
    "cause_effect",
    "inference",
    "yes_no",
    "multiple_choice",
    "step_by_step",
)

MAX_PAIRS = 8  # one pass over the task types; long outputs still meet max_tokens
PER_TYPE = {"title": 2, "keywords": 2, "completion": 2, "cause_effect": 2, "inference": 2,
            "yes_no": 2, "multiple_choice": 2, "step_by_step": 1}
MIN_WORDS = 5  # texts shorter than this get no tasks (a model would have little to ask)

STEP_BY_STEP = "\nLet's think step by step."
THEREFORE = "\nTherefore, the answer is "

# Words that answers may contain besides words of the text.
TEMPLATE_WORDS = frozenset(
    "yes no the text says states it is mainly about and therefore answer reason given result "
    "this matches statement so of in word that fills blank contrast example".split()
)


@dataclass(frozen=True)
class MinedPair:
    task: str
    question: str
    answer: str


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha1("\x1f".join(parts).encode("utf-8")).digest()[:8], "big")


def _pick(options: Sequence[str], *key: str) -> str:
    """Deterministically pick a wording variant for `key`."""
    return options[_digest(*key) % len(options)]


def _lower_first(s: str) -> str:
    return s[:1].lower() + s[1:] if s[:1].isupper() and not s[1:2].isupper() else s


def _n_words(s: str) -> int:
    return len(words(s))


# ---------------------------------------------------------------- title / topic


def _title(text: str, sents: List[Sentence], ranks: Dict[str, int]) -> List[MinedPair]:
    out: List[MinedPair] = []
    first_line = text.strip().split("\n", 1)[0].strip()
    has_heading = (
        "\n" in text.strip() and 1 <= _n_words(first_line) <= 12 and not first_line.endswith((".", "?", "!"))
    )
    if has_heading:
        q = _pick(("What is the title of this article?", "What would be a good title for the text above?",
                   "Give this passage a title."), first_line)
        out.append(MinedPair("title", q, first_line))
    elif len(sents) >= 2:
        lead = sents[0].text
        q = _pick(("Summarize the text in one sentence.", "What is the gist of the passage?",
                   "Write a one-sentence summary of the article."), lead)
        out.append(MinedPair("title", q, lead))
    # Topic: the most frequent content words, in their surface form from the text.
    surface: Dict[str, str] = {}
    for w in words(text):
        surface.setdefault(w.text.lower(), w.text)
    top = [surface[k] for k, r in sorted(ranks.items(), key=lambda kv: kv[1]) if not is_number(k)][:2]
    if len(top) == 2 and len(sents) >= 2:
        q = _pick(("What is the main topic of this text?", "What is this passage mainly about?"), *top)
        out.append(MinedPair("title", q, f"It is mainly about {top[0]} and {top[1]}."))
    return out


# ---------------------------------------------------------------- keyword -> sentence


def _keywords(sents: List[Sentence], ranks: Dict[str, int]) -> List[MinedPair]:
    scored = []
    for s in sents:
        if not 6 <= _n_words(s.text) <= 40:
            continue
        cands = []
        seen = set()
        for w in words(s.text):
            k = w.text.lower()
            if is_content(w.text) and not is_number(w.text) and k not in seen:
                seen.add(k)
                cands.append(w)
        if len(cands) < 3:
            continue
        chosen = sorted(sorted(cands, key=lambda w: ranks.get(w.text.lower(), 1 << 30))[:3], key=lambda w: w.start)
        score = sum(ranks.get(w.text.lower(), 1 << 30) for w in chosen)
        scored.append((score, s.index, s, [w.text for w in chosen]))
    out = []
    for _, _, s, kws in sorted(scored)[:2]:
        kw = ", ".join(kws)
        q = _pick((f"Write a sentence that uses these words: {kw}.",
                   f"Generate a sentence about the following keywords: {kw}.",
                   f"Use the words {kw} in a sentence."), s.text)
        out.append(MinedPair("keywords", q, s.text))
    return out


# ---------------------------------------------------------------- sentence completion


def _completion(sents: List[Sentence]) -> List[MinedPair]:
    out = []
    # Prefer sentences from the middle of the text: the lead is used by the summary.
    for s in sorted(sents, key=lambda s: (s.index == 0, _digest(s.text))):
        ws = words(s.text)
        if not 8 <= len(ws) <= 45:
            continue
        cut = ws[len(ws) // 2].start
        prefix, suffix = s.text[:cut].rstrip(), s.text[cut:].strip()
        if not suffix or not prefix:
            continue
        q = _pick((f'Complete the following sentence: "{squash(prefix)} ..."',
                   f'How does this sentence from the text end? "{squash(prefix)} ..."',
                   f'Finish the sentence: {squash(prefix)}'), s.text)
        out.append(MinedPair("completion", q, suffix))
        if len(out) == PER_TYPE["completion"]:
            break
    return out


# ---------------------------------------------------------------- connectives

_CAUSE_IN = re.compile(r",?\s+\b(because|due to|owing to|as a result of|since)\b\s+", re.I)
_CAUSE_LEAD = re.compile(r"^(Because|Since|Due to|Owing to)\b\s+(.+?),\s+(.+)$", re.S)
_RESULT_LEAD = re.compile(
    r"^(Therefore|Thus|Hence|Consequently|As a result|As a consequence|For this reason|Accordingly)\b,?\s+(.+)$", re.S)
_RESULT_IN = re.compile(r"(?:,|;)\s*(?:and\s+)?(so|therefore|thus|hence|consequently|as a result)\b,?\s+", re.I)
_CONTRAST_LEAD = re.compile(r"^(However|Nevertheless|Nonetheless|In contrast|On the other hand|Yet)\b,?\s+(.+)$", re.S)
_CONTRAST_IN = re.compile(r",\s+(but|while|whereas|yet)\s+", re.I)
_CONCESSION_LEAD = re.compile(r"^(Although|Though|Even though|Despite|While)\b\s+(.+?),\s+(.+)$", re.S)
_EXAMPLE_LEAD = re.compile(r"^(For example|For instance|In particular)\b,?\s+(.+)$", re.S)


@dataclass(frozen=True)
class _Causal:
    effect: str  # the statement that is explained (span)
    cause: str  # its reason or consequence, depending on `kind` (span)
    kind: str  # "why" (cause asked) or "result" (effect asked)
    source: str  # the sentence(s) it came from, for reasoning


def _causal_facts(sents: List[Sentence]) -> List[_Causal]:
    facts: List[_Causal] = []
    for i, s in enumerate(sents):
        t = s.text
        m = _CAUSE_LEAD.match(t)
        if m and _n_words(m.group(3)) >= 3 and _n_words(m.group(2)) >= 2:
            facts.append(_Causal(strip_final_punct(m.group(3)), strip_final_punct(m.group(2)), "why", t))
            continue
        m = _CAUSE_IN.search(t)
        if m and _n_words(t[: m.start()]) >= 3 and _n_words(t[m.end():]) >= 2:
            facts.append(_Causal(t[: m.start()].strip(), strip_final_punct(t[m.end():]), "why", t))
            continue
        m = _RESULT_IN.search(t)
        if m and _n_words(t[: m.start()]) >= 3 and _n_words(t[m.end():]) >= 3:
            facts.append(_Causal(t[: m.start()].strip(), strip_final_punct(t[m.end():]), "result", t))
            continue
        m = _RESULT_LEAD.match(t)
        if m and i > 0 and _n_words(m.group(2)) >= 3:
            prev = sents[i - 1].text
            facts.append(_Causal(strip_final_punct(prev), strip_final_punct(m.group(2)), "result", f"{prev} {t}"))
    return facts


def _cause_effect(facts: List[_Causal]) -> List[MinedPair]:
    out = []
    for f in facts[: PER_TYPE["cause_effect"]]:
        if f.kind == "why":
            q = _pick((f'According to the text, what is the reason for the following? "{squash(f.effect)}"',
                       f'Why, according to the passage, is it the case that "{squash(f.effect)}"?',
                       f'What cause does the text give for this: "{squash(f.effect)}"?'), f.effect)
        else:
            q = _pick((f'What is the result of the following, according to the text? "{squash(f.effect)}"',
                       f'What follows from this, according to the passage: "{squash(f.effect)}"?',
                       f'The text says: "{squash(f.effect)}". What is the consequence?'), f.effect)
        out.append(MinedPair("cause_effect", q, f.cause))
    return out


def _inference(sents: List[Sentence]) -> List[MinedPair]:
    out = []
    for i, s in enumerate(sents):
        t = s.text
        prev = sents[i - 1].text if i > 0 else ""
        m = _CONTRAST_LEAD.match(t)
        if m and prev and _n_words(m.group(2)) >= 3:
            q = _pick((f'The text says: "{squash(prev)}" What contrasting point does it make next?',
                       f'Which statement in the text contrasts with "{squash(strip_final_punct(prev))}"?'), t)
            out.append(MinedPair("inference", q, m.group(2).strip()))
        elif (m := _EXAMPLE_LEAD.match(t)) and prev and _n_words(m.group(2)) >= 3:
            q = _pick((f'What example does the text give to illustrate this: "{squash(prev)}"?',
                       f'Give an example from the passage that supports: "{squash(strip_final_punct(prev))}"'), t)
            out.append(MinedPair("inference", q, m.group(2).strip()))
        elif (m := _CONCESSION_LEAD.match(t)) and _n_words(m.group(2)) >= 2 and _n_words(m.group(3)) >= 3:
            q = _pick((f'Despite the fact that {squash(strip_final_punct(m.group(2)))}, what does the text state?',
                       f'What holds even though {squash(strip_final_punct(m.group(2)))}, according to the text?'), t)
            out.append(MinedPair("inference", q, m.group(3).strip()))
        elif (m := _CONTRAST_IN.search(t)) and _n_words(t[: m.start()]) >= 3 and _n_words(t[m.end():]) >= 3:
            left = t[: m.start()].strip()
            q = _pick((f'What contrast does the text draw with "{squash(left)}"?',
                       f'The passage says "{squash(left)}", {m.group(1).lower()} what else does it say?'), t)
            out.append(MinedPair("inference", q, t[m.end():].strip()))
        if len(out) == PER_TYPE["inference"]:
            break
    return out


# ---------------------------------------------------------------- yes / no

_NEGATION = re.compile(r"\s+(not|never)\b|n't\b", re.I)
_PRONOUN_START = re.compile(r"^(It|This|That|These|Those|They|He|She|We|I|You|Such|Here|There)\b")


_CONTRACTIONS = {"can't": "can", "won't": "will", "shan't": "shall"}


def _drop_negation(t: str, m: "re.Match[str]") -> str:
    """The sentence with its first negation removed ("does not work" -> "does work")."""
    token = m.group(0)
    if token.lower() == "n't":
        w = re.search(r"(\w+n't)$", t[: m.end()])
        if w and w.group(1).lower() in _CONTRACTIONS:
            return t[: w.start()] + _CONTRACTIONS[w.group(1).lower()] + t[m.end():]
        return t[: m.start()] + t[m.end():]
    return t[: m.start()] + t[m.end():]


def _statement_ok(t: str) -> bool:
    return (8 <= _n_words(t) <= 35 and t.endswith(".") and not _PRONOUN_START.match(t)
            and not t.endswith("?") and '"' not in t)


def _yes_no(sents: List[Sentence]) -> List[MinedPair]:
    yes: Optional[MinedPair] = None
    no: Optional[MinedPair] = None
    for s in sorted(sents, key=lambda s: _digest("yn", s.text)):
        t = s.text
        if not _statement_ok(t):
            continue
        m = _NEGATION.search(t)
        if m and no is None:
            # Drop the negation: the text states the opposite, so the answer is No.
            q = f"Is it true that {_lower_first(squash(strip_final_punct(_drop_negation(t, m))))}?"
            no = MinedPair("yes_no", q, f'No. The text says: "{t}"')
        elif not m and yes is None:
            q = _pick((f'Based on the text, is the following statement true? "{squash(t)}"',
                       f"Does the text support this claim: {squash(t)}"), t)
            yes = MinedPair("yes_no", q, f'Yes. The text says: "{t}"')
        if yes and no:
            break
    # Which polarity comes first varies by text, so both show up across a corpus.
    pairs = [p for p in (yes, no) if p]
    return pairs if _digest("yn-order", *(p.question for p in pairs)) % 2 else pairs[::-1]


# ---------------------------------------------------------------- multiple choice


@dataclass(frozen=True)
class _Cloze:
    sentence: str
    term: str
    cloze: str
    options: List[str]


def _term_class(token: str, sentence_initial: bool) -> str:
    if is_number(token):
        return "number"
    if token[:1].isupper() and not sentence_initial:
        return "name"
    return "word"


def _clozes(sents: List[Sentence], ranks: Dict[str, int]) -> List[_Cloze]:
    # Candidate terms of each class across the whole text, in rank order.
    pool: Dict[str, List[str]] = {"number": [], "name": [], "word": []}
    seen: set = set()
    for s in sents:
        for j, w in enumerate(words(s.text)):
            if not is_content(w.text) or w.text.lower() in seen:
                continue
            seen.add(w.text.lower())
            pool[_term_class(w.text, j == 0)].append(w.text)
    for cls in pool:
        pool[cls].sort(key=lambda t: ranks.get(t.lower(), 1 << 30))
    out: List[_Cloze] = []
    for s in sorted(sents, key=lambda s: _digest("mc", s.text)):
        if not 6 <= _n_words(s.text) <= 40:
            continue
        ws = words(s.text)
        cands = [(j, w) for j, w in enumerate(ws) if is_content(w.text)]
        # Prefer numbers and names: they make crisp, unambiguous questions.
        cands.sort(key=lambda jw: ({"number": 0, "name": 1, "word": 2}[_term_class(jw[1].text, jw[0] == 0)],
                                   ranks.get(jw[1].text.lower(), 1 << 30)))
        for j, w in cands:
            cls = _term_class(w.text, j == 0)
            in_sentence = {x.text.lower() for x in ws}
            distractors = [t for t in pool[cls] if t.lower() not in in_sentence][:3]
            if len(distractors) < 2:
                continue
            options = sorted([w.text] + distractors, key=lambda t: _digest("opt", s.text, t))
            cloze = s.text[: w.start] + "____" + s.text[w.end :]
            out.append(_Cloze(s.text, w.text, squash(cloze), options))
            break
        if len(out) == PER_TYPE["multiple_choice"] + 1:
            break
    return out


def _options_block(options: Sequence[str]) -> str:
    return "\nOptions:\n" + "\n".join(f"- {o}" for o in options)


def _multiple_choice(clozes: List[_Cloze]) -> List[MinedPair]:
    out = []
    for c in clozes[: PER_TYPE["multiple_choice"]]:
        lead = _pick(("Fill in the blank:", "Which option best fills the blank?", "Choose the missing word:"), c.sentence)
        out.append(MinedPair("multiple_choice", f"{lead} {c.cloze}{_options_block(c.options)}", c.term))
    return out


# ---------------------------------------------------------------- step by step


def _step_by_step(facts: List[_Causal], clozes: List[_Cloze], sents: List[Sentence]) -> List[MinedPair]:
    if facts:
        f = facts[-1]  # the last fact: the first ones already serve cause_effect
        if f.kind == "why":
            q = f'Why, according to the text, is it the case that "{squash(f.effect)}"?{STEP_BY_STEP}'
            a = f'The text says: "{squash(f.source)}" So the reason given is that {f.cause}.{THEREFORE}{f.cause}'
        else:
            q = f'What is the result of the following, according to the text? "{squash(f.effect)}"{STEP_BY_STEP}'
            a = f'The text says: "{squash(f.source)}" So the result is that {f.cause}.{THEREFORE}{f.cause}'
        return [MinedPair("step_by_step", q, a)]
    if clozes:
        c = clozes[-1]
        q = f"Fill in the blank: {c.cloze}{_options_block(c.options)}{STEP_BY_STEP}"
        a = f'The text says: "{squash(c.sentence)}" So the word that fills the blank is {c.term}.{THEREFORE}{c.term}'
        return [MinedPair("step_by_step", q, a)]
    for s in sents:
        if _statement_ok(s.text) and not _NEGATION.search(s.text):
            q = f"Is it true that {_lower_first(squash(strip_final_punct(s.text)))}?{STEP_BY_STEP}"
            a = f'The text says: "{squash(s.text)}" This matches the statement.{THEREFORE}yes'
            return [MinedPair("step_by_step", q, a)]
    return []


# ---------------------------------------------------------------- assembly


def mine_text(text: str) -> Dict[str, List[MinedPair]]:
    """All tasks mined from `text`, grouped by task type (each list in preference order)."""
    if len(words(text)) < MIN_WORDS:
        return {t: [] for t in TASK_TYPES}
    sents = split_sentences(text)
    ranks = keyword_ranks(text)
    facts = _causal_facts(sents)
    clozes = _clozes(sents, ranks)
    return {
        "title": _title(text, sents, ranks),
        "keywords": _keywords(sents, ranks),
        "completion": _completion(sents),
        "cause_effect": _cause_effect(facts),
        "inference": _inference(sents),
        "yes_no": _yes_no(sents),
        "multiple_choice": _multiple_choice(clozes),
        "step_by_step": _step_by_step(facts, clozes, sents),
    }


def select_pairs(mined: Dict[str, List[MinedPair]], rotation: int = 0, history: str = "") -> List[MinedPair]:
    """Interleave task types round-robin, up to MAX_PAIRS, skipping repeated questions.

    `rotation` (the number of history rounds) shifts which type leads, the way
    the real model varies its task mix from round to round; questions already
    asked in the history are skipped, as a model conditioned on it would.
    """
    order = list(TASK_TYPES[rotation % len(TASK_TYPES):] + TASK_TYPES[: rotation % len(TASK_TYPES)])
    queues = {t: list(mined.get(t, []))[: PER_TYPE[t]] for t in order}
    seen = set()
    out: List[MinedPair] = []
    while len(out) < MAX_PAIRS and any(queues.values()):
        for t in order:
            if not queues[t] or len(out) >= MAX_PAIRS:
                continue
            p = queues[t].pop(0)
            key = squash(p.question).lower()
            if key in seen or (history and f"{protocol.QUE} {p.question} {protocol.ANS}" in history):
                continue
            seen.add(key)
            out.append(p)
    return out


def synthesize(prompt: str, max_tokens: int = protocol.VLLM_DEFAULT_MAX_TOKENS) -> str:
    """The generated text for `prompt` (without the prompt), cut at about `max_tokens`."""
    parsed = protocol.parse_prompt(prompt)
    if not parsed.well_formed or not parsed.text.strip():
        return ""
    pairs = select_pairs(mine_text(parsed.text), parsed.history_rounds, parsed.history)
    full = protocol.format_pairs((p.question, p.answer) for p in pairs)
    return protocol.truncate_to_tokens(full, max_tokens)


def generate(prompt: str, max_tokens: int, exclude_input_in_output: bool) -> str:
    """What the model returns in `text_output` — vLLM prepends the prompt unless excluded."""
    out = synthesize(prompt, max_tokens)
    return out if exclude_input_in_output else prompt + out


