#!/usr/bin/env bash
# The whole test suite: installs what it needs, starts PostgreSQL if it is installed and down,
# then runs lint, type-check, the migration check and every test (scripts/test.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh --python

if command -v pg_ctlcluster >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "== starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi

# The queue tests use Redis on 127.0.0.1:6379 (this kind of machine runs it; start one if it is down).
if command -v redis-server >/dev/null && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "== starting Redis"
  redis-server --port 6379 --bind 127.0.0.1 --daemonize yes --save "" --appendonly no >/dev/null
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
fi

pnpm test
