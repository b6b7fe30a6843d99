"""The read compiler's core: objects, relations, lists and connections as SQL that builds
JSON, over the per-type field tables (`FIELDS`) that the `types_*` modules fill in.

Every field's SQL is a function `(compiler, row alias, selection) -> SQL expression`; the
compiler only assembles them. Nothing here knows a table: tables live with their types."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from geo.validate import MAX_POSITIONS
from parkgrid.errors import ParkgridError
from resolvers.pagination import PageRequest, page_request, require_key_types
from resolvers.reads import sql
from resolvers.reads.selection import Selection
from resolvers.reads.sql import Binder, Named, Unsupported

FieldSql = Callable[["Compiler", str, Selection], str]
FIELDS: dict[str, dict[str, FieldSql]] = {}
"""Per GraphQL type name, per field name: the field's SQL. One definition per field."""
ROWS: dict[str, str] = {}
"""The rows of a type where they are not its table of the same name (lower case)."""


def fields_of(typename: str) -> dict[str, FieldSql]:
    return FIELDS.setdefault(typename, {})


@dataclass(frozen=True)
class Listing:
    """Rows for a list or connection: `source` is a SELECT whose output columns the node's
    fields read; `keys` are output columns ordering it uniquely, with their SQL types."""

    node: str
    source: str
    keys: tuple[tuple[str, str], ...]
    descending: bool = False
    materialized: bool = False  # a spatially bounded source: evaluated once for page and count
    paged: str = ""  # columns worked out for a page's rows only: SQL over `{x}`, the row

    def order(self, alias: str) -> str:
        direction = " DESC" if self.descending else ""
        return ", ".join(f"{alias}.{name}{direction}" for name, _ in self.keys)


@dataclass
class Compiler:
    default_page: int
    max_page: int
    today: date | Named  # Named: a statement kept for many requests binds it by name
    now: datetime | Named
    staff: bool
    check_in_tolerance_m: float = 500.0
    max_positions: int = MAX_POSITIONS
    bind: Binder = field(default_factory=Binder)
    aliases: int = 0
    guards: list[tuple[str, ParkgridError]] = field(default_factory=list)

    def alias(self, prefix: str) -> str:
        self.aliases += 1
        return f"{prefix}{self.aliases}"

    def guard(self, condition: str, error: ParkgridError) -> None:
        """When `condition` holds, the answer is `error` (NOT_FOUND for a parent, say): a
        statement cannot raise a GraphQL error, so it says which guards held."""
        self.guards.append((condition, error))

    # objects

    def object(self, typename: str, row: str, selections: tuple[Selection, ...]) -> str:
        return sql.json_object((s.key, self.field(typename, row, s)) for s in selections)

    def field(self, typename: str, row: str, s: Selection) -> str:
        if s.name == "__typename":
            return sql.name_literal(typename)
        compiled = FIELDS.get(typename, {}).get(s.name)
        if compiled is None:
            raise Unsupported(f"{typename}.{s.name}")
        return compiled(self, row, s)

    def day(self) -> date:
        """Today as a value, for what needs one in Python (an issue filter's dates)."""
        if isinstance(self.today, Named):
            raise Unsupported("a value of today in a kept statement")
        return self.today

    def value(self, typename: str, row: str, path: str) -> str:
        """The scalar at the end of a path of fields (`grid.code`, `liaison.phone`) of the
        row: each related object on the way a subquery, the last field its own SQL. Tiles,
        OGC pages and exports read the API's facts through this, so each is written once."""
        name, _, rest = path.partition(".")
        s = Selection(name, name)
        if not rest:
            return self.field(typename, row, s)
        related = FIELDS.get(typename, {}).get(name)
        if not isinstance(related, Related):
            raise Unsupported(f"{typename}.{name} is not a related object")
        r = self.alias("r")
        where = related.where(self, row, s).format(r=r)
        inner = self.value(related.typename, r, rest)
        return f"(SELECT {inner} FROM {related.table} {r} WHERE {where})"

    def one(self, typename: str, table: str, where: str, s: Selection) -> str:
        """A single related object; `where` is a condition on `{r}`, the related row."""
        r = self.alias("r")
        condition = where.format(r=r)
        return f"(SELECT {self.object(typename, r, s.fields)} FROM {table} {r} WHERE {condition})"

    def many(self, listing: Listing, s: Selection) -> str:
        """A whole list (no paging), in the listing's order; [] when empty."""
        r, x = self.alias("r"), self.alias("x")
        item = self.object(listing.node, r, s.fields)
        agg = f"json_agg({item} ORDER BY {listing.order(r)})"
        rows = listing.source
        if listing.paged:
            rows = f"SELECT {x}.*, {listing.paged.format(x=x)} FROM ({rows}) {x}"
        return f"(SELECT coalesce({agg}, '[]'::json) FROM ({rows}) {r})"

    # connections

    def page(self, s: Selection) -> PageRequest:
        first, after = s.args.get("first"), s.args.get("after")
        return page_request(first, after, self.default_page, self.max_page)

    def keyset(self, listing: Listing, request: PageRequest, row: str) -> str:
        """The condition that continues after a cursor; refused when the cursor belongs to
        another ordering or list."""
        if request.after is None:
            return "TRUE"
        require_key_types(request, [kind for _, kind in listing.keys])
        values = [
            self.bind(value, kind)
            for value, (_, kind) in zip(request.after, listing.keys, strict=True)
        ]
        columns = ", ".join(f"{row}.{name}" for name, _ in listing.keys)
        return f"({columns}) {'<' if listing.descending else '>'} ({', '.join(values)})"

    def connection(self, listing: Listing, s: Selection) -> str:
        """A page of the listing with cursors, pageInfo and totalCount, one row even when
        nothing matches."""
        request = self.page(s)
        p, x, size = self.alias("p"), self.alias("x"), self.bind(request.first, "integer")
        source = "hit" if listing.materialized else f"({listing.source})"
        prefix = f"WITH hit AS MATERIALIZED ({listing.source}) " if listing.materialized else ""
        paged = f"{listing.paged.format(x=x)}, " if listing.paged else ""
        inner = (
            f"SELECT {x}.*, {paged}row_number() OVER (ORDER BY {listing.order(x)}) AS rn"
            f" FROM {source} {x} WHERE {self.keyset(listing, request, x)}"
            f" ORDER BY {listing.order(x)} LIMIT {size} + 1"
        )
        parts = [(f.key, self.connection_field(listing, source, p, size, f)) for f in s.fields]
        return f"({prefix}SELECT {sql.json_object(parts)} FROM ({inner}) {p} GROUP BY ())"

    def connection_field(
        self, listing: Listing, source: str, p: str, size: str, f: Selection
    ) -> str:
        in_page = f"FILTER (WHERE {p}.rn <= {size})"
        cursor = sql.cursor(f"{p}.{name}" for name, _ in listing.keys)
        if f.name in ("edges", "nodes"):
            item = self.edge(listing, p, cursor, f) if f.name == "edges" else None
            item = item or self.object(listing.node, p, f.fields)
            return f"coalesce(json_agg({item} ORDER BY {p}.rn) {in_page}, '[]'::json)"
        if f.name == "totalCount":
            return f"(SELECT count(*) FROM {source} c)"
        if f.name == "pageInfo":
            info = {
                "hasNextPage": f"count(*) > {size}",
                "endCursor": f"(array_agg({cursor} ORDER BY {p}.rn DESC) {in_page})[1]",
                "__typename": sql.name_literal("PageInfo"),
            }
            return sql.json_object((g.key, self.pick(info, g)) for g in f.fields)
        if f.name == "__typename":
            return sql.name_literal(f"{listing.node}Connection")
        raise Unsupported(f.name)

    def edge(self, listing: Listing, p: str, cursor: str, f: Selection) -> str:
        parts = {
            "cursor": cursor,
            "__typename": sql.name_literal(f"{listing.node}Edge"),
        }
        pairs = [
            (
                g.key,
                self.object(listing.node, p, g.fields) if g.name == "node" else self.pick(parts, g),
            )
            for g in f.fields
        ]
        return sql.json_object(pairs)

    @staticmethod
    def pick(parts: Mapping[str, str], s: Selection) -> str:
        if s.name not in parts:
            raise Unsupported(s.name)
        return parts[s.name]


@dataclass(frozen=True)
class Related:
    """A field that is one related object: the row of `table` meeting `where`, a condition
    on `{r}` (the related row) over this row `t`. Declared as data, so a path of fields can
    walk through it (Compiler.value) as well as the API's objects."""

    typename: str
    table: str
    where: Callable[[Compiler, str, Selection], str]

    def __call__(self, c: Compiler, t: str, s: Selection) -> str:
        return c.one(self.typename, self.table, self.where(c, t, s), s)


def related(typename: str, table: str, where: str) -> Related:
    """A related object found by a fixed condition: `{t}` this row, `{{r}}` the related."""
    return Related(typename, table, lambda _c, t, _s: where.format(t=t, r="{r}"))


def column(template: str) -> FieldSql:
    """A field that is an expression of its row: `{t}` stands for the row's alias."""
    return lambda _c, t, _s: template.format(t=t)


def upper(name: str) -> FieldSql:
    """An enum field: the schema's enum names are the stored values in capitals."""
    return column(f"upper({{t}}.{name})")


def timestamp(name: str) -> FieldSql:
    return lambda _c, t, _s: sql.iso_timestamp(f"{t}.{name}")


def identifier(name: str = "id") -> FieldSql:
    return column(f"CAST({{t}}.{name} AS text)")
