#!/usr/bin/env bash
# The DuckDB recipes of docs/deployment.md, end to end, as their commands are written there.
#   deploy/recipe-duckdb.sh laptop FOLDER [PORT]   serve on a missing file: demo data, healthy
#   deploy/recipe-duckdb.sh server FOLDER [PORT]   init, serve, healthy, backup, restore
# tests/test_deploy.py runs both in a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
shape=$1 folder=$2 port=${3:-8501}
obs=.venv/bin/observatory
db="$folder/observatoire.duckdb"
pid=""
# serve runs Streamlit as a child: stop the whole process group (setsid made it its leader).
cleanup() { [ -n "$pid" ] && kill -- "-$pid" 2>/dev/null || true; }
trap cleanup EXIT

healthy() {
    for _ in $(seq 1 120); do
        curl -fsS "http://127.0.0.1:$port/_stcore/health" >/dev/null 2>&1 && break
        sleep 0.5
    done
    curl -fsS "http://127.0.0.1:$port/_stcore/health" >/dev/null
    echo "app on port $port: healthy"
}

if [ "$shape" = laptop ]; then
    setsid $obs serve --db "$db" --port "$port" --address 127.0.0.1 >"$folder/serve.log" 2>&1 &
    pid=$!
    healthy
    $obs places --db "$db" >/dev/null
else
    $obs init --db "$db"
    setsid $obs serve --db "$db" --port "$port" --address 127.0.0.1 >"$folder/serve.log" 2>&1 &
    pid=$!
    healthy
    $obs backup "$folder/$(date +%F).duckdb" --db "$db"
    $obs restore "$folder/$(date +%F).duckdb" --db "$db" --yes
fi
echo "recipe done"
