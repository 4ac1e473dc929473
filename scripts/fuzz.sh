#!/usr/bin/env bash
# Runs the engine's fuzz targets (fuzz/fuzz_targets) with cargo-fuzz on the
# stable toolchain (RUSTC_BOOTSTRAP=1 lets cargo-fuzz use the sanitizer flags).
#
#   scripts/fuzz.sh smoke [SECONDS]        each target for SECONDS (default 25);
#                                          fails on any crash, hang or OOM
#   scripts/fuzz.sh campaign [--runs N] [--targets a,b] [--jobs J]
#                                          each target for at least N executions
#                                          (default 10,000,000), J targets at a
#                                          time (default 1); writes the figures
#                                          to reliability/fuzz.json
#   scripts/fuzz.sh report [--runs N] [--targets a,b]
#                                          rewrites reliability/fuzz.json from
#                                          the campaign logs in fuzz/logs
#
# Corpora start from fuzz/seeds/<target> (committed) and grow in
# fuzz/corpus/<target> (ignored by git). Crashing inputs land in
# fuzz/artifacts/<target>/. Every run uses -rss_limit_mb and -timeout, so
# out-of-memory and hangs count as failures. Installs cargo-fuzz if missing.
# Run long campaigns at low priority: nice -n 10 scripts/fuzz.sh campaign
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
fuzz="$root/fuzz"
logs="$fuzz/logs"
RSS_MB="${FUZZ_RSS_MB:-2048}"
TIMEOUT_S="${FUZZ_TIMEOUT_S:-10}"
export RUSTC_BOOTSTRAP=1

all_targets() {
  sed -n 's/^name = "\(.*\)"/\1/p' "$fuzz/Cargo.toml" | grep -v '^coffer-fuzz$'
}

ensure_cargo_fuzz() {
  if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
  fi
}

# run TARGET LOG LIBFUZZER-ARGS...: one libFuzzer run; returns its status.
run() {
  local target="$1" log="$2"
  shift 2
  mkdir -p "$fuzz/corpus/$target" "$fuzz/artifacts/$target" "$logs"
  (cd "$fuzz" && cargo fuzz run -O "$target" "corpus/$target" "seeds/$target" -- \
    -rss_limit_mb="$RSS_MB" -timeout="$TIMEOUT_S" -print_final_stats=1 \
    -artifact_prefix="artifacts/$target/" "$@") >"$log" 2>&1
}

smoke() {
  local secs="${1:-25}" failed=0
  ensure_cargo_fuzz
  (cd "$fuzz" && cargo fuzz build -O >/dev/null)
  for t in $(all_targets); do
    local log="$logs/smoke-$t.log"
    if run "$t" "$log" -max_total_time="$secs"; then
      echo "fuzz smoke: $t ok ($(grep -o 'Done [0-9]* runs' "$log" | tail -1))"
    else
      echo "fuzz smoke: $t FAILED (see $log)" >&2
      grep -E 'ERROR: libFuzzer|SUMMARY|panicked|deadly signal' "$log" | head -5 >&2 || true
      failed=1
    fi
  done
  return "$failed"
}

campaign() {
  local runs=10000000 targets jobs=1
  targets="$(all_targets | tr '\n' ',')"
  while [ $# -gt 0 ]; do
    case "$1" in
      --runs) runs="$2"; shift 2 ;;
      --targets) targets="$2"; shift 2 ;;
      --jobs) jobs="$2"; shift 2 ;;
      *) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    esac
  done
  ensure_cargo_fuzz
  (cd "$fuzz" && cargo fuzz build -O >/dev/null)
  mkdir -p "$logs"
  local pids=() names=()
  for t in ${targets//,/ }; do
    (
      start=$(date +%s)
      status=0
      run "$t" "$logs/campaign-$t.log" -runs="$runs" || status=$?
      end=$(date +%s)
      echo "$status $start $end" >"$logs/campaign-$t.status"
    ) &
    pids+=($!)
    names+=("$t")
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 5; done
  done
  wait
  report --runs "$runs" --targets "$targets"
}

# report [--runs N] [--targets a,b]: reliability/fuzz.json from the logs of a
# campaign (also one whose runs were started or finished separately).
report() {
  local runs=10000000 targets
  targets="$(all_targets | tr '\n' ',')"
  while [ $# -gt 0 ]; do
    case "$1" in
      --runs) runs="$2"; shift 2 ;;
      --targets) targets="$2"; shift 2 ;;
      *) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    esac
  done
  : "${FUZZ_COMMIT:=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || true)}"
  export FUZZ_COMMIT
  python3 - "$logs" "$root/reliability/fuzz.json" "$runs" ${targets//,/ } <<'PY'
import json, os, re, sys, glob
logs, out, runs, targets = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
rows, data, bad = [], [], 0
for t in targets:
    log = open(os.path.join(logs, f"campaign-{t}.log"), errors="replace").read()
    stat = dict(re.findall(r"stat::(\w+):\s+(\d+)", log))
    progress = re.findall(r"^#(\d+)\s.*exec/s: (\d+)", log, re.M)
    status_file = os.path.join(logs, f"campaign-{t}.status")
    if os.path.exists(status_file):
        status, start, end = open(status_file).read().split()
        secs = max(1, int(end) - int(start))
        execs = int(stat.get("number_of_executed_units", 0))
    else:  # still running: the last progress line
        status = "running"
        execs, rate = map(int, progress[-1]) if progress else (0, 1)
        secs = max(1, execs // max(1, rate))
    done = re.findall(r"#\d+\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)", log)
    last = re.findall(r"cov: (\d+) ft: (\d+) corp: (\d+)", log)
    cov, ft, corp = (done or last or [("0", "0", "0")])[-1]
    arts = os.path.join(os.path.dirname(logs), "artifacts", t)
    kinds = {k: len(glob.glob(os.path.join(arts, k + "-*"))) for k in ("crash", "timeout", "oom", "leak")}
    ok = status == "0" and execs >= runs and not any(kinds.values())
    running = status == "running"
    bad += not ok
    d = dict(target=t, executions=execs, seconds=secs, exec_per_sec=round(execs / secs),
             coverage=int(cov), features=int(ft), corpus=int(corp),
             peak_rss_mb=int(stat.get("peak_rss_mb", 0)), crashes=kinds["crash"],
             timeouts=kinds["timeout"], ooms=kinds["oom"], leaks=kinds["leak"],
             exit_status=None if running else int(status), complete=ok)
    data.append(d)
    rows.append([t + (" (still running)" if running else ""), f"{execs:,}", f"{secs / 60:.1f} min", f"{d['exec_per_sec']:,}", f"{cov} / {ft}",
                 f"{d['peak_rss_mb']} MB", f"{kinds['crash']} / {kinds['timeout']} / {kinds['oom']}"])
os.makedirs(os.path.dirname(out), exist_ok=True)
json.dump({
    "title": "Fuzzing campaign",
    "commit": os.environ.get("FUZZ_COMMIT", ""),
    "text": (f"Each fuzz target of fuzz/fuzz_targets ran for at least {runs:,} executions "
             "(`nice -n 10 scripts/fuzz.sh campaign`) with cargo-fuzz on the stable toolchain, "
             f"-rss_limit_mb={os.environ.get('FUZZ_RSS_MB', '2048')} and -timeout={os.environ.get('FUZZ_TIMEOUT_S', '10')} s, "
             "starting from fuzz/seeds" + (f", at commit {os.environ['FUZZ_COMMIT']}" if os.environ.get("FUZZ_COMMIT") else "") + ". Coverage is libFuzzer's final cov (edges) / ft (features). "
             "Crashes, hangs (timeouts) and out-of-memory count the inputs libFuzzer saved."),
    "tables": [{"columns": ["target", "executions", "time", "exec/s", "coverage (cov / ft)",
                            "peak RSS", "crashes / hangs / OOM"], "rows": rows}],
    "notes": ([f"Targets marked \"still running\" had not reached {runs:,} executions when these figures were taken "
               "(their figures are from libFuzzer's last progress line); "
               "finish them with `nice -n 10 scripts/fuzz.sh campaign --targets NAME`."]
              if any(not d["complete"] for d in data) else []),
    "data": data,
}, open(out, "w"), indent=2)
open(out, "a").write("\n")
print(json.dumps(data, indent=2))
sys.exit(1 if bad else 0)
PY
}

case "${1:-}" in
  smoke) shift; smoke "$@" ;;
  campaign) shift; campaign "$@" ;;
  report) shift; report "$@" ;;
  *) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
