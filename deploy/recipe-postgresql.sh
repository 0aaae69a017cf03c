#!/usr/bin/env bash
# The PostgreSQL recipe of docs/deployment.md, end to end, as its commands are written there:
# init, two app processes, both healthy, a backup, a restore. tests/test_deploy.py runs it
# against a throwaway PostgreSQL; run it by hand against yours:
#   OBSERVATORY_DB=postgresql://… OBSERVATORY_PG_SCHEMA=… deploy/recipe-postgresql.sh [8501 8502]
set -euo pipefail
cd "$(dirname "$0")/.."
: "${OBSERVATORY_DB:?set OBSERVATORY_DB to a postgresql:// URL}"
obs=.venv/bin/observatory
ports=("${1:-8501}" "${2:-8502}")
work=$(mktemp -d)
pids=()
# serve runs Streamlit as a child: stop each whole process group (setsid made it its leader).
cleanup() { for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# 1. Migrations, once, at deploy time (observatoire-init.service).
$obs init
# 2. Two app processes (observatoire@8501, observatoire@8502), behind the proxy's upstream.
for port in "${ports[@]}"; do
    setsid $obs serve --port "$port" --address 127.0.0.1 >"$work/serve-$port.log" 2>&1 &
    pids+=("$!")
done
for port in "${ports[@]}"; do
    for _ in $(seq 1 120); do
        curl -fsS "http://127.0.0.1:$port/_stcore/health" >/dev/null 2>&1 && break
        sleep 0.5
    done
    curl -fsS "http://127.0.0.1:$port/_stcore/health" >/dev/null
    echo "app process on port $port: healthy"
done
# 3. Backup of the territory's schema, and its restore (the app processes may keep running).
$obs backup "$work/sauvegarde.dump"
$obs restore "$work/sauvegarde.dump" --yes
$obs places >/dev/null
echo "recipe done"
