"""`parkgrid token create | list | revoke`: tokens are printed once and stored as digests."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta

from sqlalchemy import text

from parkgrid.auth import tokens
from parkgrid.db import one_off
from parkgrid.errors import ParkgridError
from parkgrid.settings import DatabaseSettings
from parkgrid.vocabulary import TOKEN_ROLES


def engine_url() -> str:
    return DatabaseSettings().resolved_url()


def role_of(args: argparse.Namespace) -> str:
    if args.role is None:
        return "cadre" if args.cadre is not None else ""
    return str(args.role)


def cmd_create(args: argparse.Namespace) -> int:
    lifetime = timedelta(days=args.expires_in_days) if args.expires_in_days else None
    with one_off(engine_url()) as conn:
        secret, token = tokens.create(conn, role_of(args), args.cadre, args.label, lifetime)
    if args.quiet:
        print(secret)
        return 0
    expiry = token.expires_at.isoformat(timespec="seconds") if token.expires_at else "never"
    cadre = f", cadre {token.cadre_id}" if token.cadre_id is not None else ""
    print(f"token {token.id} ({token.role}{cadre}), expires {expiry}:")
    print(secret)
    return 0


LIST_HEADER = ("id", "role", "cadre", "label", "created", "expires", "state", "last used",
               "last used from")  # fmt: skip


def state_of(token: tokens.Token, now: datetime) -> str:
    """As sign-in decides: a revoked token stays revoked whether or not it has expired since."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def stamp(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "never"


def cmd_list(_: argparse.Namespace) -> int:
    """A tab-separated table with a header line, so both people and `cut -f` can read it.
    Expiry is judged by the database's clock, the one sign-in and `create` use."""
    with one_off(engine_url(), write=False) as conn:
        found = tokens.listing(conn)
        now: datetime = conn.execute(text("SELECT now()")).scalar_one()
    print("\t".join(LIST_HEADER))
    for t in found:
        cells = (t.id, t.role, t.cadre_id or "-", t.label or "-", stamp(t.created_at),
                 stamp(t.expires_at), state_of(t, now), stamp(t.last_used_at),
                 t.last_used_from or "-")  # fmt: skip
        print("\t".join(str(cell) for cell in cells))
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    with one_off(engine_url()) as conn:
        token = tokens.revoke(conn, args.id)
    print(f"token {token.id} revoked")
    return 0


def guarded(args: argparse.Namespace) -> int:
    """Run the command `args.real`, its expected errors as one line on stderr."""
    try:
        result: int = args.real(args)
    except ParkgridError as error:
        print(f"parkgrid: {error.field or 'token'}: {error.message}", file=sys.stderr)
        return 2
    return result


def add_tokens(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    token = commands.add_parser("token", help="API tokens").add_subparsers(required=True)
    create = token.add_parser("create", help="print a new token (shown once)")
    create.add_argument("--role", choices=TOKEN_ROLES)
    create.add_argument("--cadre", type=int, help="the cadre the token stands for")
    create.add_argument("--label")
    create.add_argument("--expires-in-days", type=float)
    create.add_argument("--quiet", action="store_true", help="print only the token")
    create.set_defaults(handler=guarded, real=cmd_create)
    token.add_parser("list", help="every token, without secrets").set_defaults(
        handler=guarded, real=cmd_list
    )
    revoke = token.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(handler=guarded, real=cmd_revoke)
