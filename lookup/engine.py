"""The lookup engine: normalise -> cached facts and findings -> fan out -> save -> verdict.

One batch at a time. Reads are one query per table for the whole batch, writes
one transaction. Online lookups fan out every missing (number x source) pair
in parallel under one overall deadline; when it passes, what arrived is used
and the rest is marked ``timeout``. Sources never do I/O: the engine fetches
through :mod:`scrapers.http` and hands the page to ``source.read``.

The offline path imports neither aiohttp nor bs4, and phonenumbers' big
geocoder tables only for numbers seen for the first time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Sequence

from db.store import Store
from lookup.expect import open_expectations
from lookup.models import Finding, Number, Report, SourceKind, Status
from lookup.local_findings import dataset_findings, listing_findings
from lookup.normalizing import normalize_inputs
from lookup.numbers import NumberError
from lookup.results import LookupResult
from lookup.settings import Settings
from lookup.verdict import score

if TYPE_CHECKING:
    from lookup.fanout import Arrivals
    from scrapers.base import Source


WINDOW = 2_000  # inputs of a many-number lookup taken at a time (memory stays flat past it)


@dataclass
class Engine:
    """Looks numbers up against the store and (optionally) the enabled sources."""

    store: Store
    settings: Settings
    sources: Sequence["Source"] = ()
    fetch_settings: Any = None  # scrapers.http.FetchSettings; built from settings when None
    _fetcher: Any = field(default=None, init=False, repr=False)

    async def open_session(self) -> None:
        """Keep one HTTP session (and its pacing) for many lookups, as a
        long-running server should; without it each lookup batch opens and closes its own."""
        if self._fetcher is None:
            from scrapers.http import Fetcher, FetchSettings

            settings = self.fetch_settings or FetchSettings.from_settings(self.settings, self.sources)
            self._fetcher = await Fetcher(settings, robots_memory=self.store).__aenter__()

    async def close_session(self) -> None:
        if self._fetcher is not None:
            fetcher, self._fetcher = self._fetcher, None
            await fetcher.close()

    # ------------------------------------------------------------ normalising and facts

    def _normalize(
        self, inputs: Sequence[str], region: str | None = None
    ) -> tuple[list[Number | NumberError], dict[str, Number]]:
        """:meth:`normalize` without the write: the numbers, and the facts computed for the
        first time (to save with the batch)."""
        return normalize_inputs(self.store, inputs, region or self.settings.region)

    def normalize(self, inputs: Sequence[str], region: str | None = None) -> list[Number | NumberError]:
        """Parse every input; facts of known numbers come from the store, new ones are
        computed once (location, carrier, time zones) and saved."""
        out, fresh = self._normalize(inputs, region)
        if fresh:
            self.store.save_numbers(fresh.values())
        return out

    # ------------------------------------------------------------ lookups

    def lookup_offline(self, inputs: Sequence[str], region: str | None = None) -> list[LookupResult]:
        """Answer from the store alone: no network, no aiohttp import."""
        numbers = self.normalize(inputs, region)
        keys = _keys(numbers)
        cached = self.store.latest_findings(keys) if keys else {}
        findings = {k: [f for f in fs if f.status.is_definite] for k, fs in cached.items()}
        prefix_sources = [s for s in self.sources if s.kind is SourceKind.PREFIX and s.enabled]
        if prefix_sources:
            unique = {n.e164: n for n in numbers if isinstance(n, Number) and n.e164}
            self._prefix_groups(prefix_sources, unique, findings, offline=True)
        for k, fs in dataset_findings(self.store, self.sources, numbers).items():
            findings.setdefault(k, []).extend(fs)
        for k, fs in listing_findings(self.store, self.sources, numbers, (), self.settings.timezone).items():
            findings.setdefault(k, []).extend(fs)
        from lookup.sync_community import copy_findings

        for k, fs in copy_findings(self.store, self.sources, numbers).items():  # the synced community list
            findings.setdefault(k, []).extend(fs)
        return self._results(inputs, numbers, findings)

    async def lookup(
        self,
        inputs: Sequence[str],
        *,
        region: str | None = None,
        refresh: bool = False,
        deadline: float | None = None,
        only: Sequence[str] = (),
        deep: bool = False,
        arrivals: "Arrivals | None" = None,
    ) -> list[LookupResult]:
        """Answer from the cache and, for what is missing, the enabled sources under one deadline.
        ``arrivals`` (:class:`lookup.fanout.Arrivals`) hears each finding as it comes, for a
        caller that cannot wait for the whole lookup."""
        numbers, fresh = self._normalize(inputs, region)
        return await self._lookup(inputs, numbers, refresh=refresh, deadline=deadline, only=only, deep=deep,
                                  new_numbers=fresh, arrivals=arrivals)

    async def _lookup(
        self,
        inputs: Sequence[str],
        numbers: Sequence[Number | NumberError],
        *,
        refresh: bool,
        deadline: float | None,
        only: Sequence[str],
        deep: bool,
        new_numbers: dict[str, Number] | None = None,
        arrivals: "Arrivals | None" = None,
    ) -> list[LookupResult]:
        """:meth:`lookup` of inputs already normalised (``numbers[i]`` is ``inputs[i]``'s).
        Everything the batch learned (``new_numbers``' facts, prefixes, findings, robots.txt
        answers) is saved at its end in one transaction; the fetch tasks never write."""
        keys = _keys(numbers)
        budget = self.settings.deadline if deadline is None else deadline
        sources = self._lookup_sources(only)
        cached = {} if refresh else (self.store.fresh_findings(keys) if keys else {})
        findings: dict[str, list[Finding]] = {k: list(v) for k, v in cached.items()}
        unique: dict[str, Number] = {}
        for n in numbers:
            if isinstance(n, Number) and n.e164 and n.e164 not in unique:
                unique[n.e164] = n
        todo: list[tuple[Number, "Source"]] = []
        for key, number in unique.items():
            have = {f.source for f in findings.get(key, [])}
            for source in sources:
                if source.name in have:
                    continue
                if not source.supports(number):
                    findings.setdefault(key, []).append(_skipped(source, number))
                    continue
                todo.append((number, source))
        prefix_sources = [s for s in self.sources if s.kind is SourceKind.PREFIX and (s.name in only if only else s.enabled)]
        groups = self._prefix_groups(prefix_sources, unique, findings, refresh=refresh)
        for (source, _), members in groups.items():
            todo.append((members[0], source))
        by_name = {s.name: s for s in [*sources, *prefix_sources]}
        per_number: list[Finding] = []
        prefixes: list[tuple["Source", str, Finding]] = []
        robots: dict[str, str] = {}
        if todo:
            new, robots = await self._fan_out(todo, budget, deep, arrivals)
            for f in new:
                source = by_name[f.source]
                if source.kind is SourceKind.PREFIX:
                    members = groups[(source, source.cache_key(unique[f.e164]))]
                    if f.status.is_definite:
                        prefixes.append((source, source.cache_key(members[0]), f))
                    else:
                        per_number.append(f)  # recorded for `whocalled sources`, never cached as an answer
                    for n in members:
                        findings.setdefault(n.e164 or "", []).append(replace(f, e164=n.e164 or ""))
                    continue
                if f.status is not Status.SKIPPED:
                    per_number.append(f)
                findings.setdefault(f.e164, []).append(f)
        if new_numbers or per_number or prefixes or robots:
            with self.store.atomic():
                if new_numbers:
                    self.store.save_numbers(new_numbers.values())
                for source, key, f in prefixes:
                    self.store.save_prefixes(source.name, {key: f}, source.ttl_days(f.status))
                if per_number:
                    self.store.save_findings(
                        per_number, lambda f: by_name[f.source].ttl_days(f.status) if f.status.is_definite else 0
                    )
                self.store.save_robots(robots)
        for k, fs in dataset_findings(self.store, self.sources, numbers, only).items():
            findings.setdefault(k, []).extend(fs)
        for k, fs in listing_findings(self.store, self.sources, numbers, only, self.settings.timezone).items():
            findings.setdefault(k, []).extend(fs)
        return self._results(inputs, numbers, findings)

    def online_batch_size(self, deadline: float | None = None, only: Sequence[str] = (), most: int = 25) -> int:
        """How many numbers one online batch may hold for the slowest source asked to get
        through all of them within ``deadline`` at its polite rate. Batches share one pacer,
        so a batch's first request may wait up to 1/rate for the last one of the batch before;
        its n-th then goes at n/rate, and it keeps a second to come back. (The rate bounds
        the throughput whatever the size; the size only has to let a batch finish.)"""
        budget = self.settings.deadline if deadline is None else deadline
        rates = [
            s.config.rate if s.config.rate is not None else type(s).rate for s in self._lookup_sources(only)
        ]
        if not rates:
            return most
        return max(1, min(most, int((budget - 1.0) * min(rates))))

    def needs_fetch(self, numbers: Sequence[Number], only: Sequence[str] = ()) -> set[str]:
        """The numbers (E.164) that some per-number source to be asked has no fresh answer for:
        looking these up online costs requests; the others are answered from the cache."""
        sources = self._lookup_sources(only)
        unique = {n.e164: n for n in numbers if n.e164}
        if not sources or not unique:
            return set()
        cached = self.store.fresh_findings(list(unique))
        out = set()
        for key, number in unique.items():
            have = {f.source for f in cached.get(key, ())}
            if any(s.name not in have and s.supports(number) for s in sources):
                out.add(key)
        return out

    def _lookup_sources(self, only: Sequence[str] = ()) -> list["Source"]:
        return [s for s in self.sources if s.kind is SourceKind.LOOKUP and (s.name in only if only else s.enabled)]

    async def lookup_many(self, inputs: Sequence[str], **options: Any) -> list[LookupResult]:
        """:meth:`iter_lookup` (same options), gathered into a list."""
        return [r async for r in self.iter_lookup(inputs, **options)]

    async def iter_lookup(
        self,
        inputs: Sequence[str],
        *,
        region: str | None = None,
        refresh: bool = False,
        deadline: float | None = None,
        only: Sequence[str] = (),
        deep: bool = False,
        progress: Callable[[int, int], None] | None = None,
        ends: float | None = None,
    ) -> AsyncIterator[LookupResult]:
        """:meth:`lookup` for more numbers than one deadline can serve at the sites' polite
        rates, yielding each result in the order of ``inputs`` as soon as it and those before it
        are ready, so memory stays flat however long the input. The inputs go in windows of
        :data:`WINDOW`; within one, numbers some source must be asked about go in batches of
        :meth:`online_batch_size`, each under ``deadline``, each distinct number once; the rest
        are answered from the cache at once. One session (so one pacer per host) spans the run.
        ``progress(done, total)`` counts the numbers asked. ``ends`` (a ``time.monotonic()``
        time, such as a command's start plus its ``--deadline``) bounds the whole run: no batch
        asks past it, and the numbers not reached by then are answered from the cache with
        their unasked sources as timeouts."""
        had_session = self._fetcher is not None
        kwargs: dict[str, Any] = {"refresh": refresh, "deadline": deadline, "only": only, "deep": deep,
                                  "ends": ends}
        try:
            for start in range(0, len(inputs), WINDOW):
                window = inputs[start : start + WINDOW]
                for result in await self._lookup_window(window, region, kwargs, progress):
                    yield result
        finally:
            if not had_session:
                await self.close_session()

    async def _lookup_window(
        self, inputs: Sequence[str], region: str | None, kwargs: dict[str, Any],
        progress: Callable[[int, int], None] | None,
    ) -> list[LookupResult]:
        numbers, fresh = self._normalize(inputs, region)
        kwargs = dict(kwargs)
        ends = kwargs.pop("ends")
        step = self.online_batch_size(kwargs["deadline"], kwargs["only"])
        if len(inputs) <= step:
            if progress:
                progress(0, len(inputs))
            results = await self._lookup(inputs, numbers, **self._within(kwargs, ends), new_numbers=fresh)
            if progress:
                progress(len(inputs), len(inputs))
            return results
        valid = [n for n in numbers if isinstance(n, Number) and n.e164]
        need = {n.e164 for n in valid} if kwargs["refresh"] else self.needs_fetch(valid, kwargs["only"])
        first: dict[str, int] = {}
        for i, n in enumerate(numbers):
            if isinstance(n, Number) and n.e164 in need:
                first.setdefault(n.e164, i)
        out: list[LookupResult | None] = [None] * len(inputs)
        rest = [i for i, n in enumerate(numbers) if not (isinstance(n, Number) and n.e164 in need)]
        if rest:
            # the new numbers' facts are saved with this first batch
            rest_inputs, rest_numbers = [inputs[i] for i in rest], [numbers[i] for i in rest]
            for i, result in zip(rest, await self._lookup(rest_inputs, rest_numbers, **self._within(kwargs, ends),
                                                          new_numbers=fresh)):
                out[i] = result
            fresh = {}
        asked = list(first.values())
        answers: dict[str, LookupResult] = {}
        if progress and asked:
            progress(0, len(asked))
        if asked and self._fetcher is None:
            await self.open_session()
        for start in range(0, len(asked), step):
            chunk = asked[start : start + step]
            batch = await self._lookup([inputs[i] for i in chunk], [numbers[i] for i in chunk],
                                       **self._within(kwargs, ends), new_numbers=fresh)
            fresh = {}
            for i, result in zip(chunk, batch):
                answers[numbers[i].e164] = result  # type: ignore[union-attr,index]
            if progress:
                progress(min(start + step, len(asked)), len(asked))
        for i, n in enumerate(numbers):
            if out[i] is None:
                out[i] = replace(answers[n.e164], input=inputs[i])  # type: ignore[union-attr,index]
        return out  # type: ignore[return-value]

    def _within(self, kwargs: dict[str, Any], ends: float | None) -> dict[str, Any]:
        """``kwargs`` with the batch's deadline cut to what is left before ``ends`` (0 when past)."""
        if ends is None:
            return kwargs
        import time

        batch = self.settings.deadline if kwargs["deadline"] is None else kwargs["deadline"]
        return {**kwargs, "deadline": max(0.0, min(batch, ends - time.monotonic()))}

    def _prefix_groups(
        self, sources: Sequence["Source"], unique: dict[str, Number], findings: dict[str, list[Finding]], *,
        refresh: bool = False, offline: bool = False,
    ) -> dict[tuple["Source", str], list[Number]]:
        """Per-prefix sources (carrier facts for an NPA-NXX) are asked once per prefix: cached
        prefixes answer every number in them at once; what is left comes back grouped, to fetch."""
        missing: dict[tuple["Source", str], list[Number]] = {}
        for source in sources:
            grouped: dict[str, list[Number]] = {}
            for key, number in unique.items():
                if not source.supports(number):
                    findings.setdefault(key, []).append(_skipped(source, number))
                    continue
                grouped.setdefault(source.cache_key(number), []).append(number)
            cached = {} if refresh else self.store.fresh_prefixes(list(grouped), source.name, include_stale=offline)
            for prefix, members in grouped.items():
                if prefix in cached:
                    for n in members:
                        findings.setdefault(n.e164 or "", []).append(source.cached_finding(n, cached[prefix]))
                elif not offline:
                    missing[(source, prefix)] = members
        return missing

    async def _fan_out(
        self, todo: Sequence[tuple[Number, "Source"]], budget: float, deep: bool = False,
        arrivals: "Arrivals | None" = None,
    ) -> tuple[list[Finding], dict[str, str]]:
        """The findings of every pair in ``todo``, and the robots.txt answers fetched for them."""
        import asyncio

        from lookup.fanout import ask_all
        from scrapers.http import Fetcher, FetchSettings

        if budget <= 0:  # the run's deadline has passed: nothing is asked any more
            return [source.failure(number, Status.TIMEOUT, "not asked: the deadline had passed")
                    for number, source in todo], {}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        if self._fetcher is not None:
            found = await ask_all(self._fetcher, todo, deadline, budget, deep, arrivals)
            return found, self._fetcher.take_robots()
        fetch_settings = self.fetch_settings or FetchSettings.from_settings(self.settings, [s for _, s in todo])
        async with Fetcher(fetch_settings, robots_memory=self.store) as fetcher:
            found = await ask_all(fetcher, todo, deadline, budget, deep, arrivals)
            return found, fetcher.take_robots()

    def _results(
        self, inputs: Sequence[str], numbers: Sequence[Number | NumberError], findings: dict[str, list[Finding]]
    ) -> list[LookupResult]:
        keys = _keys(numbers)
        lists = self.store.matching_entries(keys) if keys else {}
        reports: dict[str, list[Report]] = {}
        for r in self.store.list_reports(keys) if keys else []:
            reports.setdefault(r.e164, []).append(r)
        history = self.store.histories(keys, self.settings.waves) if keys else {}
        reliability = {s.name: s.reliability for s in self.sources}
        own = self.settings.own_e164
        expected = open_expectations(self.store) if keys else []
        link_sources = tuple(self.sources)
        out = []
        for raw, n in zip(inputs, numbers):
            if isinstance(n, NumberError):
                out.append(LookupResult(input=raw, error=str(n)))
                continue
            key = n.e164 or ""
            fs = tuple(sorted(findings.get(key, ()), key=lambda f: f.source))
            entries = tuple(lists.get(key, ()))
            reps = tuple(reports.get(key, ()))
            hist = history.get(key)
            verdict = score(n, fs, hist, entries, self.settings, reports=reps, reliability=reliability, own_numbers=own,
                            expected=expected)
            out.append(LookupResult(raw, n, None, verdict, fs, entries, reps, hist, link_sources))
        return out


def _skipped(source: "Source", number: Number) -> Finding:
    return source.failure(number, Status.SKIPPED, f"{source.title} does not cover {number.region or 'this number'}")


def _keys(numbers: Sequence[Number | NumberError]) -> list[str]:
    return list(dict.fromkeys(n.e164 for n in numbers if isinstance(n, Number) and n.e164))

