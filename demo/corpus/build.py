#!/usr/bin/env python3
"""Writes demo/corpus/sample.jsonl from the documents in src/ (written for this project)."""
import json, pathlib, runpy
here = pathlib.Path(__file__).parent
docs = []
for part in sorted((here / "src").glob("part*.py")):
    docs += runpy.run_path(str(part))["DOCS"]
ids = [d[0] for d in docs]
assert len(ids) == len(set(ids)), "duplicate ids"
with open(here / "sample.jsonl", "w", encoding="utf-8") as out:
    for doc_id, url, text in docs:
        text = text.strip()
        assert 800 <= len(text) <= 3000, (doc_id, len(text))
        out.write(json.dumps({"id": doc_id, "url": url, "text": text}, ensure_ascii=False) + "\n")
print(f"{len(docs)} documents, {min(len(d[2].strip()) for d in docs)}-{max(len(d[2].strip()) for d in docs)} characters")
