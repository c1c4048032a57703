"""Topics for memories from the shared embedder: no LLM, no network.

Two parts, both cosine similarities in the embedder's space:

1. Labels: each descriptive topic label (optionally with a few hint terms) is embedded once;
   its vector is the normalised mean of the label's and hints' embeddings. A memory gets
   the labels whose similarity with its own embedding is >= `threshold` and within `margin`
   of its best label, at most `max_labels`; "no topic" is a valid answer.
2. Keywords (KeyBERT-style): candidate words from the text (non-stopwords; with
   `max_ngram` > 1 also runs of adjacent non-stopwords, never across punctuation) are
   embedded in one batch (with an LRU cache) and ranked by similarity with the memory's
   embedding; up to `max_keywords` that share no word with an already chosen one and score
   >= `keyword_threshold`. Single words are the default: without a part-of-speech tagger
   about a third of two-word candidates are subject+verb junk ("cousin lives").

The defaults were tuned for all-MiniLM-L6-v2 on a hand-labelled sample (see
benchmarks/entities_topics_throughput.py); other embedders need their own thresholds.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]


class TextEmbedder(Protocol):
    """What the topic extractor needs from an embedder: unit-length float32 rows."""

    dimension: int

    async def embed(self, texts: Sequence[str]) -> Any: ...


DEFAULT_TOPIC_LABELS: dict[str, tuple[str, ...]] = {
    "food and cooking": ("food", "cooking", "baking", "recipes", "meals", "restaurants", "diet"),
    "travel": ("travel", "trips", "vacations", "flights", "hotels", "visiting countries"),
    "work and career": ("work", "job", "career", "office", "manager", "colleagues", "meetings"),
    "health and fitness": ("health", "fitness", "exercise", "doctor", "illness", "medicine"),
    "family": ("family", "parents", "siblings", "children", "grandparents", "relatives"),
    "relationships and friends": ("friends", "dating", "romance", "partner", "friendship"),
    "pets": ("pets", "dog", "cat", "animals", "vet"),
    "music": ("music", "songs", "bands", "concerts", "playing instruments"),
    "movies and tv": ("movies", "films", "tv shows", "series", "streaming", "cinema"),
    "books and reading": ("books", "reading", "novels", "authors", "literature"),
    "sports": ("sports", "football", "tennis", "matches", "teams", "athletes"),
    "hobbies": ("hobbies", "crafts", "collecting", "knitting", "free time activities"),
    "finance and money": ("money", "finance", "budget", "savings", "investing", "debt", "bills"),
    "shopping": ("shopping", "buying", "purchases", "stores", "online orders", "deals"),
    "education": ("education", "school", "university", "classes", "studying", "exams"),
    "technology": ("technology", "computers", "laptops", "gadgets", "phones", "apps"),
    "software development": ("programming", "coding", "software", "code", "servers", "APIs"),
    "home and housing": ("home", "house", "apartment", "rent", "moving", "renovation"),
    "events and plans": ("events", "plans", "appointments", "schedule", "parties"),
    "art": ("art", "painting", "drawing", "museums", "sculpture", "design"),
    "nature and outdoors": ("nature", "outdoors", "hiking", "camping", "mountains", "gardening"),
    "religion and spirituality": ("religion", "spirituality", "church", "faith", "prayer"),
    "politics": ("politics", "elections", "government", "policy", "voting"),
    "weather": ("weather", "rain", "snow", "temperature", "climate", "seasons"),
    "vehicles and transport": ("cars", "vehicles", "driving", "commuting", "public transport"),
    "language learning": ("learning a foreign language", "vocabulary", "language lessons"),
    "mental health": ("mental health", "stress", "anxiety", "depression", "therapy", "emotions"),
    "parenting": ("parenting", "raising children", "kids", "babies", "childcare"),
    "games": ("games", "video games", "board games", "chess", "gaming"),
    "fashion": ("fashion", "clothes", "style", "outfits", "shoes"),
}
"""Label -> hint terms. Labels are what memories get; hints only steer the label's vector."""

_STOPWORD_TEXT = """
    a about above after again against all almost alone along already also although always am
    among an and another any anybody anyone anything anyway anywhere are aren around as at
    away back be became because become been before being below beside besides between both
    but by can cannot could couldn did didn do does doesn doing don done down during each
    either else enough etc even ever every everyone everything few first for from further get
    gets getting give given go goes going gone got gotten had hadn has hasn have haven having
    he her here hers herself him himself his how however i if in instead into is isn it its
    itself just keep kind last least less let lets like likely ll lot lots made make makes
    many may maybe me meanwhile might mine more most mostly much must my myself near need
    needs neither never nevertheless new next no nobody none nor not nothing now of off often
    ok okay on once one only onto or other others otherwise our ours ourselves out over own
    per perhaps please put quite rather re really s same say says see seem seemed seems
    several shall she should shouldn since so some somebody someone something sometimes
    somewhere soon still such sure t take than thank thanks that the their theirs them
    themselves then there these they thing things think this those though through thus to
    together too toward towards try under until up upon us use used user users using ve very
    via want wants was wasn way we well were weren what whatever when whenever where whether
    which while who whoever whole whom whose why will with within without won would wouldn yes
    yet you your yours yourself yourselves
    today tonight tomorrow yesterday week weeks weekend month months year years day days time
    times morning afternoon evening night ago later earlier soon recently currently usually
    monday tuesday wednesday thursday friday saturday sunday january february march april june
    july august september october november december
    two three four five six seven eight nine ten eleven twelve twenty hundred thousand second
    third fourth fifth favorite favourite amazing awesome great good nice bad cool fine
    love loves loved loving hate hates hated enjoy enjoys enjoyed prefer prefers preferred
    told tell tells said ask asks asked start starts started keeps kept tried mentioned
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_SEGMENT_BREAK = re.compile(r"[.,;:!?()\[\]{}\"\u201c\u201d\u2014\u2013/|\n\r\t]+")
_TOKEN = re.compile(r"[^\W\d_][\w'\u2019+#-]*", re.UNICODE)
_POSSESSIVE = re.compile(r"['\u2019](?:s|re|ve|ll|d|m|t)?$")


def candidate_phrases(text: str, max_ngram: int = 1, limit: int = 32) -> list[str]:
    """Lowercase words and runs of up to `max_ngram` adjacent non-stopwords, in order of
    first appearance, at most `limit` (runs never cross punctuation)."""
    seen: dict[str, None] = {}
    for segment in _SEGMENT_BREAK.split(text):
        run: list[str] = []
        for raw in [*_TOKEN.findall(segment), ""]:
            word = _POSSESSIVE.sub("", raw.lower()).strip("-'")
            if len(word) >= 2 and word not in _STOPWORDS:
                run.append(word)
                for n in range(1, min(max_ngram, len(run)) + 1):
                    seen.setdefault(" ".join(run[-n:]), None)
                    if len(seen) >= limit:
                        return list(seen)
            else:
                run = []
    return list(seen)


def _unit_rows(vectors: Any) -> FloatArray:
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-d array of vectors, got shape {array.shape}")
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    result: FloatArray = (array / norms).astype(np.float32, copy=False)
    return result


class EmbeddingTopicExtractor:
    """Topic labels and keywords per memory from one embedder; no LLM calls.

    Example::

        extractor = EmbeddingTopicExtractor(embedder)
        await extractor.topics(["I love cooking pasta with fresh basil."])
        # [["food and cooking", "basil", "pasta", "cooking"]]
    """

    def __init__(
        self,
        embedder: TextEmbedder,
        labels: Mapping[str, Sequence[str]] | Sequence[str] = DEFAULT_TOPIC_LABELS,
        *,
        threshold: float = 0.25,
        margin: float | None = 0.10,
        max_labels: int = 3,
        max_keywords: int = 3,
        keyword_threshold: float = 0.30,
        max_ngram: int = 1,
        max_candidates: int = 32,
        cache_size: int = 20_000,
    ) -> None:
        """Args:
        embedder: has `dimension` and `async embed(texts) -> (n, dimension) float32`.
        labels: topic labels, or label -> hint terms that steer the label's vector.
        threshold: minimum cosine between a memory and a label.
        margin: keep only labels within this of the memory's best label (None: no limit).
        max_labels / max_keywords: at most this many labels / keywords per memory.
        keyword_threshold: minimum cosine between a memory and a keyword.
        max_ngram: longest keyword phrase, in words.
        max_candidates: keyword candidates embedded per memory (first ones in the text).
        cache_size: candidate-phrase vectors kept (LRU); 0 disables the cache.
        """
        if max_labels < 0 or max_keywords < 0 or max_ngram < 1 or max_candidates < 1:
            raise ValueError("max_labels/max_keywords must be >= 0, max_ngram/candidates >= 1")
        if isinstance(labels, str):
            raise TypeError("labels must be a sequence or mapping of labels, not a string")
        hints = labels if isinstance(labels, Mapping) else {label: () for label in labels}
        self.labels: dict[str, tuple[str, ...]] = {
            label.strip().lower(): tuple(h for h in terms if h.strip())
            for label, terms in hints.items()
            if label.strip()
        }
        self.embedder = embedder
        self.threshold = threshold
        self.margin = margin
        self.max_labels = max_labels
        self.max_keywords = max_keywords
        self.keyword_threshold = keyword_threshold
        self.max_ngram = max_ngram
        self.max_candidates = max_candidates
        self.cache_size = cache_size
        self._label_names = list(self.labels)
        self._label_vectors: FloatArray | None = None
        self._prepare_lock = asyncio.Lock()
        self._cache: OrderedDict[str, FloatArray] = OrderedDict()

    async def prepare(self) -> None:
        """Embed the labels (once; later calls return at once). `topics` calls it too."""
        if self._label_vectors is not None:
            return
        async with self._prepare_lock:
            if self._label_vectors is not None:
                return
            dim = self.embedder.dimension
            if not self.labels:
                self._label_vectors = np.zeros((0, dim), dtype=np.float32)
                return
            groups = [(label, *terms) for label, terms in self.labels.items()]
            flat = _unit_rows(await self.embedder.embed([t for g in groups for t in g]))
            bounds = np.cumsum([0, *(len(g) for g in groups)])
            means = [flat[bounds[k] : bounds[k + 1]].mean(axis=0) for k in range(len(groups))]
            self._label_vectors = _unit_rows(np.stack(means))

    async def topics(
        self,
        texts: Sequence[str],
        vectors: npt.ArrayLike | None = None,
        exclude: Sequence[Sequence[str]] | None = None,
    ) -> list[list[str]]:
        """Labels then keywords per text, lowercase, de-duplicated, in the order of `texts`.

        Pass `vectors` (the memories' own embeddings, one row per text, same embedder) to
        avoid embedding the texts a second time. `exclude` (one collection per text, e.g.
        the memory's entities) lists strings whose words are never used as keywords, so
        names stay entities rather than topics. Empty texts get [].
        """
        if isinstance(texts, str):
            raise TypeError("topics expects a sequence of strings, not a string")
        result: list[list[str]] = [[] for _ in texts]
        todo = [i for i, t in enumerate(texts) if t and t.strip()]
        if not todo:
            return result
        if vectors is None:
            memory_vectors = _unit_rows(await self.embedder.embed([texts[i] for i in todo]))
        else:
            given = _unit_rows(vectors)
            if given.shape[0] != len(texts):
                raise ValueError(f"{given.shape[0]} vectors for {len(texts)} texts")
            memory_vectors = given[todo]
        if memory_vectors.shape[1] != self.embedder.dimension:
            raise ValueError(
                f"vectors have {memory_vectors.shape[1]} dimensions, "
                f"the embedder {self.embedder.dimension}"
            )
        labels = await self.labels_for(memory_vectors)
        skip = [exclude[i] for i in todo] if exclude is not None else None
        keywords = await self.keywords([texts[i] for i in todo], memory_vectors, skip)
        for row, i in enumerate(todo):
            result[i] = list(dict.fromkeys([*labels[row], *keywords[row]]))
        return result

    async def labels_for(self, vectors: npt.ArrayLike) -> list[list[str]]:
        """Topic labels for memory vectors (one row per memory), best first."""
        await self.prepare()
        assert self._label_vectors is not None
        matrix = _unit_rows(vectors)
        if self.max_labels == 0 or not self._label_names or matrix.shape[0] == 0:
            return [[] for _ in range(matrix.shape[0])]
        sims = matrix @ self._label_vectors.T
        result: list[list[str]] = []
        for row in sims:
            order = np.argsort(-row, kind="stable")[: self.max_labels]
            floor = self.threshold
            if self.margin is not None:
                floor = max(floor, float(row[order[0]]) - self.margin)
            result.append([self._label_names[j] for j in order if row[j] >= floor])
        return result

    async def keywords(
        self,
        texts: Sequence[str],
        vectors: npt.ArrayLike,
        exclude: Sequence[Sequence[str]] | None = None,
    ) -> list[list[str]]:
        """Up to `max_keywords` phrases from each text, most similar to its vector first."""
        if self.max_keywords == 0:
            return [[] for _ in texts]
        if exclude is not None and len(exclude) != len(texts):
            raise ValueError(f"{len(exclude)} exclude lists for {len(texts)} texts")
        matrix = _unit_rows(vectors)
        candidates: list[list[str]] = []
        for i, text in enumerate(texts):
            banned = {w for s in (exclude[i] if exclude else ()) for w in candidate_phrases(s)}
            found = candidate_phrases(text, self.max_ngram, self.max_candidates) if text else []
            candidates.append([p for p in found if not banned.intersection(p.split())])
        table = await self._phrase_vectors({p for group in candidates for p in group})
        result: list[list[str]] = []
        for row, group in enumerate(candidates):
            if not group:
                result.append([])
                continue
            sims = np.stack([table[p] for p in group]) @ matrix[row]
            chosen: list[str] = []
            used: set[str] = set()
            for j in np.argsort(-sims, kind="stable"):
                if sims[j] < self.keyword_threshold or len(chosen) >= self.max_keywords:
                    break
                words = set(group[j].split())
                if words & used:
                    continue
                chosen.append(group[j])
                used |= words
            result.append(chosen)
        return result

    async def _phrase_vectors(self, phrases: set[str]) -> dict[str, FloatArray]:
        found: dict[str, FloatArray] = {}
        missing: list[str] = []
        for phrase in sorted(phrases):
            cached = self._cache.get(phrase)
            if cached is None:
                missing.append(phrase)
            else:
                self._cache.move_to_end(phrase)
                found[phrase] = cached
        if missing:
            fresh = _unit_rows(await self.embedder.embed(missing))
            for phrase, vector in zip(missing, fresh, strict=True):
                found[phrase] = vector
                if self.cache_size > 0:
                    self._cache[phrase] = vector
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return found
