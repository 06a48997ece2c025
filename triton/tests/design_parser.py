"""A tiny, independent implementation of ARCHITECTURE.md §2 output parsing, to check our outputs."""

from __future__ import annotations

from typing import List, Tuple


def parse_output(output: str) -> List[Tuple[str, str]]:
    pieces = output.split("</END>")
    if not output.endswith("</END>"):
        pieces = pieces[:-1]  # the last piece was cut off
    pairs: List[Tuple[str, str]] = []
    seen = set()
    for piece in pieces:
        parts = piece.split("<ANS>")
        if len(parts) != 2:
            continue
        question_part, answer = parts[0].strip(), parts[1].strip()
        if not question_part.startswith("<QUE>") or not answer:
            continue
        question = question_part.replace("<QUE>", "").strip()
        if question.lower() in seen:
            continue
        seen.add(question.lower())
        pairs.append((question, answer))
    return pairs
