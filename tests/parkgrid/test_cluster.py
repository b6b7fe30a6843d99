"""The private cluster's port: the default, or a free one recorded when the default is busy."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from parkgrid import cluster
from parkgrid.settings import ClusterSettings


def test_a_busy_default_port_gives_a_recorded_free_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        monkeypatch.setattr(cluster, "DEFAULT_CLUSTER_PORT", busy.getsockname()[1])
        settings = ClusterSettings(data_dir=tmp_path, port=None)
        chosen = cluster.choose_port(settings)
        assert chosen != busy.getsockname()[1]
        assert not cluster.port_taken(chosen)
    again = ClusterSettings(data_dir=tmp_path, port=None)
    assert cluster.choose_port(again) == again.chosen_port == chosen
    assert f":{chosen}/" in again.url


def test_a_free_default_port_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    free = cluster.free_port()
    monkeypatch.setattr(cluster, "DEFAULT_CLUSTER_PORT", free)
    assert cluster.choose_port(ClusterSettings(data_dir=tmp_path, port=None)) == free


def test_a_fixed_port_wins(tmp_path: Path) -> None:
    settings = ClusterSettings(data_dir=tmp_path, port=55555)
    assert cluster.choose_port(settings) == 55555
    assert not settings.port_file.exists()


def test_a_cluster_made_before_gets_the_operations_settings_once(tmp_path: Path) -> None:
    settings = ClusterSettings(data_dir=tmp_path)
    settings.pgdata.mkdir()
    conf = settings.pgdata / "postgresql.conf"
    conf.write_text("# an existing cluster\nshared_buffers = 128MB\n")
    assert cluster.operations_conf(settings) is True
    assert cluster.operations_conf(settings) is False  # `db up` again: nothing added
    text = conf.read_text()
    assert text.startswith("# an existing cluster\nshared_buffers = 128MB\n")
    assert text.count("shared_preload_libraries = 'pg_stat_statements'") == 1
    assert "log_line_prefix = '%m [%p] %a '" in text
