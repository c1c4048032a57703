"""Entities and topics without an LLM: throughput, and topic-label precision/recall.

Throughput: memories/s on 1,000 short sentences for
- entities: spaCy en_core_web_sm (NER only) via `SpacyEntityExtractor.extract`;
- topics: `EmbeddingTopicExtractor.topics` given the memories' vectors (what the store does:
  it already embedded them for the index), cold keyword cache, and including the embedding
  of the memories themselves.

Quality (`--eval`): precision/recall of the topic labels on two hand-labelled sets: TUNE (used
to choose hints and defaults) and HELDOUT (written before the final tuning round). Standalone::

    python benchmarks/entities_topics_throughput.py [--n 1000] [--eval]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent_memory_server.providers.embeddings import LocalMiniLM
from agent_memory_server.providers.entities import SpacyEntityExtractor
from agent_memory_server.providers.topics import EmbeddingTopicExtractor, candidate_phrases

Labelled = list[tuple[str, set[str]]]
F, T, W, H, FA = "food and cooking", "travel", "work and career", "health and fitness", "family"
R, HO, EP = "relationships and friends", "home and housing", "events and plans"
VT = "vehicles and transport"
SP, MH, PA, SH, FI = "sports", "mental health", "parenting", "shopping", "finance and money"

TUNE: Labelled = [
    ("I love cooking pasta with fresh basil.", {F}),
    ("Alice is allergic to peanuts and shellfish.", {F, H}),
    ("My favorite restaurant downtown serves amazing ramen.", {F}),
    ("I baked sourdough bread for the first time this weekend.", {F}),
    ("We are flying to Tokyo in April for two weeks.", {T}),
    ("The user prefers window seats on long flights.", {T}),
    ("I booked a hotel near the beach in Lisbon.", {T}),
    ("I got promoted to senior engineer at my company.", {W}),
    ("My manager wants the quarterly report by Friday.", {W}),
    ("She is interviewing for a product manager job next week.", {W}),
    ("I run five kilometers every morning before work.", {H}),
    ("My doctor told me to lower my cholesterol.", {H}),
    ("I started lifting weights at the gym three times a week.", {H}),
    ("My sister Maria just had her second baby.", {FA}),
    ("We visit my grandparents every Sunday for lunch.", {FA}),
    ("My brother and I argued about our parents' house.", {FA}),
    ("Bob has been my best friend since high school.", {R}),
    ("I am going on a second date with Emma on Saturday.", {R}),
    ("My dog Rex needs to go to the vet for his vaccines.", {"pets"}),
    ("We adopted two kittens from the shelter.", {"pets"}),
    ("I play the guitar in a small jazz band.", {"music"}),
    ("Her favorite band is Radiohead and she saw them live twice.", {"music"}),
    ("We binge-watched the whole season of The Bear last night.", {"movies and tv"}),
    ("My favorite film is Spirited Away.", {"movies and tv"}),
    ("I am reading a novel by Haruki Murakami.", {"books and reading"}),
    ("She joined a book club that meets monthly.", {"books and reading"}),
    ("I support Arsenal and never miss a match.", {SP}),
    ("He plays tennis on Tuesday evenings.", {SP}),
    ("I knit scarves in my free time.", {"hobbies"}),
    ("I collect vintage stamps from Europe.", {"hobbies"}),
    ("I need to pay off my credit card debt this year.", {FI}),
    ("The user invests in index funds for retirement.", {FI}),
    ("I bought new running shoes online.", {SH, H}),
    ("She is looking for a discount on a new laptop.", {SH, "technology"}),
    ("I am taking an evening class in statistics at the university.", {"education"}),
    ("My son starts kindergarten in September.", {"education", PA}),
    ("I just upgraded my phone to the latest model.", {"technology"}),
    ("The user writes backend services in Rust and Python.", {"software development"}),
    ("We are renovating the kitchen in our apartment.", {HO}),
    ("Our lease ends in June and we need to find a new place.", {HO}),
    ("I have a dentist appointment on Thursday at 3pm.", {EP, H}),
    ("We are throwing a surprise birthday party for Tom next month.", {EP}),
    ("I paint watercolor landscapes.", {"art"}),
    ("She visited the modern art museum and loved the sculptures.", {"art"}),
    ("We went hiking in the mountains and camped by a lake.", {"nature and outdoors"}),
    ("I go to church every Sunday morning.", {"religion and spirituality"}),
    ("I meditate and pray before bed.", {"religion and spirituality", MH}),
    ("He volunteers for a candidate in the local election.", {"politics"}),
    ("It rained all week and the basement flooded.", {"weather", HO}),
    ("I hate hot humid summers.", {"weather"}),
    ("My car needs new tires before winter.", {VT}),
    ("I take the train to the office every day.", {VT, W}),
    ("I am learning Spanish with a tutor twice a week.", {"language learning"}),
    ("I practice Japanese vocabulary on Duolingo.", {"language learning"}),
    ("I have been feeling anxious and my therapist suggested journaling.", {MH}),
    ("My daughter refuses to eat vegetables and throws tantrums.", {PA, F}),
    ("I play chess online every evening.", {"games"}),
    ("We are hooked on Zelda on the Nintendo Switch.", {"games"}),
    ("She only wears black clothes and loves vintage jackets.", {"fashion"}),
    ("The user's name is Sam.", set()),
    ("Please answer in short bullet points.", set()),
    ("Remind me about this later.", set()),
    ("Okay, sounds good, thanks.", set()),
    ("The meeting was moved to room 204.", {W}),
]

HELDOUT: Labelled = [
    ("I'm vegetarian and avoid anything with gelatin.", {F}),
    ("We had tacos at the new Mexican place on Main Street.", {F}),
    ("He wants to try making homemade ice cream.", {F}),
    ("Our honeymoon was in Bali and we'd love to go back.", {T, R}),
    ("I need to renew my passport before the trip to Canada.", {T}),
    ("I quit my job to start my own consulting business.", {W}),
    ("My coworker keeps taking credit for my work.", {W}),
    ("I'm training for a half marathon in October.", {H, SP}),
    ("I broke my wrist skiing last winter.", {H, SP}),
    ("My mom is turning seventy and we're planning a dinner.", {FA, EP}),
    ("My cousin lives in Chicago with her husband.", {FA}),
    ("I've been lonely since my best friend moved away.", {R, MH}),
    ("Our parrot can say hello and whistle a tune.", {"pets"}),
    ("I listen to classical piano while I study.", {"music", "education"}),
    ("We're going to a Taylor Swift concert in July.", {"music", EP}),
    ("I can't wait for the next season of Stranger Things.", {"movies and tv"}),
    ("Her favorite author is Jane Austen.", {"books and reading"}),
    ("He never misses a Lakers basketball game.", {SP}),
    ("I build model airplanes on weekends.", {"hobbies"}),
    ("I'm saving up for a down payment on a house.", {FI, HO}),
    ("Our electricity bill doubled this month.", {FI, HO}),
    ("I returned the jacket because it was too small.", {SH, "fashion"}),
    ("She is finishing her PhD in chemistry.", {"education"}),
    ("My laptop keeps crashing after the last update.", {"technology"}),
    ("I'm setting up a home server with Docker.", {"technology", "software development"}),
    ("We just moved into a two-bedroom flat in Berlin.", {HO}),
    ("She sketches portraits of strangers on the subway.", {"art"}),
    ("I grow tomatoes and herbs in my backyard garden.", {"nature and outdoors", "hobbies"}),
    ("He fasts during Ramadan.", {"religion and spirituality"}),
    ("She has strong opinions about immigration policy.", {"politics"}),
    ("A snowstorm is expected this weekend.", {"weather"}),
    ("I'm thinking about buying an electric car.", {VT, SH}),
    ("I bike to work when it's sunny.", {VT, W}),
    ("I want to become fluent in French before moving to Paris.", {"language learning"}),
    ("I've had trouble sleeping because of stress at work.", {MH, W}),
    ("Our toddler started daycare and cries every morning.", {PA}),
    ("We play Catan with friends every Friday night.", {"games", R}),
    ("She bought a red dress for the wedding.", {"fashion", SH}),
    ("Call me Jay.", set()),
    ("Use metric units in your answers.", set()),
    ("That's all for now.", set()),
    ("The user mentioned it earlier.", set()),
]

_SETS: dict[str, Labelled] = {"tune": TUNE, "heldout": HELDOUT}

SUBJECTS = ["I", "Alice", "Bob", "My sister", "The user", "Our team", "Carlos", "Priya", "We"]
PREDICATES = [
    "cooked lasagna for {n} friends",
    "booked flights to Madrid",
    "started a new job at Acme",
    "ran a 10k race in Boston",
    "adopted a beagle named Max",
    "listened to Miles Davis records",
    "watched three episodes of Severance",
    "finished reading Dune",
    "joined a climbing gym",
    "paid off the car loan",
    "ordered a standing desk online",
    "enrolled in a Python course",
    "moved into a flat near the river",
    "planned a barbecue for the fourth of July",
    "painted the living room blue",
    "went camping at Yosemite",
    "visited the Louvre",
    "voted in the city council election",
    "got caught in a thunderstorm",
    "took the night bus to Leeds",
    "practiced German verbs for {n} minutes",
    "talked to a therapist about burnout",
    "helped the kids with homework",
    "played Elden Ring until midnight",
    "bought a linen suit for the wedding",
    "is allergic to penicillin",
    "prefers oat milk in coffee",
    "fixed a memory leak in the API",
    "met Maria at a cafe in Lisbon",
    "is saving for a trip to Japan",
]
TAILS = ["", " yesterday", " last week", " on Monday", " in March", " again", " (note {i})"]


def short_sentences(n: int, seed: int = 0) -> list[str]:
    """n distinct short memory-like sentences (about 6-14 words)."""
    rng = random.Random(seed)
    out: list[str] = []
    for i in range(n):
        predicate = rng.choice(PREDICATES).format(n=rng.randint(2, 40))
        tail = rng.choice(TAILS).format(i=i)
        out.append(f"{rng.choice(SUBJECTS)} {predicate}{tail}.")
    return out


def precision_recall(
    predicted: Sequence[Sequence[str]], gold: Sequence[set[str]]
) -> tuple[float, float]:
    tp = sum(len(set(p) & g) for p, g in zip(predicted, gold, strict=True))
    n_pred = sum(len(p) for p in predicted)
    n_gold = sum(len(g) for g in gold)
    return tp / max(n_pred, 1), tp / max(n_gold, 1)


async def evaluate(embedder: LocalMiniLM) -> None:
    print("topic labels: precision / recall (max 3 labels)")
    vectors = {name: await embedder.embed([t for t, _ in data]) for name, data in _SETS.items()}
    for margin in (0.10, None):
        for threshold in (0.20, 0.22, 0.25, 0.28, 0.30):
            extractor = EmbeddingTopicExtractor(embedder, threshold=threshold, margin=margin)
            cells = []
            for name, data in _SETS.items():
                labels = await extractor.labels_for(vectors[name])
                p, r = precision_recall(labels, [g for _, g in data])
                cells.append(f"{name} P={p:.2f} R={r:.2f}")
            print(f"  threshold={threshold:.2f} margin={margin}: " + " | ".join(cells))


async def throughput(embedder: LocalMiniLM, n: int) -> None:
    texts = short_sentences(n)
    start = time.perf_counter()
    ner = SpacyEntityExtractor()
    print(f"spaCy NER load: {time.perf_counter() - start:.2f} s, pipes {ner.pipe_names}")
    ner.extract(["warm up"])
    start = time.perf_counter()
    entities = ner.extract(texts)
    elapsed = time.perf_counter() - start
    print(f"entities: {n / elapsed:.0f} memories/s ({elapsed:.2f} s); e.g. {entities[:3]}")

    vectors = await embedder.embed(texts)
    topics = EmbeddingTopicExtractor(embedder)
    await topics.prepare()
    start = time.perf_counter()
    found = await topics.topics(texts, vectors, exclude=entities)
    elapsed = time.perf_counter() - start
    print(f"topics given vectors, cold keyword cache: {n / elapsed:.0f} memories/s; {found[:2]}")
    start = time.perf_counter()
    await topics.topics(texts, vectors, exclude=entities)
    elapsed = time.perf_counter() - start
    print(f"topics given vectors, warm keyword cache: {n / elapsed:.0f} memories/s")
    diverse = [t for t, _ in TUNE + HELDOUT]
    diverse_vectors = await embedder.embed(diverse)
    cold = EmbeddingTopicExtractor(embedder)
    await cold.prepare()
    start = time.perf_counter()
    await cold.topics(diverse, diverse_vectors)
    elapsed = time.perf_counter() - start
    print(
        f"topics given vectors, cold cache, {len(diverse)} diverse hand-written memories "
        f"(nearly every word new): {len(diverse) / elapsed:.0f} memories/s"
    )
    fresh = EmbeddingTopicExtractor(embedder)
    await fresh.prepare()
    start = time.perf_counter()
    await fresh.topics(texts)
    elapsed = time.perf_counter() - start
    print(f"topics incl. embedding the memories, cold cache: {n / elapsed:.0f} memories/s")
    # The cold-cache cost grows with the number of distinct candidate words: report the rate.
    words = sorted({w for t in texts for w in candidate_phrases(t)})
    start = time.perf_counter()
    await embedder.embed(words)
    elapsed = time.perf_counter() - start
    per_word_ms = 1000 * elapsed / max(len(words), 1)
    print(
        f"keyword candidates: {len(words)} distinct words in {n} memories, embedded at "
        f"{len(words) / elapsed:.0f} words/s (~{per_word_ms:.1f} ms per new word)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of sentences")
    parser.add_argument("--eval", action="store_true", help="also print label precision/recall")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="topics-bench-") as tmp:
        embedder = LocalMiniLM(Path(tmp), None, 32)
        await throughput(embedder, args.n)
        if args.eval:
            await evaluate(embedder)


if __name__ == "__main__":
    asyncio.run(main())
