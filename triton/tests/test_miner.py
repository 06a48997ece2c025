from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Dict, List

import pytest
from conftest import PLAIN_TEXT, RICH_TEXT, TRITON_DIR
from design_parser import parse_output

from ipt_synth import miner, protocol
from ipt_synth.textutil import split_sentences, words

SPAN_TASKS = {"keywords", "completion", "cause_effect", "inference", "multiple_choice"}


def full(text: str, history: str = "") -> str:
    return miner.synthesize(history + protocol.reading_block(text), max_tokens=100_000)


def grounded(answer: str, text: str) -> bool:
    """No invented words: every word of the answer is in the text or a fixed template word."""
    text_words = {w.text.lower() for w in words(text)}
    extra = {w.text.lower() for w in words(answer)} - text_words - miner.TEMPLATE_WORDS
    return not extra


def test_every_task_type_is_mined_and_emitted() -> None:
    mined = miner.mine_text(RICH_TEXT)
    for task in miner.TASK_TYPES:
        assert mined[task], f"no {task} task mined"
    chosen = miner.select_pairs(mined)
    assert {p.task for p in chosen} == set(miner.TASK_TYPES)


def test_output_parses_per_design_rules() -> None:
    out = full(RICH_TEXT)
    pairs = parse_output(out)
    assert len(pairs) == miner.MAX_PAIRS
    assert out.endswith("</END>")
    blocks = out.split("\n\n<QUE>")
    assert len(blocks) == len(pairs)  # pair blocks joined by exactly "\n\n"
    assert all(re.fullmatch(r"<QUE> .+ <ANS> .+ </END>", b if b.startswith("<QUE>") else "<QUE>" + b, re.S)
               for b in blocks)


@pytest.mark.parametrize("text", [RICH_TEXT, PLAIN_TEXT])
def test_answers_are_grounded(text: str) -> None:
    mined = miner.mine_text(text)
    for task, pairs in mined.items():
        for p in pairs:
            assert p.answer.strip(), p
            assert grounded(p.answer, text), (task, p.answer)
            if task in SPAN_TASKS or (task == "title" and not p.answer.startswith("It is mainly about")):
                assert p.answer in text, (task, p.answer)
            for quoted in re.findall(r'The text says: "(.*?)"', p.answer, re.S):
                assert quoted in " ".join(text.split()), (task, quoted)


def test_multiple_choice_format() -> None:
    for p in miner.mine_text(RICH_TEXT)["multiple_choice"]:
        body, _, opts = p.question.partition("\nOptions:\n")
        assert opts, p.question
        options = [line[2:] for line in opts.split("\n")]
        assert all(line.startswith("- ") for line in opts.split("\n"))
        assert len(options) >= 3 and len(set(options)) == len(options)
        assert p.answer in options and "____" in body
        assert all(o in RICH_TEXT for o in options)  # distractors come from the text too


def test_step_by_step_format() -> None:
    (p,) = miner.mine_text(RICH_TEXT)["step_by_step"]
    assert p.question.endswith("\nLet's think step by step.")
    reasoning, _, final = p.answer.partition("\nTherefore, the answer is ")
    assert reasoning and final and final in RICH_TEXT
    out = full(RICH_TEXT)
    assert "\nLet's think step by step. <ANS> " in out and "\nTherefore, the answer is " in out


def test_yes_no_questions() -> None:
    answers = [p.answer for p in miner.mine_text(PLAIN_TEXT)["yes_no"]]
    assert any(a.startswith("Yes.") for a in answers)
    assert any(a.startswith("No.") for a in answers)  # from "does not freeze"
    no = next(p for p in miner.mine_text(PLAIN_TEXT)["yes_no"] if p.answer.startswith("No."))
    assert " not " not in no.question and no.question.startswith("Is it true that")


def test_deterministic_across_processes() -> None:
    prompt = protocol.reading_block(RICH_TEXT)
    code = ("import sys; sys.path.insert(0, %r); from ipt_synth import miner; import json; "
            "print(json.dumps(miner.synthesize(%r, 400)))") % (str(TRITON_DIR), prompt)
    outs = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        outs.add(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                check=True).stdout)
    assert len(outs) == 1
    assert miner.synthesize(prompt, 400) == miner.synthesize(prompt, 400)


def test_max_tokens_cuts_output_mid_way() -> None:
    prompt = protocol.reading_block(RICH_TEXT)
    whole = miner.synthesize(prompt, 100_000)
    cut = miner.synthesize(prompt, 120)
    assert whole.startswith(cut) and len(cut) == 120 * protocol.CHARS_PER_TOKEN
    assert not cut.endswith("</END>")
    assert 0 < len(parse_output(cut)) < len(parse_output(whole))
    # vLLM's default of 16 tokens when the request names no max_tokens
    assert len(miner.synthesize(prompt)) == 16 * protocol.CHARS_PER_TOKEN
    assert parse_output(miner.synthesize(prompt)) == []


def test_exclude_input_in_output() -> None:
    prompt = protocol.reading_block(PLAIN_TEXT)
    gen = miner.generate(prompt, 400, True)
    assert miner.generate(prompt, 400, False) == prompt + gen
    assert not gen.startswith("<s>")


@pytest.mark.parametrize("text", ["", "   ", "Hi.", "Too short to ask.", "<s> <CON> </END>"])
def test_short_or_empty_texts_give_no_pairs(text: str) -> None:
    assert parse_output(miner.synthesize(protocol.reading_block(text), 400)) == []


def test_history_is_used_deterministically() -> None:
    round0 = protocol.reading_block(PLAIN_TEXT) + full(PLAIN_TEXT) + "</s>"
    with_history = full(RICH_TEXT, history=round0)
    assert with_history == full(RICH_TEXT, history=round0)
    # Same mined facts, another task order (the round count rotates the task mix).
    assert with_history != full(RICH_TEXT)
    mined = {(p.question, p.answer) for ps in miner.mine_text(RICH_TEXT).values() for p in ps}
    assert parse_output(with_history) and set(parse_output(with_history)) <= mined
    # A question already asked in the history is not asked again.
    first_q = parse_output(full(RICH_TEXT))[0][0]
    repeated = protocol.reading_block("Earlier.") + f"<QUE> {first_q} <ANS> x </END></s>"
    assert first_q not in [q for q, _ in parse_output(full(RICH_TEXT, history=repeated))]


def test_sentence_split_keeps_exact_spans() -> None:
    text = "Dr. Smith arrived at 3.5 p.m. yesterday. He left early!\nA heading\nThe U.S. team won."
    sents = split_sentences(text)
    assert [s.text for s in sents] == ["Dr. Smith arrived at 3.5 p.m. yesterday.", "He left early!", "A heading",
                                       "The U.S. team won."]
    assert all(text[s.start : s.start + len(s.text)] == s.text for s in sents)


ODD_TEXTS: List[str] = [
    "Ünïcödé text — with “quotes” and emoji 🙂. Because of this, parsing must cope. However, it works fine here.",
    "List:\n- item one is here\n- item two is there\n- item three because reasons are many",
    "Numbers 1, 2, 3 and 4.5 appear. Therefore, 10 is bigger than 9. The total was 1,234 units in 2020.",
    "A text with </END> and <ANS> and <QUE> markers inside, because people paste anything. So be it, really now.",
    "word " * 300,
    "Why is the sky blue? Nobody knows for sure! Scientists, however, have strong theories about it.",
]


@pytest.mark.parametrize("text", ODD_TEXTS)
def test_odd_texts_never_break_the_format(text: str) -> None:
    out = full(text)
    pairs = parse_output(out)
    assert len(pairs) == len([b for b in out.split("</END>") if b.strip()])
    for q, a in pairs:
        assert q and a and "<ANS>" not in a and "</END>" not in a
        assert grounded(a, text)


def test_many_generated_texts_are_fast_and_parse() -> None:
    import time

    texts: Dict[int, str] = {}
    sentences = split_sentences(RICH_TEXT + " " + PLAIN_TEXT)
    for i in range(200):
        texts[i] = " ".join(sentences[(i + k) % len(sentences)].text for k in range(1 + i % 9))
    started = time.perf_counter()
    for t in texts.values():
        out = miner.synthesize(protocol.reading_block(t), 400)
        assert len(out) <= 400 * protocol.CHARS_PER_TOKEN
        parse_output(out)
    assert time.perf_counter() - started < 10  # the CPU model must not be the bottleneck
