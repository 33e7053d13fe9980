"""Tables of ``simulation.py``: summaries of measured points, the ratio table and issue 20's targets.

"ns / syn event" divides the CPU time by the synaptic events: presynaptic spikes times their outgoing
synapses (all projections, input included) plus postsynaptic spikes times their incoming plastic
synapses.
"""
import platform
import sys
import time

import numpy as np

from plain_brian2_reservoir import MODEL, make_connectivity, population_sizes

def synaptic_events(n_neurons, counts, duration, seed):
    """Presynaptic spikes x outgoing synapses (all projections) + post spikes x incoming ``ee`` synapses."""
    connectivity = make_connectivity(n_neurons, seed)
    n_exc, n_inh = population_sizes(n_neurons)
    sizes = {"exc": n_exc, "inh": n_inh, "input": MODEL["n_input"]}
    sources = {"ee": "exc", "ei": "exc", "ie": "inh", "ii": "inh", "input_exc": "input", "input_inh": "input"}
    events = 0.0
    for name, (i, j) in connectivity.items():
        source = sources[name]
        out_degree = np.bincount(i, minlength=sizes[source])
        if source == "input" and "input_total" in counts:  # numpy variant counts input spikes in total
            events += counts["input_total"] * out_degree.mean()
        else:
            events += float(np.dot(np.asarray(counts[source]), out_degree))
        if name == "ee":
            events += float(np.dot(np.asarray(counts["exc"]), np.bincount(j, minlength=n_exc)))
    return events


def summarise(n_neurons, outcome, duration, seed):
    """Minimum CPU and wall over repeats, rates and ns per event."""
    if "error" in outcome:
        return {"error": outcome["error"]}
    runs = outcome["runs"]
    counts = outcome["spike_counts"]
    cpu = min(run["cpu"] for run in runs)
    inner = [run["inner"] for run in runs if run.get("inner")]
    return {
        "cpu_per_s": cpu / duration, "wall_per_s": min(run["wall"] for run in runs) / duration,
        "inner_per_s": min(inner) / duration if inner else None,
        "ns_per_event": 1e9 * cpu / synaptic_events(n_neurons, counts, duration, seed),
        "rate_exc": float(np.mean(counts["exc"])) / duration, "rate_inh": float(np.mean(counts["inh"])) / duration,
        "compile_wall": outcome.get("compile_wall"), "compile_cpu": outcome.get("compile_cpu"),
        "state_dtype": outcome.get("state_dtype"),
        "peak_python": outcome.get("peak_rss_python_mib"), "peak_binary": outcome.get("peak_rss_binary_mib"),
    }


def _fmt(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}"


def print_table(rows, sweeps, arguments, loads, stream=sys.stdout):
    import brian2

    print(f"\n# benchmarks/simulation.py  {time.strftime('%Y-%m-%d %H:%M')}  {platform.node()}  "
          f"python {platform.python_version()}  brian2 {brian2.__version__}  numpy {np.__version__}  "
          f"load average at start/end {loads[0]} / {loads[-1]}", file=stream)
    print(f"# duration {arguments.duration} s, repeats {arguments.repeats} x rounds {getattr(arguments, 'rounds', 1)} "
          f"(minimum kept), dt 0.1 ms, jobs {arguments.jobs}", file=stream)
    print("\n| N | variant | CPU s / sim s | wall s / sim s | in-binary s / sim s | ns / syn event | "
          "rate exc / inh (Hz) | compile wall (s) | vs plain_cpp (CPU) | peak MiB python / binary |", file=stream)
    print("|---|---|---|---|---|---|---|---|---|---|", file=stream)
    for n_neurons, variants in rows.items():
        reference = variants.get("plain_cpp", {}).get("cpu_per_s")
        for variant, row in variants.items():
            if "error" in row:
                print(f"| {n_neurons} | {variant} | failed: {row['error'][:120]} | | | | | | |", file=stream)
                continue
            ratio = f"{row['cpu_per_s'] / reference:.2f}x" if reference else "-"
            dtype = f" ({row['state_dtype']})" if row.get("state_dtype") else ""
            print(f"| {n_neurons} | {variant}{dtype} | {_fmt(row['cpu_per_s'])} | {_fmt(row['wall_per_s'])} | "
                  f"{_fmt(row['inner_per_s'])} | {_fmt(row['ns_per_event'], 0)} | {row['rate_exc']:.1f} / "
                  f"{row['rate_inh']:.1f} | {_fmt(row['compile_wall'], 1)} | {ratio} | "
                  f"{_fmt(row.get('peak_python'), 0)} / {_fmt(row.get('peak_binary'), 0)} |", file=stream)
    if sweeps:
        print("\n| sweep | points | run (s sim) | compile once: wall / CPU (s) | rebuild each: wall / CPU (s) | "
              "speed-up wall / CPU | target (CPU) | build cached: wall / CPU (s) | speed-up wall / CPU |", file=stream)
        print("|---|---|---|---|---|---|---|---|---|", file=stream)
        for (n_neurons, duration), (once, rebuild) in sweeps.items():
            target = 3 if n_neurons >= 4000 else 20
            if "error" in once or "error" in rebuild:
                print(f"| N={n_neurons} | - | {duration} | {once.get('error', '')[:80]} | {rebuild.get('error', '')[:80]} | | |",
                      file=stream)
                continue
            scale = once["points"] / rebuild["points"]
            note = f" (extrapolated from {rebuild['points']})" if scale != 1 else ""
            wall, cpu = rebuild["wall"] * scale, rebuild["cpu"] * scale
            print(f"| N={n_neurons} | {once['points']} ({once['n_compilations']} compilation) | {duration} | "
                  f"{once['wall']:.1f} / {once['cpu']:.1f} | {wall:.1f} / {cpu:.1f}{note} | "
                  f"{wall / once['wall']:.1f}x / {cpu / once['cpu']:.1f}x | >= {target}x: "
                  f"{'met' if cpu / once['cpu'] >= target else 'missed'} | " + (
                      f"{once['cached_wall']:.1f} / {once['cached_cpu']:.1f} ({once['cached_n_compilations']} compilations) | "
                      f"{wall / once['cached_wall']:.1f}x / {cpu / once['cached_cpu']:.1f}x: "
                      f"{'met' if cpu / once['cached_cpu'] >= target else 'missed'} |" if "cached_cpu" in once else "- | - |"),
                  file=stream)
    print_targets(rows, stream)


def print_targets(rows, stream):
    """Issue 20's targets: ratios to plain Brian2 C++ (CPU time), memory, scaling of the cost per event."""
    print("\nTargets (CPU time; speed-up = plain_cpp / variant):", file=stream)
    checks = (("hb_neuron_f32_cpp", 3.0, "neuron traces, float32"), ("hb_cpp", 1.25, "per-synapse STDP, float64"),
              ("hb_f32_cpp", None, "per-synapse STDP, per-synapse float32"),
              ("hb_perstep_cpp", None, "per-synapse STDP, exp per step (before)"),
              ("hb_neuron_f32_perstep_cpp", None, "neuron traces float32, exp per step (before)"))
    for n_neurons, variants in rows.items():
        plain = variants.get("plain_cpp", {})
        for name, target, text in checks:
            row = variants.get(name, {})
            if "cpu_per_s" not in plain or "cpu_per_s" not in row:
                continue
            speedup = plain["cpu_per_s"] / row["cpu_per_s"]
            verdict = "" if target is None else (
                f" (target >= {target}x at 16k: {'met' if speedup >= target else 'missed'})" if n_neurons >= 16000
                else f" (target >= {target}x is at 16k)")
            print(f"- N={n_neurons}: {text}: {speedup:.2f}x{verdict}", file=stream)
        for name in ("hb_cpp", "hb_f32_cpp", "hb_neuron_f32_cpp"):
            row = variants.get(name, {})
            if plain.get("peak_binary") and row.get("peak_binary"):
                total, reference = row["peak_python"] + row["peak_binary"], plain["peak_python"] + plain["peak_binary"]
                print(f"- N={n_neurons}: peak memory {name} / plain_cpp: python {row['peak_python'] / plain['peak_python']:.2f}, "
                      f"binary {row['peak_binary'] / plain['peak_binary']:.2f}, python + binary {total:.0f} / "
                      f"{reference:.0f} MiB = {total / reference:.2f} (target <= 1.1 at 16k)", file=stream)
        cuda = variants.get("hb_cuda", {})
        if cuda.get("inner_per_s"):  # the GPU's time is wall time: compare the binaries' own network-run times
            for name in ("plain_cpp", "hb_cpp"):
                reference = variants.get(name, {}).get("inner_per_s")
                if reference:
                    print(f"- N={n_neurons}: {name} (1 thread) / hb_cuda, network-run wall time in the binary = "
                          f"{reference / cuda['inner_per_s']:.1f}x ({reference:.2f} s / {cuda['inner_per_s']:.3f} s "
                          "per simulated second)", file=stream)
    for name in ("plain_cpp", "hb_cpp", "hb_neuron_f32_cpp"):
        costs = {n: variants[name]["ns_per_event"] for n, variants in rows.items() if "ns_per_event" in variants.get(name, {})}
        if len(costs) > 1:
            spread = max(costs.values()) / min(costs.values())
            print(f"- {name}: ns per synaptic event " + ", ".join(f"{n}: {cost:.0f}" for n, cost in costs.items())
                  + f"; max/min = {spread:.2f} (target: flat within 20 %)", file=stream)
