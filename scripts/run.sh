#!/usr/bin/env bash
# `make run`: embedded PostgreSQL, the five services and the gateway as separate processes under
# scripts/supervise.py: a process that dies is restarted (with backoff) while the others keep serving;
# Ctrl-C stops the services, then lets PostgreSQL finish its fast shutdown. Data is kept in .data/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export LOYALTY_DATA=${LOYALTY_DATA:-$(pwd)/.data}
mkdir -p "$LOYALTY_DATA"
export PGPORT=${PGPORT:-54329} SMTP_PORT=${SMTP_PORT:-1025}
export GATEWAY_PORT=${GATEWAY_PORT:-8080}
export MEMBER_PORT=${MEMBER_PORT:-50051} POINTS_PORT=${POINTS_PORT:-50052} TIER_PORT=${TIER_PORT:-50053}
export REWARDS_PORT=${REWARDS_PORT:-50054} BILLING_PORT=${BILLING_PORT:-50055} IDENTITY_PORT=${IDENTITY_PORT:-50056}
export NOTIFICATIONS_PORT=${NOTIFICATIONS_PORT:-50057}
export MEMBER_ADDR=127.0.0.1:$MEMBER_PORT POINTS_ADDR=127.0.0.1:$POINTS_PORT TIER_ADDR=127.0.0.1:$TIER_PORT
export REWARDS_ADDR=127.0.0.1:$REWARDS_PORT BILLING_ADDR=127.0.0.1:$BILLING_PORT IDENTITY_ADDR=127.0.0.1:$IDENTITY_PORT
export NOTIFICATIONS_ADDR=127.0.0.1:$NOTIFICATIONS_PORT
# Local development only: webhooks may go to receivers on this machine (refused by default: SSRF).
export WEBHOOK_ALLOW_PRIVATE_TARGETS=${WEBHOOK_ALLOW_PRIVATE_TARGETS:-true}
# Local development only: a generated JWT secret kept with the data, and the admin token.
if [ -z "${JWT_SECRET:-}" ]; then
  [ -f "$LOYALTY_DATA/jwt-secret" ] || head -c 32 /dev/urandom | base64 > "$LOYALTY_DATA/jwt-secret"
  JWT_SECRET=$(cat "$LOYALTY_DATA/jwt-secret"); export JWT_SECRET
fi
export LOYALTY_ADMIN_TOKEN=${LOYALTY_ADMIN_TOKEN:-dev-admin-token}
# The store agent (Procfile `store`): its own demo program and key; docs/store.md.
export STORE_AGENT_HTTP_PORT=${STORE_AGENT_HTTP_PORT:-8765}
# Development: the schema's introspection and GraphiQL on (both off by default, as in production).
export GRAPHQL_INTROSPECTION=${GRAPHQL_INTROSPECTION:-true} GRAPHIQL=${GRAPHIQL:-true}
export PYTHONUNBUFFERED=1 PATH="$(pwd)/.venv/bin:$PATH"
echo "Loyalty platform starting: the app at http://127.0.0.1:${GATEWAY_PORT}/ (built by bootstrap when gateway/ui changed),"
echo "GraphQL at http://127.0.0.1:${GATEWAY_PORT}/graphql (admin token: \$LOYALTY_ADMIN_TOKEN; the app's dev sign-in takes it)"
# IGNITE=1: an Apache Ignite node as the shared cache too (docs/cache.md), and every process pointed at it.
PROCFILE=Procfile
if [ "${IGNITE:-0}" = "1" ]; then
  bash scripts/ignite/fetch.sh >/dev/null
  export IGNITE_THIN_PORT=${IGNITE_THIN_PORT:-10800} IGNITE_DISCOVERY_PORT=${IGNITE_DISCOVERY_PORT:-47500}
  export IGNITE_COMMUNICATION_PORT=${IGNITE_COMMUNICATION_PORT:-47100}
  export IGNITE_ADDRESSES=${IGNITE_ADDRESSES:-127.0.0.1:$IGNITE_THIN_PORT}
  PROCFILE="$LOYALTY_DATA/Procfile.ignite"
  cat Procfile scripts/ignite/Procfile > "$PROCFILE"
  echo "Shared cache: Apache Ignite at $IGNITE_ADDRESSES"
fi
exec python scripts/supervise.py -f "$PROCFILE" --last postgres
