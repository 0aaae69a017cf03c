"""The deployment examples shipped in deploy/: parsed, consistent, and the PostgreSQL recipe run."""

from __future__ import annotations

import configparser
import os
import re
import subprocess
from pathlib import Path

import pytest

from observatory import dburl

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
NGINX = (DEPLOY / "nginx" / "observatoire-postgresql.conf").read_text(encoding="utf-8")


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string((DEPLOY / "systemd" / name).read_text(encoding="utf-8"))
    return parser


def nginx_blocks_balanced(text: str) -> bool:
    depth = 0
    for char in re.sub(r"#.*", "", text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def test_the_nginx_example_forwards_websockets_to_sticky_upstreams():
    assert nginx_blocks_balanced(NGINX)
    body = re.sub(r"#.*", "", NGINX)
    upstream = re.search(r"upstream observatoire \{(.*?)\}", body, re.S).group(1)
    assert "ip_hash;" in upstream  # a session's WebSocket, media and uploads: one process
    ports = re.findall(r"server 127\.0\.0\.1:(\d+)", upstream)
    assert len(ports) == 2
    stream = re.search(r"location = /_stcore/stream \{(.*?)\}", body, re.S).group(1)
    assert "proxy_http_version 1.1;" in stream
    assert "proxy_set_header Upgrade $http_upgrade;" in stream
    assert "proxy_set_header Connection $connection_upgrade;" in stream
    assert "proxy_pass http://observatoire;" in stream
    assert re.search(r"map \$http_upgrade \$connection_upgrade", body)
    for line in body.splitlines():  # every statement ends with ; or opens/closes a block
        line = line.strip()
        assert not line or line.endswith((";", "{", "}")), line


def test_the_systemd_units_run_init_once_then_one_app_per_port():
    init = unit("observatoire-init.service")
    app = unit("observatoire@.service")
    assert init["Service"]["Type"] == "oneshot"
    assert init["Service"]["ExecStart"].endswith("observatory init")
    assert app["Service"]["ExecStart"].endswith("observatory serve --port %i --address 127.0.0.1")
    assert "observatoire-init.service" in app["Unit"]["Requires"]
    for service in (init, app):
        assert service["Service"]["EnvironmentFile"] == "/etc/observatoire/env"
        assert service["Service"]["UMask"] == "0077"
        assert "postgresql://" not in str(dict(service["Service"]))  # no password in a unit
    ports = re.findall(r"server 127\.0\.0\.1:(\d+)", NGINX)
    assert all(p.isdigit() for p in ports)  # the instance names of observatoire@PORT


def test_the_environment_example_is_read_by_the_settings():
    from observatory import settings

    env = {}
    for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    read = settings.Settings.from_env(env)
    assert read.is_postgres
    assert dburl.split(read.db)[1] == env["OBSERVATORY_PG_SCHEMA"]


def test_the_postgresql_recipe_runs_end_to_end(postgres, tmp_path):
    url = postgres.create_database("recette")
    env = dict(os.environ, OBSERVATORY_DB=url, OBSERVATORY_PG_SCHEMA="territoire_recette",
               OBSERVATORY_TILES="off")
    env.pop("OBSERVATORY_USERS", None)
    ports = [str(p) for p in _free_ports(2)]
    done = subprocess.run([str(DEPLOY / "recipe-postgresql.sh"), *ports], env=env,
                          capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    assert done.returncode == 0, dburl.mask(output)
    assert output.count(": healthy") == 2
    assert "Sauvegarde écrite" in output and "Base restaurée" in output
    assert postgres.password not in output  # masked everywhere
    assert "recipe done" in output
    for port in ports:  # the script stopped Streamlit too, not only `observatory serve`
        assert _stops_listening(int(port))


def _stops_listening(port: int, wait_s: float = 30) -> bool:
    """Whether nothing answers on the port any more (Streamlit takes a moment to exit)."""
    import socket
    import time

    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return True
        time.sleep(0.2)
    return False


def _free_ports(n: int) -> list[int]:
    import socket

    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.mark.parametrize("script", ["recipe-postgresql.sh", "recipe-duckdb.sh"])
def test_the_recipe_script_is_executable(script):
    assert os.access(DEPLOY / script, os.X_OK)


@pytest.mark.parametrize("shape", ["laptop", "server"])
def test_the_duckdb_recipes_run_end_to_end(shape, tmp_path):
    env = dict(os.environ, OBSERVATORY_TILES="off")
    for name in ("OBSERVATORY_DB", "OBSERVATORY_USERS", "OBSERVATORY_PG_SCHEMA"):
        env.pop(name, None)
    port = _free_ports(1)[0]
    done = subprocess.run([str(DEPLOY / "recipe-duckdb.sh"), shape, str(tmp_path), str(port)],
                          env=env, capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "healthy" in output and "recipe done" in output
    assert _stops_listening(int(port))
    if shape == "server":
        assert "Sauvegarde écrite" in output and "Base restaurée" in output
    else:
        assert (tmp_path / "observatoire.duckdb").exists()
