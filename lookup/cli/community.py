"""``whocalled community ...``: run a community server and manage its members.

The household side (the ``community`` source, ``report --submit community``, ``allow --share``,
``export --include community``) lives with those commands; this is the server operator's.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Iterator, Optional

import typer

from lookup.cli.common import ConfigOpt, DbOpt, JsonOpt, community_app, fail, sync_app, warn

if TYPE_CHECKING:
    from db.community import CommunityStore
    from db.store import Store
    from lookup.settings import Settings
    from scrapers.community import WhocalledCommunity

member_app = typer.Typer(help="Add, list and revoke the community's members (each gets a token).", no_args_is_help=True)
community_app.add_typer(member_app, name="member")

CommunityDbOpt = Annotated[
    Optional[str],
    typer.Option("--db", help="The community's SQLite file, or a postgresql:// URL (default: community.db in the"
                 " user data dir; env WHOCALLED_COMMUNITY_DB, which keeps a password out of the process list)."),
]
MinVotersOpt = Annotated[
    int, typer.Option("--min-voters", min=2, help="Distinct members who must vote spam before a number is listed.")
]
HalfLifeOpt = Annotated[
    float, typer.Option("--half-life", min=1.0, help="Days after which a vote counts half (votes fade).")
]


def community_target(db: str | None) -> str:
    """Where the community's data lives: --db, else WHOCALLED_COMMUNITY_DB, else the data dir."""
    if db:
        return db
    env = os.environ.get("WHOCALLED_COMMUNITY_DB")
    if env:
        return env
    from platformdirs import user_data_path

    folder = user_data_path("whocalled")
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / "community.db")


def shown_target(target: str) -> str:
    """``target`` for messages: a URL without its password."""
    from db.community import is_postgres_url

    if not is_postgres_url(target) or "@" not in target:
        return target
    scheme, _, rest = target.partition("://")
    creds, _, host = rest.rpartition("@")
    return f"{scheme}://{creds.split(':')[0]}:***@{host}" if ":" in creds else target


@contextmanager
def community_store(db: str | None, min_voters: int = 3, half_life: float = 90.0) -> Iterator["CommunityStore"]:
    """The community store for one command; a bad target is one line, exit 2; an unreachable
    database one line, exit 1."""
    from db.community import CommunityError, Rule, open_community_store

    target = community_target(db)
    try:
        store = open_community_store(target, Rule(min_voters=min_voters, half_life_days=half_life))
    except CommunityError as exc:
        fail(str(exc).replace(target, shown_target(target)))
    except Exception as exc:  # the driver's connection errors: not the user's input
        if type(exc).__name__ not in ("OperationalError", "InterfaceError"):
            raise
        fail(f"cannot reach the community database {shown_target(target)}: {' '.join(str(exc).split())[:200]}", 1)
    try:
        yield store
    except CommunityError as exc:
        fail(str(exc))
    finally:
        store.close()


@community_app.command("serve")
def community_serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (members need a token either way).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8788,
    db: CommunityDbOpt = None,
    min_voters: MinVotersOpt = 3,
    half_life: HalfLifeOpt = 90.0,
    rate: Annotated[float, typer.Option("--rate", min=0.0, help="Requests a second per member token (0: no limit).")] = 10.0,
) -> None:
    """Serve the community API: members vote, check numbers by prefix, and sync the list.

    Example: whocalled community serve --db family.db
    """
    from lookup.server.community.app import run_community_server

    with community_store(db, min_voters, half_life) as store:
        if not store.list_members():
            warn("no members yet: add one with 'whocalled community member add NAME'")
        try:
            run_community_server(store, host=host, port=port, rate=rate)
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", code=1)


@member_app.command("add")
def member_add(
    name: Annotated[str, typer.Argument(help="Who the member is, e.g. 'Smith family'.")],
    db: CommunityDbOpt = None,
) -> None:
    """Add a member and print its token: it is shown this once (only a hash is stored).

    Example: whocalled community member add "Smith family"
    """
    with community_store(db) as store:
        token = store.add_member(name)
    typer.echo(f"Added {' '.join(name.split())}. Their token (shown only now; give it to them):")
    typer.echo(token)
    typer.echo("They add to their config:  [sources.community]  base_url = \"http://THIS-SERVER:8788\"  token = \"...\"")


@member_app.command("list")
def member_list(
    json_out: JsonOpt = False,
    db: CommunityDbOpt = None,
) -> None:
    """List the members, their votes, and who was revoked (tokens are never shown again).

    Example: whocalled community member list
    """
    with community_store(db) as store:
        members = store.list_members()
    if json_out:
        for m in members:
            typer.echo(json.dumps({"name": m.name, "created_at": m.created_at, "revoked_at": m.revoked_at, "votes": m.votes}))
        return
    if not members:
        typer.echo("No members yet. Add one with: whocalled community member add NAME")
    for m in members:
        state = f"revoked {m.revoked_at[:10]}" if m.revoked_at else "active"
        typer.echo(f"{m.name:30}  {state:18}  {m.votes} vote(s)  since {m.created_at[:10]}")


@member_app.command("revoke")
def member_revoke(
    name: Annotated[str, typer.Argument(help="The member to revoke.")],
    db: CommunityDbOpt = None,
) -> None:
    """Revoke a member: the token stops working and their votes stop counting.

    Example: whocalled community member revoke "Smith family"
    """
    with community_store(db) as store:
        changed = store.revoke_member(name)
    typer.echo(f"Revoked {name}; {changed} number(s) changed on the community list.")



# ---------------------------------------------------------------- the household side


def community_source(settings: "Settings", option: str) -> "WhocalledCommunity":
    """The configured community source, or one line saying how to configure it (exit 2)."""
    from scrapers.community import WhocalledCommunity

    source = WhocalledCommunity(settings.source(WhocalledCommunity.name))
    if not source.enabled:
        fail(f"{option} needs a community server: {WhocalledCommunity.enable_hint}")
    return source


def share_vote(settings: "Settings", e164: str, verdict: str, category: str | None, note: str | None,
               *, yes: bool) -> str | None:
    """Send the member's vote after asking (unless ``yes``). Returns what was recorded
    ("accepted: ..." / "failed: ..."), or None when the member said no. Fails with exit 1
    when the server did not take it."""
    from lookup.cli.common import run_async
    from lookup.numbers import normalize_number
    from scrapers.community import exchange

    source = community_source(settings, "--submit community" if verdict == "spam" else "--share")
    what = f"{e164} as {category or verdict}" + (", with your note" if note else "")
    if not yes and not typer.confirm(f"Share your vote ({what}) with the community server at {source.base_url}?", default=False):
        typer.echo("Not shared; it stays on this machine.")
        return None
    number = normalize_number(e164, settings.region, details=False)
    accepted, said, answer = run_async(exchange(source, source.vote_request(number, verdict, category, note), settings))
    if not accepted:
        warn(f"the community server did not take the vote: {said}")
        return f"failed: {said}"
    listed = " (it is on the community list)" if answer.get("listed") else ""
    typer.echo(f"Shared with the community: {e164} as {verdict}{listed}.")
    return f"accepted: {said}"


def community_numbers(settings: "Settings", store: "Store") -> list[str]:
    """The community list for ``export --include community``: the household's copy when
    ``whocalled sync community`` made one from the configured server, else the whole list
    fetched now (and a hint to keep a copy)."""
    from lookup.cli.common import run_async
    from lookup.sync_community import is_e164, synced_version
    from scrapers.community import exchange

    source = community_source(settings, "--include community")
    state = store.get_sync_state("community")
    if synced_version(state, source.base_url):
        warn(f"community list: the copy synced on {state.last_date} (whocalled sync community brings it up to date)")
        return store.community_list_numbers()
    accepted, said, answer = run_async(exchange(source, source.list_request(0), settings))
    added = answer.get("added")
    if not accepted or not isinstance(added, list):
        fail(f"could not get the community list from {source.base_url}: {said}", 1)
    warn("community list: fetched whole; 'whocalled sync community' keeps a copy that later syncs only update")
    return sorted({n for n in added if is_e164(n)})


@sync_app.command("community")
def sync_community_command(db: DbOpt = None, config: ConfigOpt = None) -> None:
    """Copy your community server's list here: the first time whole, then only its changes.

    The copy serves 'export --include community' and offline lookups. Only your member token
    is sent; the list holds numbers, never who voted.

    Example: whocalled sync community
    """
    from lookup.cli.common import opened, run_async
    from lookup.sync_community import sync_community

    with opened(db, config) as (settings, store):
        source = community_source(settings, "sync community")
        result = run_async(sync_community(store, settings, source))
    if result.failure:
        fail(result.summary(), 1)
    typer.echo(result.summary())
