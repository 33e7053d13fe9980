#!/usr/bin/env bash
# Set up hetero_brian on a GPU machine that has Python 3.12 but no package index, then run the
# CUDA tests and (optionally) the CUDA rows of benchmarks/simulation.py.
#
#   bash benchmarks/gpu_session.sh [--tests] [--bench SIZES] [--out DIR]
#
# Wheels of brian2 2.10.1, brian2cuda 1.0b1 and pydantic (with their own needs) are expected in
# .whl/ (see docs/performance.md, "GPU"); the machine's numpy, scipy, h5py, scikit-learn, ... are used.
# CUDA 13 toolkits without curand headers get them from the pip package nvidia-curand when present.
set -u
out=${OUT:-/tmp/hb-gpu}; tests=0; sizes=""
while [ $# -gt 0 ]; do
  case $1 in --tests) tests=1;; --bench) sizes=$2; shift;; --out) out=$2; shift;; esac; shift
done
mkdir -p "$out"
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site:$PWD
else
  export PYTHONPATH=$PWD
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"
nvcc --version | tail -2 | tee -a "$out/gpu.txt"
nproc | sed 's/^/cores: /' | tee -a "$out/gpu.txt"
cuda_home=$(dirname "$(dirname "$(command -v nvcc)")")
if [ ! -f "$cuda_home/include/curand.h" ]; then
  header=$(python3 - <<'PY'
import glob, os, sys
for root in sys.path + ["/usr", "/opt"]:
    hits = glob.glob(os.path.join(root, "nvidia", "**", "curand.h"), recursive=True)
    if hits:
        print(hits[0]); break
PY
)
  header=${header:-$(find / -name curand.h -not -path "*/proc/*" 2>/dev/null | head -1)}
  [ -n "$header" ] || { echo "no curand.h found: brian2cuda cannot compile here"; exit 1; }
  include=$(dirname "$header"); lib=$(dirname "$include")/lib
  [ -f "$lib/libcurand.so" ] || ln -sf "$(ls "$lib"/libcurand.so.* | head -1)" "$lib/libcurand.so"
  export CPATH=$include${CPATH:+:$CPATH} LIBRARY_PATH=$lib${LIBRARY_PATH:+:$LIBRARY_PATH} \
         LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  echo "curand from $include" | tee -a "$out/gpu.txt"
fi
python3 -c "import brian2, brian2cuda, numpy; print('brian2', brian2.__version__, 'brian2cuda', brian2cuda.__version__, 'numpy', numpy.__version__)" | tee -a "$out/gpu.txt"
export PYTHONUNBUFFERED=1 HETERO_BRIAN_BUILD_ROOT=/tmp/hb-builds
status=0
if [ $tests = 1 ]; then  # concurrently with the benchmark (compilations on separate cores)
  python3 -m pytest -q -p no:cacheprovider tests/test_cuda.py -rs > "$out/tests.txt" 2>&1 &
  tests_pid=$!
fi
if [ -n "$sizes" ]; then
  python3 benchmarks/simulation.py --sizes "$sizes" --variants "${VARIANTS-plain_cpp,hb_cpp}" \
    --backends cuda_standalone --sweep "" --repeats "${REPEATS:-2}" --jobs "${JOBS:-1}" \
    --log-file "$out/bench.jsonl" --output "$out/bench.md" 2>&1 | tee "$out/bench.txt"
fi
if [ $tests = 1 ]; then wait $tests_pid; status=$?; cat "$out/tests.txt"; fi
exit $status
