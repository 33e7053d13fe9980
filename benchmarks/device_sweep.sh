#!/usr/bin/env bash
# Run a `hetero-brian sweep` in the background on a many-core lent machine whose calls are limited
# to 10 minutes each, and bring its results back after every call.
#
#   bash benchmarks/device_sweep.sh start SWEEP.yaml WORKERS   # set up, start, return at once
#   bash benchmarks/device_sweep.sh wait SECONDS              # wait (until done or SECONDS), copy results
#
# Needs the wheels of benchmarks/gpu_session.sh in .whl/ (brian2, pydantic, ...) and the MNIST and
# FSDD files in .data/ (copies of ../shared/data/{mnist,fsdd}; carried, since ../shared is not there).
# Results: $OUT/results.tgz holding sweep/<task>/{metrics.json,config.yaml,...}, sweep/summary.csv
# (once finished) and sweep.log.
set -u
state=/tmp/hb-device-sweep
out=${OUT:-/tmp/hb-device-out}
mkdir -p "$state" "$out"
case ${1:-} in
  start)
    sweep_file=$2; workers=$3
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
    mkdir -p ../shared/data
    for name in mnist fsdd; do [ -e "../shared/data/$name" ] || ln -s "$PWD/.data/$name" "../shared/data/$name"; done
    nproc | sed 's/^/cores: /'; python3 --version
    PYTHONPATH=/tmp/site:$PWD python3 -c "import brian2, numpy, scipy, sklearn, h5py, tqdm, yaml, pydantic; print('brian2', brian2.__version__, 'numpy', numpy.__version__)" || exit 1
    # the pid written is python's own ($$ of the shell that execs it), not that of a wrapper that exits
    PYTHONPATH=/tmp/site:$PWD OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 PYTHONUNBUFFERED=1 \
      HETERO_BRIAN_BUILD_ROOT=/tmp/hb-builds setsid nohup bash -c 'echo $$ > "$0"; exec python3 -m hetero_brian.cli sweep "$@"' \
      "$state/pid" "$sweep_file" --out "$state/sweep" --workers "$workers" --quiet > "$state/sweep.log" 2>&1 &
    sleep 20; tail -5 "$state/sweep.log"; echo "started pid $(cat "$state/pid")";;
  wait)
    deadline=$(( $(date +%s) + ${2:-560} ))
    while kill -0 "$(cat "$state/pid")" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 10; done
    kill -0 "$(cat "$state/pid")" 2>/dev/null && echo "still running" || echo "sweep finished"
    grep -h "votes\|training images" "$state/sweep.log" | tail -30
    # one archive: the lent machine brings back only a few files per call
    (cd "$state" && find sweep -maxdepth 2 -type f \( -name "*.json" -o -name "*.yaml" -o -name "*.csv" -o -name "*.txt" \) \
       -print0 | tar -czf "$out/results.tgz" --null -T - sweep.log)
    uptime;;
  *) echo "usage: $0 start SWEEP.yaml WORKERS | wait SECONDS"; exit 2;;
esac
