#!/usr/bin/env bash
# The side-by-side benchmark: Telltale, Prometheus and VictoriaMetrics on the
# same workload, one after another, on 127.0.0.1 only.
#
#   bench/run.sh [--size small|large] [any telltale-loadgen bench flag...]
#
# Builds the telltale binary and the driver in release mode, installs the
# peers with apt-get if they are missing (needs root), runs the driver, and
# writes bench/results/<date>-<size>.md and the block of docs/BENCHMARKS.md
# for that size. Idempotent: every run starts from empty data directories in
# a fresh scratch directory that is removed on exit. Bounded: the driver is
# killed after $BENCH_TIMEOUT (default 30 min for small, 8 h for large).
# Every process it starts runs in one process group, killed on exit.
# TELLTALE_BIN=/path/to/telltale uses that binary instead of building one
# (the driver is still built).
set -euo pipefail

SIZE=small
ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size) SIZE="${2:?--size needs small or large}"; shift 2 ;;
    --size=*) SIZE="${1#--size=}"; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
case "$SIZE" in
  small) DEFAULT_TIMEOUT=1800 ;;
  large) DEFAULT_TIMEOUT=28800 ;;
  *) echo "unknown size: $SIZE (small or large)" >&2; exit 2 ;;
esac
TIMEOUT="${BENCH_TIMEOUT:-$DEFAULT_TIMEOUT}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

need_install=()
command -v prometheus >/dev/null 2>&1 || need_install+=(prometheus)
command -v victoria-metrics >/dev/null 2>&1 || need_install+=(victoria-metrics)
if [[ ${#need_install[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing ${need_install[*]}; run as root or: apt-get install -y ${need_install[*]}" >&2
    exit 1
  fi
  echo "installing ${need_install[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_install[@]}" >&2
fi

echo "building (release) in $CARGO_TARGET_DIR" >&2
if [[ -z "${TELLTALE_BIN:-}" ]]; then
  (cd "$ROOT" && cargo build --release --quiet --bin telltale)
  TELLTALE_BIN="$CARGO_TARGET_DIR/release/telltale"
fi
(cd "$ROOT" && cargo build --release --quiet -p telltale-loadgen)

WORK="$(mktemp -d "${TMPDIR:-/tmp}/telltale-bench.XXXXXX")"
DRIVER_PID=""
cleanup() {
  if [[ -n "$DRIVER_PID" ]]; then
    # The driver leads its own process group: the servers are in it too.
    kill -TERM -- "-$DRIVER_PID" 2>/dev/null || true
    sleep 1
    kill -KILL -- "-$DRIVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CMD="bench/run.sh --size $SIZE${ARGS[*]:+ ${ARGS[*]}}"
setsid timeout --signal=TERM --kill-after=30 "$TIMEOUT" \
  "$CARGO_TARGET_DIR/release/telltale-loadgen" bench \
  --size "$SIZE" \
  --telltale "$TELLTALE_BIN" \
  --prometheus "$(command -v prometheus)" \
  --victoria-metrics "$(command -v victoria-metrics)" \
  --work-dir "$WORK" \
  --results-dir "$ROOT/bench/results" \
  --doc "$ROOT/docs/BENCHMARKS.md" \
  --command-line "$CMD" \
  "${ARGS[@]}" &
DRIVER_PID=$!
set +e
wait "$DRIVER_PID"
RC=$?
set -e
DRIVER_PID=""
[[ $RC -eq 124 ]] && echo "benchmark timed out after $TIMEOUT s" >&2
exit "$RC"
