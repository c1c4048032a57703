"""Export and import of long-term memory as JSON Lines: one whole MemoryRecord per line.

Export reads the records themselves (not the search index), in id order, a page at a time:
every field as stored (ids, timestamps to the microsecond, access statistics, metadata), no
vectors. Import checks the whole file before it writes anything, so a bad line (reported
with its number) leaves the store untouched; then it upserts the records by id in batches,
embedding their texts with the configured embedder, so a file moves between deployments
with different embedders. Imported records keep every field (`memory_hash` is recomputed
from the text it is derived from, and texts pass the target's redaction like every write);
no deduplication, merging or enrichment runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from pathlib import Path

from pydantic import ValidationError

from agent_memory_server.errors import InvalidRequest
from agent_memory_server.models.memory_record import ExportedMemoryRecord, MemoryRecord
from agent_memory_server.resources import Resources
from agent_memory_server.services import redaction
from agent_memory_server.services.long_term import content_hash
from agent_memory_server.storage.dedup import HashPointer

PAGE = 128
MAX_REPORTED = 20

Progress = Callable[[int, int], None]


class InvalidImportFile(InvalidRequest):
    """An import file with bad lines; `problems` holds (line number, what is wrong)."""

    def __init__(self, path: Path, problems: list[tuple[int, str]], count: int) -> None:
        shown = "".join(f"\n  line {number}: {why}" for number, why in problems)
        more = f"\n  ... and {count - len(problems)} more" if count > len(problems) else ""
        super().__init__(f"{path}: {count} bad line(s), nothing was imported:{shown}{more}")
        self.problems = problems


def to_line(record: MemoryRecord) -> str:
    """The export line of a record (without its newline): every field, as JSON."""
    return record.model_dump_json()


async def export_records(
    resources: Resources,
    *,
    namespace: str | None = None,
    user_id: str | None = None,
    progress: Progress | None = None,
) -> AsyncIterator[MemoryRecord]:
    """Every record, or those of one namespace and/or user, in id order, a page at a time.

    Records written while the export runs are included or not depending on their id; a
    record is read as it is when its page is read.
    """
    store = resources.long_term
    ids = sorted(await store.scan_ids())
    for start in range(0, len(ids), PAGE):
        page = ids[start : start + PAGE]
        for record in await store.get_many(page):
            if record is None:
                continue  # deleted since the scan
            if namespace is not None and record.namespace != namespace:
                continue
            if user_id is not None and record.user_id != user_id:
                continue
            yield record
        if progress is not None:
            progress(start + len(page), len(ids))


def _describe(error: ValidationError) -> str:
    problems = []
    for detail in error.errors(include_url=False):
        where = ".".join(str(part) for part in detail["loc"])
        problems.append(f"{where}: {detail['msg']}" if where else detail["msg"])
    return "; ".join(problems)


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """The non-blank lines of a file with their numbers (from 1)."""
    try:
        with path.open("rb") as file:
            for number, raw in enumerate(file, start=1):
                if raw.strip():
                    yield number, raw
    except OSError as e:
        raise InvalidRequest(f"Cannot read {path}: {e.strerror or e}") from e


def check_import_file(path: Path) -> int:
    """Check that every line is a whole record and that ids are unique; returns the count.

    Raises:
        InvalidImportFile: naming the first 20 bad lines and how many there are.
    """
    if path.exists() and not path.is_file():
        raise InvalidRequest(f"{path} is not a regular file: it is read twice (checked, stored)")
    problems: list[tuple[int, str]] = []
    bad = 0
    first_line: dict[str, int] = {}
    for number, raw in _lines(path):
        try:
            record = ExportedMemoryRecord.model_validate_json(raw)
        except ValidationError as e:
            problem = _describe(e)
        else:
            first = first_line.setdefault(record.id, number)
            if first == number:
                continue
            problem = f"id {record.id!r} is already on line {first}"
        bad += 1
        if len(problems) < MAX_REPORTED:
            problems.append((number, problem))
    if bad:
        raise InvalidImportFile(path, problems, bad)
    return len(first_line)


def _batches(path: Path, size: int) -> Generator[list[ExportedMemoryRecord], None, None]:
    batch: list[ExportedMemoryRecord] = []
    for number, raw in _lines(path):
        try:
            batch.append(ExportedMemoryRecord.model_validate_json(raw))
        except ValidationError as e:  # the file changed after it was checked
            raise InvalidImportFile(path, [(number, _describe(e))], 1) from e
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def _store(resources: Resources, records: list[ExportedMemoryRecord]) -> None:
    """Upsert records as they are, with new vectors, their dedup pointers and no access stats."""
    store = resources.long_term

    def pointer(record: MemoryRecord) -> HashPointer:
        return HashPointer.of(record, record.memory_hash or content_hash(record.text))

    redacted = redaction.records(resources.settings, records)  # like every write
    rows = [r.model_copy(update={"memory_hash": content_hash(r.text)}) for r in redacted]
    previous = await store.get_many([r.id for r in rows])
    vectors = await resources.embedder.embed([r.text for r in rows])
    await store.upsert(list(zip(rows, vectors, strict=True)), reset_access=True)
    for old, new in zip(previous, rows, strict=True):
        if old is not None and pointer(old) != pointer(new):
            await store.drop_pointer(pointer(old), old.id)
    await store.set_pointers([(pointer(r), r.id) for r in rows])


async def import_records(resources: Resources, path: Path, progress: Progress | None = None) -> int:
    """Check the whole file, then upsert its records by id in batches; returns how many.

    Raises:
        InvalidImportFile: a line is not a whole record, or an id repeats; nothing is written.
    """
    total = await asyncio.to_thread(check_import_file, path)
    done = 0
    batches = _batches(path, PAGE)
    try:
        while (batch := await asyncio.to_thread(next, batches, None)) is not None:
            await _store(resources, batch)
            done += len(batch)
            if progress is not None:
                progress(done, total)
    finally:
        batches.close()
    return done
