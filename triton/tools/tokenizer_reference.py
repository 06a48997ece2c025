"""Reference token ids for Mistral-7B-v0.1, for tests that hold ipt's tokenizer to it.

Reads JSON lines ({"text": ...}) on stdin and writes one JSON line per text with
  "hf": ids from a Hugging Face `tokenizers` tokenizer laid out like the model repository's
        tokenizer.json (the one vLLM loads through AutoTokenizer), special markers as one token;
  "sp": ids from SentencePiece itself, for texts without markers (null otherwise).

Both read mistral-common's copy of the model's SentencePiece file. The tokenizer.json layout is the
one transformers' Llama converter writes in legacy mode: the text split at the special tokens, each
stretch with a `▁` prepended and spaces replaced by `▁`, then one BPE pass whose merges are every
split of a vocabulary piece into two vocabulary pieces, ranked by the piece's score (best first),
then by the piece's id, then by the halves' ids; byte fallback for characters outside the vocabulary.
`--write-json PATH` writes that tokenizer.json instead; `--model PATH` reads another SentencePiece
BPE model (its control and unknown pieces become the special tokens).
"""

import json
import sys
from importlib.resources import files

import sentencepiece
from tokenizers import AddedToken, Tokenizer, normalizers
from tokenizers.models import BPE

MODEL = str(files("mistral_common") / "data" / "tokenizer.model.v1")


def specials(sp: sentencepiece.SentencePieceProcessor) -> list[str]:
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size()) if sp.is_control(i) or sp.is_unknown(i)]


def hf_tokenizer(sp: sentencepiece.SentencePieceProcessor) -> Tokenizer:
    size = sp.get_piece_size()
    vocab = {sp.id_to_piece(i): i for i in range(size)}
    ranked = []
    for piece, pid in vocab.items():
        halves = [
            (vocab[piece[:k]], vocab[piece[k:]])
            for k in range(1, len(piece))
            if piece[:k] in vocab and piece[k:] in vocab
        ]
        ranked.extend((-sp.get_score(pid), pid, left, right) for left, right in halves)
    ranked.sort()
    pieces = [sp.id_to_piece(i) for i in range(size)]
    merges = [(pieces[left], pieces[right]) for _, _, left, right in ranked]
    tok = Tokenizer(BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in specials(sp)])
    return tok


def main() -> None:
    args = sys.argv[1:]
    model = MODEL
    if len(args) >= 2 and args[0] == "--model":
        model, args = args[1], args[2:]
    sp = sentencepiece.SentencePieceProcessor(model_file=model)
    hf = hf_tokenizer(sp)
    if len(args) == 2 and args[0] == "--write-json":
        hf.save(args[1])
        return
    marks = specials(sp)
    texts = [json.loads(line)["text"] for line in sys.stdin if line.strip()]
    hf_ids = [e.ids for e in hf.encode_batch(texts, add_special_tokens=False)]
    out = sys.stdout
    for text, ids in zip(texts, hf_ids):
        plain = not any(s in text for s in marks)
        out.write(json.dumps({"hf": ids, "sp": sp.encode(text) if plain else None}))
        out.write("\n")


if __name__ == "__main__":
    main()
