"""Output of the ``hetero-brian`` sub-commands ``run``, ``runs``, ``show`` and ``cache``.

Kept apart from :mod:`hetero_brian.cli` (argument parsing) so the texts are testable as functions.
"""
import typing

from hetero_brian.experiment.build_cache import (
    build_root,
    cache_builds,
    cache_cap_bytes,
    clean_build_cache,
    describe_age,
)
from hetero_brian.experiment.run_folders import list_runs
from hetero_brian.experiment.runner import load_scenario

__all__ = ["metric_unit", "print_run_outcome", "print_runs", "describe_scenario", "cache_command"]

#: metric-name endings -> unit printed after the value
_UNIT_SUFFIXES = (("_hz", "Hz"), ("_mv", "mV"), ("_ms", "ms"), ("_joule", "J"), ("_s", "s"),
                  ("wall_time", "s"), ("compile_time", "s"), ("wall_time_total", "s"), ("_per_second", "1/s"))


def metric_unit(name):
    """The unit of a metric, read from its name (``rate_exc_hz`` -> ``Hz``); "" for plain numbers."""
    for suffix, unit in _UNIT_SUFFIXES:
        if name.endswith(suffix):
            return unit
    return ""


def print_run_outcome(outcome):
    """Print where the results are and the metrics with their units."""
    if outcome.already_complete:
        print(f"{outcome.output} already holds a complete run: nothing to do (recorded metrics below)")
    else:
        print(f"results in {outcome.output}")
    for key, value in sorted(outcome.metrics.items()):
        unit = metric_unit(key)
        shown = f"{value:.6g}" if isinstance(value, float) else f"{value}"
        print(f"  {key}: {shown}{' ' + unit if unit and isinstance(value, (int, float)) else ''}")


def print_runs(directory):
    """Print one line per run folder under ``directory``; returns 0."""
    listings = list_runs(directory)
    if not listings:
        print(f"no runs under {directory}")
    for listing in listings:
        note = f"  ({listing.message.splitlines()[0]})" if listing.message and listing.status != "complete" else ""
        print(f"{str(listing.path):40s} {listing.status:12s} {listing.scenario or '?':24s} seed {listing.seed} "
              f"started {listing.start_time}{note}")
    return 0


def _type_name(annotation):
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *metadata = typing.get_args(annotation)
        return getattr(base, "__name__", str(base))
    return getattr(annotation, "__name__", str(annotation).replace("typing.", ""))


def _field_unit(field):
    """The unit of a QuantityField/DistributionField, from its JSON schema's description, else ""."""
    for metadata in field.metadata:
        schema = getattr(metadata, "json_schema", None)
        description = schema.get("description", "") if isinstance(schema, dict) else ""
        if "dimension " in description:
            return description.split("dimension ", 1)[1].split(":")[0].split()[0].rstrip(",")
    return ""


def _rows(model, defaults, prefix=""):
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        value = defaults.get(name)
        nested = getattr(field.annotation, "model_fields", None)
        if nested is not None and isinstance(value, dict):
            yield from _rows(field.annotation, value, f"{key}.")
            continue
        description = _description(model, name)
        help_text = description.strip().splitlines()[0] if description else ""
        yield key, value, _field_unit(field), help_text


def _description(model, name):
    """A field's description, else that of the nearest base model declaring it (a scenario that
    changes an inherited default keeps the inherited help text)."""
    for base in model.__mro__:
        field = (getattr(base, "model_fields", None) or {}).get(name)
        if field is not None and field.description:
            return field.description
    return ""


def describe_scenario(name):
    """Text of ``hetero-brian show NAME``: the scenario's summary and one line per configuration key
    (key, default, unit, help); nested sections appear as dotted keys."""
    module = load_scenario(name)
    summary = (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""
    defaults = module.Config().model_dump(mode="json")
    rows = list(_rows(module.Config, defaults))
    width = max([28] + [len(key) + 1 for key, *_ in rows])  # a long key keeps the columns aligned
    lines = [f"{name}: {summary}", "", f"{'key':{width}s} {'default':36s} {'dimension':10s} help"]
    for key, value, unit, help_text in rows:
        if isinstance(value, dict) and "distribution" in value:
            shown = f"{value['distribution']}(" + ", ".join(f"{k}={v}" for k, v in value.items() if k != "distribution") + ")"
        else:
            shown = value if isinstance(value, str) else repr(value)
        if len(shown) > 36:
            shown = shown[:33] + "..."
        lines.append(f"{key:{width}s} {shown:36s} {unit:10s} {help_text}")
    lines += ["", f"set keys with --set KEY=VALUE (quantities as text, e.g. --set duration='2 s'), or "
              f"--config FILE.yaml; hetero-brian run {name} --help lists the options"]
    return "\n".join(lines)


def _gigabytes(size):
    return f"{size / 1e9:.2f} GB"


def cache_command(clean=False):
    """``hetero-brian cache [--clean]``: print where the build cache is, its size and cap; returns 0."""
    root = build_root()
    if clean:
        deleted, kept = clean_build_cache(root)
        print(f"deleted {deleted} builds from {root}" + (f"; kept {kept} in use" if kept else ""))
        return 0
    builds = cache_builds(root)
    total = sum(size for _, size, _ in builds)
    print(f"build cache: {root}")
    print(f"  {len(builds)} builds, {_gigabytes(total)} (cap {_gigabytes(cache_cap_bytes())}, "
          "set HETERO_BRIAN_CACHE_MAX_GB; the least recently used builds beyond it are deleted before each run)")
    if builds:
        print(f"  last used {describe_age(builds[-1][2])}; hetero-brian cache --clean deletes them all")
    return 0
