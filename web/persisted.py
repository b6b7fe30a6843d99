"""Persisted queries, by Apollo's automatic persisted queries protocol: a client sends
`extensions.persistedQuery.sha256Hash` (by GET or POST) instead of the document; an unknown
hash is answered PERSISTED_QUERY_NOT_FOUND, and the client sends the document with its hash,
which must match (else PERSISTED_QUERY_HASH_MISMATCH). A document that validates is kept in
PostgreSQL (parkgrid.persisted), so every worker and instance knows it from then on.

Each process keeps the documents it has seen by hash, and the compiled-statement cache
(web.compiled) keeps each document's checked operation keyed by that same text object: a
persisted request that hits both is neither sent, nor decoded, nor parsed, nor validated.

Modes (PARKGRID_API_PERSISTED_QUERIES): `auto` as above; `allowlist`, where only registered
documents run (registered by `parkgrid persisted register`, never over HTTP), whether named
by hash or sent in full; `off`, where a hash is refused."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from typing import Any, Literal

from parkgrid import persisted
from parkgrid.db import Database
from web.graphql_http import GraphQLRequest, Refused, error_entry, refusal

Mode = Literal["auto", "allowlist", "off"]
CACHE_SIZE = 512
NOT_FOUND = "PersistedQueryNotFound"
NOT_FOUND_CODE = "PERSISTED_QUERY_NOT_FOUND"
"""The message Apollo's clients look for (besides the code) before sending the document."""


class NotFound(Exception):
    """The hash names no document this service knows: send the document with it."""


def not_found() -> list[dict[str, Any]]:
    """The answer to an unknown hash: as a request error (200, or 400 to clients of
    application/graphql-response+json), as Apollo's clients expect it."""
    return [error_entry(NOT_FOUND_CODE, NOT_FOUND)]


def mismatch() -> Refused:
    message = "extensions.persistedQuery.sha256Hash: provided sha does not match query"
    return refusal("PERSISTED_QUERY_HASH_MISMATCH", message)


def not_in_list(sha256: str) -> Refused:
    return refusal("PERSISTED_QUERY_NOT_IN_LIST",
                   f"the document {sha256} is not registered, and only registered documents"
                   " run here (PARKGRID_API_PERSISTED_QUERIES=allowlist)")  # fmt: skip


def not_supported() -> Refused:
    return refusal("PERSISTED_QUERY_NOT_SUPPORTED",
                   "persisted queries are off here (PARKGRID_API_PERSISTED_QUERIES=off):"
                   " send the document")  # fmt: skip


class PersistedQueries:
    """The documents of one process, by hash, in front of the shared store."""

    def __init__(self, mode: Mode, size: int = CACHE_SIZE) -> None:
        self.mode, self.size = mode, size
        self.known: OrderedDict[str, str] = OrderedDict()

    def remember(self, sha256: str, document: str) -> str:
        self.known[sha256] = document
        self.known.move_to_end(sha256)
        while len(self.known) > self.size:
            self.known.popitem(last=False)
        return document

    async def document(self, sha256: str, db: Database) -> str | None:
        """The document of the hash: this process's, else the store's."""
        found = self.known.get(sha256)
        if found is not None:
            self.known.move_to_end(sha256)
            return found
        stored = await persisted.lookup(db, sha256)
        return None if stored is None else self.remember(sha256, stored)

    async def resolve(self, given: GraphQLRequest, db: Database) -> tuple[GraphQLRequest, bool]:
        """The request with its document, and whether it is to be registered once it has
        validated; raises NotFound, or Refused as the mode has it."""
        sha256 = given.persisted
        if sha256 is None:
            if self.mode == "allowlist":
                await self.allowed(persisted.digest(given.query), db)
            return given, False
        if self.mode == "off":
            raise not_supported()
        if given.query:
            return given, await self.registering(given.query, sha256, db)
        return await self.by_hash(given, sha256, db), False

    async def registering(self, document: str, sha256: str, db: Database) -> bool:
        """Whether a document sent with its hash is to be kept (once it validates)."""
        if persisted.digest(document) != sha256:
            raise mismatch()
        if self.mode == "allowlist":
            await self.allowed(sha256, db)
        return sha256 not in self.known

    async def by_hash(self, given: GraphQLRequest, sha256: str, db: Database) -> GraphQLRequest:
        document = await self.document(sha256, db)
        if document is None:
            if self.mode == "allowlist":
                raise not_in_list(sha256)
            raise NotFound(sha256)
        return replace(given, query=document)

    async def allowed(self, sha256: str, db: Database) -> None:
        if await self.document(sha256, db) is None:
            raise not_in_list(sha256)

    async def register(self, given: GraphQLRequest, db: Database) -> None:
        """Keep a document that validated, for every worker."""
        assert given.persisted is not None
        await db.write(persisted.register, given.query)
        self.remember(given.persisted, given.query)
