"""A replicated PostgreSQL on one machine: the private cluster as the primary, streaming
replicas made with pg_basebackup (each with a replication slot, so the primary keeps the WAL
a stopped replica still needs), and PostgreSQL's own promotion.

Everything runs with the machinery of parkgrid.cluster (the same binaries, the same server
user when we are root), each replica in a directory of its own beside the primary's
(`<data_dir>/replica<N>`), on a free port of 127.0.0.1 recorded there."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

import psycopg2

from parkgrid import cluster
from parkgrid.settings import ClusterSettings

REPLICATION_CONF = """
# written by parkgrid: a primary with streaming replicas
hot_standby = on
hot_standby_feedback = on
wal_keep_size = 128MB
"""
SYNCHRONOUS_CONF = """
# written by parkgrid: a commit is acknowledged once one replica has it
synchronous_standby_names = 'ANY 1 (*)'
"""
SLOT = "parkgrid_replica{n}"


@dataclass(frozen=True)
class Node:
    """One server of the topology."""

    settings: ClusterSettings
    major: int

    @property
    def url(self) -> str:
        return self.settings.url

    @property
    def dsn(self) -> str:
        return cluster.libpq_dsn(self.url)

    @property
    def port(self) -> int:
        return self.settings.chosen_port

    def start(self) -> None:
        cluster.start(self.settings, self.major)
        cluster.wait_for_server(self.url)

    def stop(self, mode: str = "fast") -> None:
        if self.running():
            cluster.pg_ctl(self.settings, self.major, "-m", mode, "-w", "stop")

    def running(self) -> bool:
        exists = (self.settings.pgdata / "PG_VERSION").exists()
        return exists and cluster.running(self.settings, self.major)

    def promote(self) -> None:
        """End recovery: this replica becomes a primary (on a new timeline)."""
        if cluster.pg_ctl(self.settings, self.major, "-w", "promote") != 0:
            raise cluster.ClusterError(f"pg_ctl promote failed for {self.settings.pgdata}")

    def query(self, statement: str, *params: object) -> tuple[object, ...] | None:
        conn = psycopg2.connect(cluster.maintenance_dsn(self.url))
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchone() if cur.description else None
        finally:
            conn.close()

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.settings.pgdata, ignore_errors=True)
        shutil.rmtree(self.settings.data_dir, ignore_errors=True)


def configure(node: Node, addition: str) -> None:
    """Append `addition` to the server's settings once, and reload them."""
    conf = node.settings.pgdata / "postgresql.conf"
    if addition not in conf.read_text():
        with conf.open("a") as out:
            out.write(addition)
    node.query("SELECT pg_reload_conf()")


def make_synchronous(primary: Node) -> None:
    """From now on a commit waits until one replica has it: none acknowledged is lost when
    the primary dies and a replica is promoted (only once replicas exist: with none, every
    commit would wait)."""
    configure(primary, SYNCHRONOUS_CONF)


def replica_settings(primary: ClusterSettings, n: int) -> ClusterSettings:
    return ClusterSettings(
        data_dir=primary.data_dir / f"replica{n}",
        database=primary.database,
        superuser=primary.superuser,
        os_user=primary.os_user,
    )


def free_slot(primary: Node, slot: str) -> None:
    """Drop a slot a replica that is gone left behind (never one in use)."""
    primary.query(
        "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots"
        " WHERE slot_name = %s AND NOT active",
        slot,
    )


def base_backup(primary: Node, settings: ClusterSettings, n: int) -> None:
    """A copy of the primary that follows it: standby.signal and primary_conninfo (-R), the
    WAL streamed while it copies (-X stream), through its own new slot (-C -S)."""
    slot = SLOT.format(n=n)
    free_slot(primary, slot)
    conninfo = (
        f"host=127.0.0.1 port={primary.port} user={primary.settings.superuser}"
        f" application_name={slot}"
    )
    command = [str(cluster.bindir(primary.major) / "pg_basebackup"), "-d", conninfo]
    command += ["-D", str(settings.pgdata), "-R", "-X", "stream", "-C", "-S", slot, "-c", "fast"]
    completed = subprocess.run(
        cluster.as_server_user(settings, command), check=False, capture_output=True, text=True
    )
    if completed.returncode != 0:
        raise cluster.ClusterError(f"pg_basebackup failed: {completed.stderr.strip()}")


def replica(primary: Node, n: int) -> Node:
    """Replica `n` of the primary: made when missing, started when stopped."""
    settings = replica_settings(primary.settings, n)
    node = Node(settings, primary.major)
    if not (settings.pgdata / "PG_VERSION").exists():
        shutil.rmtree(settings.pgdata, ignore_errors=True)
        cluster.prepare_data_dir(settings)
        settings.port_file.write_text(str(cluster.free_port()))
        base_backup(primary, settings, n)
    node.start()
    return node


def unmake_synchronous(primary: Node) -> None:
    """Commits no longer wait for a replica (before the replicas go away)."""
    conf = primary.settings.pgdata / "postgresql.conf"
    text = conf.read_text()
    if SYNCHRONOUS_CONF in text:
        conf.write_text(text.replace(SYNCHRONOUS_CONF, ""))
        primary.query("SELECT pg_reload_conf()")


def primary_node(settings: ClusterSettings) -> Node:
    """The private cluster, up, configured for replicas (reloaded, never restarted)."""
    cluster.up(settings)
    major = int((settings.pgdata / "PG_VERSION").read_text().strip())
    node = Node(settings, major)
    configure(node, REPLICATION_CONF)
    return node


def replicas_of(primary: Node) -> list[Node]:
    """The replicas made beside the primary so far."""
    found = sorted(primary.settings.data_dir.glob("replica*"), key=lambda p: p.name)
    nodes = [Node(replica_settings(primary.settings, int(p.name[7:])), primary.major)
             for p in found if p.name[7:].isdigit()]  # fmt: skip
    return [node for node in nodes if (node.settings.pgdata / "PG_VERSION").exists()]


def remove_replicas(primary: Node) -> None:
    """Stop and delete every replica, and drop their slots on the primary."""
    for node in replicas_of(primary):
        node.remove()
    for path in primary.settings.data_dir.glob("replica*"):
        shutil.rmtree(path, ignore_errors=True)
    if primary.running():
        primary.query(
            "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots"
            " WHERE slot_name LIKE 'parkgrid_replica%%' AND NOT active"
        )
