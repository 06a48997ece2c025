from __future__ import annotations

from ipt_synth import protocol


def history_round(text: str, pairs: str) -> str:
    return protocol.reading_block(text) + pairs + "</s>"


def test_reading_block_format() -> None:
    assert protocol.reading_block("Hello.") == "<s> <CON> Hello. </CON>\n\n"
    assert protocol.reading_block("") == "<s>"


def test_parse_prompt_without_history() -> None:
    p = protocol.parse_prompt(protocol.reading_block("A text.\nSecond line."))
    assert p.well_formed and p.text == "A text.\nSecond line." and p.history == "" and p.history_rounds == 0


def test_parse_prompt_takes_last_block_after_history() -> None:
    h1 = history_round("First text.", "<QUE> Q1? <ANS> A1 </END>")
    h2 = history_round("Second text.", "<QUE> Q2? <ANS> A2 </END>\n\n<QUE> Q3? <ANS> A3 </END>")
    p = protocol.parse_prompt(h1 + h2 + protocol.reading_block("Third text."))
    assert p.text == "Third text."
    assert p.history == h1 + h2
    assert p.history_rounds == 2


def test_text_quoting_a_block_marker_is_not_split() -> None:
    text = "Some docs show the marker <s> <CON> inline, which is odd."
    p = protocol.parse_prompt(history_round("Old.", "<QUE> q <ANS> a </END>") + protocol.reading_block(text))
    assert p.text == text


def test_empty_text_and_malformed_prompts() -> None:
    p = protocol.parse_prompt(history_round("Old.", "<QUE> q <ANS> a </END>") + "<s>")
    assert p.well_formed and p.text == "" and p.history_rounds == 1
    assert not protocol.parse_prompt("just some words").well_formed
    assert not protocol.parse_prompt("").well_formed


def test_format_pairs_and_marker_cleaning() -> None:
    out = protocol.format_pairs([("Q1?", "A1"), ("Q2 <ANS> x?", "A2 </END>")])
    assert out == "<QUE> Q1? <ANS> A1 </END>\n\n<QUE> Q2   x? <ANS> A2 </END>"


def test_sampling_parameters() -> None:
    assert protocol.parse_sampling_parameters(b'{"temperature":0,"max_tokens":400}').max_tokens == 400
    assert protocol.parse_sampling_parameters(None).max_tokens == protocol.VLLM_DEFAULT_MAX_TOKENS
    assert protocol.parse_sampling_parameters("not json").max_tokens == protocol.VLLM_DEFAULT_MAX_TOKENS
    assert protocol.parse_sampling_parameters('{"max_tokens": null}').max_tokens == protocol.VLLM_DEFAULT_MAX_TOKENS
    assert protocol.parse_sampling_parameters('{"max_tokens": -3}').max_tokens == 0


def test_token_estimate_and_truncation() -> None:
    assert protocol.estimate_tokens("abcd" * 10) == 10
    assert protocol.truncate_to_tokens("x" * 100, 5) == "x" * 20
    assert protocol.truncate_to_tokens("short", 400) == "short"
    assert protocol.truncate_to_tokens("abc", 0) == ""
