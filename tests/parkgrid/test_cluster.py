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
