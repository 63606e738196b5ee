#!/usr/bin/env bash
# The CUDA paths of AlphaZero, run and timed on one GPU machine in at most 8 minutes (issue 17).
#
#   scripts/gpu_check.sh                 # on the GPU machine: installs a CUDA torch from PyPI into .venv-gpu
#   scripts/gpu_check.sh --device cpu    # here: the same steps on the CPU with the existing .venv, short
#
# Everything lands under $OUT (default ./gpu-check-out): summary.md (every step, its status and time),
# one log per step, the benchmark tables, nvidia-smi output and a 1-second nvidia-smi sample of memory
# and utilisation over the whole run. Steps, in order:
#   1. setup     cuda: a fresh venv, `pip install -e .` plus the test tools with NO constraints file, so
#                pip takes a CUDA build of torch within pyproject's range (torch>=2.2,<3) from PyPI; then it
#                checks that torch sees the GPU. cpu: reuses .venv (downloads nothing).
#   2. versions  nvidia-smi, torch / CUDA / cuDNN versions, the GPU's name and memory.
#   3. tests     the device-sensitive tests (network, inference, evaluator, search, agent, checkpoint,
#                training) with BTTT_TEST_DEVICE=<device>.
#   4. network   scripts/bench_az_network.py: paper and small presets at batch 1, 16, 256, 1024, 4096, every
#                inference backend, on the GPU and on this machine's CPU (all its cores), side by side.
#   5. selfplay  scripts/bench_az_selfplay.py: positions/s with the network on the device at 64, 256 and
#                1024 parallel games (48 simulations), and the CPU at 64 parallel games for the ratio.
#   6. train     bttt train: 3 iterations on the device, then resumed for a 4th on the CPU; a check that the
#                checkpoint moved (progress, provenance, weights).
#   7. gauntlet  the paper networks' 49-cell gauntlet with device=cuda, batched, compared with the CPU results.
#   8. memory    peak GPU memory (torch's own peak per step from the logs, nvidia-smi's sampled peak).
# A step that fails is recorded and the next one still runs; the exit code is 1 if any step failed.
set -uo pipefail

DEVICE=cuda
while [ $# -gt 0 ]; do
  case "$1" in
    --device) DEVICE="${2:-}"; shift 2 ;;
    --device=*) DEVICE="${1#--device=}"; shift ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "gpu_check.sh: unknown argument '$1'; use --device cuda (default) or --device cpu" >&2; exit 2 ;;
  esac
done
case "$DEVICE" in
  cuda|cpu) ;;
  *) echo "gpu_check.sh: --device '$DEVICE' is not supported; use cuda or cpu" >&2; exit 2 ;;
esac

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT" || exit 2
OUT="${OUT:-$ROOT/gpu-check-out}"
mkdir -p "$OUT" || { echo "gpu_check.sh: cannot create OUT=$OUT" >&2; exit 2; }
OUT="$(cd "$OUT" && pwd)"
if [ -n "$(ls -A "$OUT")" ] && [ ! -e "$OUT/.gpu_check" ]; then
  echo "gpu_check.sh: OUT=$OUT holds files this script did not write; choose an empty or new folder" >&2
  exit 2
fi
touch "$OUT/.gpu_check"
START=$(date +%s)
BUDGET=${GPU_CHECK_BUDGET_S:-480}  # the whole run, seconds
FAILED=0
SUMMARY="$OUT/summary.md"
{
  echo "# gpu_check.sh --device $DEVICE"
  echo
  echo "started $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname), $(nproc) CPUs; commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| step | status | seconds | log |"
  echo "|---|---|---|---|"
} > "$SUMMARY"

elapsed() { echo $(( $(date +%s) - START )); }

# step NAME SECONDS COMMAND...: runs COMMAND with a timeout (never past the overall budget), logs to
# $OUT/NAME.log, records the status in summary.md.
step() {
  local name="$1" limit="$2"; shift 2
  local left=$(( BUDGET - $(elapsed) ))
  if [ "$left" -le 5 ]; then
    echo "| $name | skipped: the ${BUDGET} s budget is spent | 0 | |" >> "$SUMMARY"
    FAILED=1
    return 1
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  echo "== $name (at most ${limit} s, $(elapsed) s elapsed)"
  local t0 rc
  t0=$(date +%s)
  timeout --kill-after=10 "$limit" "$@" > "$OUT/$name.log" 2>&1
  rc=$?
  local took=$(( $(date +%s) - t0 ))
  local status=ok
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    status="TIMED OUT after ${limit} s"
  elif [ "$rc" -ne 0 ]; then
    status="FAILED (exit $rc)"
  fi
  [ "$status" = ok ] || FAILED=1
  echo "| $name | $status | $took | $name.log |" >> "$SUMMARY"
  tail -n 3 "$OUT/$name.log" | sed 's/^/   /'
  [ "$status" = ok ]
}

# ---------------------------------------------------------------- 1. setup
if [ "$DEVICE" = cuda ]; then
  VENV="$ROOT/.venv-gpu"
  # shellcheck disable=SC2317  # invoked through step
  setup() {
    set -e
    command -v python3
    python3 -c 'import sys; assert sys.version_info >= (3, 11), f"Python 3.11+ needed, found {sys.version}"'
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    # no -c constraints.txt: that pins the CPU build; PyPI's Linux torch wheels are CUDA builds
    "$VENV/bin/pip" install --progress-bar off -q -e . pytest pytest-xdist hypothesis h5py onnx onnxruntime
    "$VENV/bin/python" - <<'EOF'
import torch
print("torch", torch.__version__, "CUDA build", torch.version.cuda)
assert torch.version.cuda, "pip installed a CPU-only torch; a CUDA build is needed"
assert torch.cuda.is_available(), "torch cannot see a GPU (driver too old for this CUDA build?); see nvidia-smi"
print("GPU:", torch.cuda.get_device_name(0))
EOF
  }
  step setup 300 bash -c "$(declare -f setup); VENV='$VENV'; setup" || { echo "setup failed: see $OUT/setup.log"; }
else
  VENV="$ROOT/.venv"
  step setup 30 "$VENV/bin/python" -c 'import torch, agents.alphazero.inference; print("torch", torch.__version__)'
fi
PY="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"

# nvidia-smi sampler for the whole run (GPU memory used and utilisation, once a second)
SAMPLER=""
if [ "$DEVICE" = cuda ] && command -v nvidia-smi > /dev/null; then
  nvidia-smi --query-gpu=timestamp,memory.used,memory.total,utilization.gpu --format=csv,noheader,nounits \
    -l 1 > "$OUT/nvidia-smi-samples.csv" 2>&1 &
  SAMPLER=$!
fi
cleanup() { [ -n "$SAMPLER" ] && kill "$SAMPLER" 2> /dev/null; }
trap cleanup EXIT

# ---------------------------------------------------------------- 2. versions
# shellcheck disable=SC2317  # invoked through step
versions() {
  if command -v nvidia-smi > /dev/null; then nvidia-smi; else echo "nvidia-smi: not present"; fi
  "$PY" - <<'EOF'
import platform, torch
print("python", platform.python_version(), "| torch", torch.__version__, "| CUDA", torch.version.cuda,
      "| cuDNN", torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None)
print("CUDA available:", torch.cuda.is_available())
for i in range(torch.cuda.device_count()):
    p = torch.cuda.get_device_properties(i)
    print(f"cuda:{i} {p.name}, {p.total_memory / 2**30:.1f} GiB, compute capability {p.major}.{p.minor}")
EOF
}
step versions 60 bash -c "$(declare -f versions); PY='$PY'; versions"

# ---------------------------------------------------------------- 3. tests
if [ "$DEVICE" = cuda ]; then
  TESTS=(tests/test_az_net.py tests/test_az_inference.py tests/test_az_search.py tests/test_az_agent.py
         tests/test_az_checkpoint.py tests/test_az_train.py tests/test_az_import.py)
  step tests 150 env BTTT_TEST_DEVICE=cuda "$PY" -m pytest -q -n 4 -m "not slow" --junitxml="$OUT/tests.xml" "${TESTS[@]}"
else  # short: the network, inference and evaluator tests
  step tests 150 env BTTT_TEST_DEVICE=cpu "$PY" -m pytest -q -n 2 --junitxml="$OUT/tests.xml" \
    tests/test_az_net.py tests/test_az_inference.py -k "not paper_networks"
fi

# ---------------------------------------------------------------- 4. network throughput
if [ "$DEVICE" = cuda ]; then
  step network_cuda 90 "$PY" scripts/bench_az_network.py --device cuda --presets paper,small \
    --batches 1,16,256,1024,4096 --seconds 0.5 --rounds 3
  # the same machine's CPU, all cores (torch's default threads), for the ratios
  step network_cpu 90 "$PY" scripts/bench_az_network.py --device cpu --threads 0 --presets paper,small \
    --batches 1,16,256,1024,4096 --seconds 0.3 --rounds 3
else
  step network_cpu 90 "$PY" scripts/bench_az_network.py --device cpu --threads 1 --presets paper,small \
    --batches 1,16,256 --seconds 0.1 --rounds 2
fi

# ---------------------------------------------------------------- 5. self-play
if [ "$DEVICE" = cuda ]; then
  for n in 64 256 1024; do
    games=$(( n < 256 ? 2 * n : n ))
    step "selfplay_cuda_$n" 60 "$PY" scripts/bench_az_selfplay.py --device cuda --workers 1 \
      --games "$games" --parallel-games "$n" --simulations 48
  done
  step selfplay_cpu_64 60 "$PY" scripts/bench_az_selfplay.py --device cpu --workers 1 \
    --games 128 --parallel-games 64 --simulations 48
else
  step selfplay_cpu_64 60 "$PY" scripts/bench_az_selfplay.py --device cpu --workers 1 \
    --games 16 --parallel-games 16 --simulations 8
fi

# ---------------------------------------------------------------- 6. training on the device, resumed on the CPU
TRAIN="$OUT/train"
rm -rf "$TRAIN"  # this script's own folder: OUT is empty or was written by this script (checked above)
if [ "$DEVICE" = cuda ]; then
  NET=small; GAMES=64; SIMS=16; STEPS=20
else
  NET=tiny; GAMES=8; SIMS=4; STEPS=4
fi
TRAIN_ARGS=(--net "$NET" --bricks D4 --games-per-iteration "$GAMES" --parallel-games "$GAMES" --simulations "$SIMS"
            --train-steps "$STEPS" --min-replay 16 --batch-size 64 --eval-every 0 --no-progress --seed 0)
step train_device 90 "$VENV/bin/bttt" train --out "$TRAIN" --iterations 3 --device "$DEVICE" "${TRAIN_ARGS[@]}" \
  && step train_resume_cpu 60 "$VENV/bin/bttt" train --resume "$TRAIN/checkpoint.pt" --iterations 4 --device cpu \
    --no-progress \
  && step train_check 30 "$PY" - "$TRAIN" "$DEVICE" <<'EOF'
import sys
from agents.alphazero.checkpoint import load_checkpoint
from agents.alphazero.evaluator import Evaluator
from bttt import GameState, Rules

run, device = sys.argv[1], sys.argv[2]
ckpt = load_checkpoint(f"{run}/checkpoint.pt")
prov = ckpt.extra["provenance"]
print("progress", ckpt.progress)
print("trained on:", prov["hardware"])
print("resumed:", prov["resumed"])
assert ckpt.progress["iteration"] == 4, ckpt.progress
assert ckpt.train_config["device"] == "cpu" and prov["resumed"][0]["at_iteration"] == 3
if device == "cuda":
    import torch

    assert torch.cuda.get_device_name(0) in prov["hardware"], prov["hardware"]  # the first 3 ran on the GPU
state = GameState(Rules(bricks="D4"))
for d in ("cpu", device):
    priors, values = Evaluator(ckpt.build_net(d), d).evaluate_states([state])
    print(f"{d}: value {values[0]:+.4f}, best move {state.rules.name(int(priors[0].argmax()))}")
EOF

# ---------------------------------------------------------------- 7. gauntlet
# The paper networks' 49-cell gauntlet (docs/alphazero-paper-networks.md) with device=cuda and batched
# tournament play (issue 14: each worker plays groups of games, their network calls pooled), compared cell by
# cell with the committed CPU results. The paper models are the authors' .h5 files (importing them needs
# h5py, bttt[keras]); they are looked for in $BTTT_PAPER_MODELS, ./shared/reference and ../shared/reference.
# shellcheck disable=SC2317  # invoked through step
gauntlet() {
  set -o pipefail
  local models=""
  for d in "${BTTT_PAPER_MODELS:-}" shared/reference/bttt-paper-models ../shared/reference/bttt-paper-models; do
    if [ -n "$d" ] && [ -e "$d/alphazero_r3.h5" ]; then models="$d"; break; fi
  done
  if [ -z "$models" ]; then
    echo "NOT RUN: no paper models (alphazero_r3.h5) in \$BTTT_PAPER_MODELS, shared/reference or ../shared/reference"
    return 1
  fi
  "$PY" -c "import h5py" 2> /dev/null || "$PY" -m pip install -q h5py || { echo "NOT RUN: h5py missing"; return 1; }
  local dev_flag=() suite=D4  # on the CPU (a rehearsal of this script) one cell only
  [ "$DEVICE" = cuda ] && { dev_flag=(--device cuda); suite=all; }
  "$PY" scripts/az_paper_tournament.py --models "$models" --dir "$OUT/gauntlet" --suite "$suite" --workers 2 \
    "${dev_flag[@]}" | tail -30 \
    && "$PY" scripts/compare_paper_cells.py "$OUT/gauntlet/report-$suite/cells.csv"
}
GAUNTLET_READY=1  # batched tournament play landed (issue 14)
if [ "$GAUNTLET_READY" = 1 ]; then
  step gauntlet 240 bash -c "$(declare -f gauntlet); PY='$PY'; OUT='$OUT'; DEVICE='$DEVICE'; gauntlet"
else
  echo "| gauntlet | not run: hook waiting for batched tournament play (issue 14) | 0 | |" >> "$SUMMARY"
fi

# ---------------------------------------------------------------- 8. memory and the summary
cleanup
SAMPLER=""
{
  echo
  echo "## Peak GPU memory"
  grep -h "peak GPU memory" "$OUT"/*.log 2> /dev/null | sort | uniq -c || true
  if [ -s "$OUT/nvidia-smi-samples.csv" ]; then
    awk -F', ' '$2 ~ /^[0-9]+$/ { if ($2 > m) m = $2; if ($4 > u) u = $4; t = $3 }
      END { printf "nvidia-smi, sampled every second: peak %d MiB used of %d MiB, peak utilisation %d%%\n", m, t, u }' \
      "$OUT/nvidia-smi-samples.csv"
  else
    echo "(no nvidia-smi samples: --device $DEVICE)"
  fi
  echo
  echo "## Network throughput"
  for f in "$OUT"/network_*.log; do [ -e "$f" ] && { echo; echo "\`$(basename "$f")\`"; echo; grep '^|' "$f"; }; done
  echo
  echo "## Self-play"
  for f in "$OUT"/selfplay_*.log; do [ -e "$f" ] && { echo; echo "\`$(basename "$f")\`"; echo '```'; cat "$f"; echo '```'; }; done
  echo
  echo "finished after $(elapsed) s (budget ${BUDGET} s); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} >> "$SUMMARY"
echo "== done in $(elapsed) s: $SUMMARY"
grep '^| [a-z]' "$SUMMARY"
exit $FAILED
