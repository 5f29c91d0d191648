"""Run every benchmark of the course in one process and write the results.

    make bench                        # = .venv/bin/python benchmarks/run.py
    BENCH_QUICK=1 .venv/bin/python benchmarks/run.py   # a short check that it all works

Writes ``benchmarks/results.json`` and ``benchmarks/results.md`` (the table the README
links). Everything is seeded; timings still depend on the machine and on what else runs
on it, so run it on a quiet machine. Keys of ``results.json``:

- ``conv_kernels``: seconds per call of each convolution kernel (a batch of 128 28x28x1
  images into 32 3x3 filters; the naive kernel runs on 2 images, scaled to 128);
- ``train_step``: seconds per training step (keras-io model, batch 32, the batch lecture 08
  times) for ``eager``, ``tf_function`` and ``xla``;
- ``mnist_time_to_97``: seconds of training until 97 % held-out accuracy on the MNIST in
  use, for the ``fast``, ``course``, ``keras_io`` and ``slides`` recipes, median of 3
  seeds (null: not within budget);
- ``mnist_best_accuracy_60s``: best held-out accuracy within 60 s of training (median);
- ``mnist_speedup_fast_vs_keras_io``: keras-io's time to 97 % over the fast recipe's;
- ``machine``: CPU model, cores, TensorFlow version (and more);
- ``convolution_explorer``, ``dashboards`` and ``cold_start``: when those scripts exist
  here, their ``run()`` result;
- ``widget_latency_p95_ms``: ``benchmarks/widget_latency.py``: per widget and control, the
  p95 milliseconds from a value change to the updated picture (target 100 ms);
- ``details``: settings, budgets and accuracy curves behind the numbers above.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from anywhere without installing
sys.path.insert(0, str(HERE))  # the sibling scripts

import course_lib as cl  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK", "").strip() not in {"", "0"}
RECIPE_NAMES = ("fast", "course", "keras_io", "slides")
SEEDS = (
    (0,) if QUICK else (0, 1, 2)
)  # each recipe races once per seed; medians reported
# Seconds of training per recipe: the best accuracy is read at BUDGET; a recipe that has
# not reached 97 % by then keeps going until TARGET_BUDGET (about 4.5 min worst case).
BUDGET = 10.0 if QUICK else 60.0
TARGET_BUDGET = 15.0 if QUICK else 90.0
EVAL_EVERY = cl.recipes.EVAL_EVERY  # seconds of training between two measurements


def median_or_none(values: list) -> float | None:
    """The median of ``values``, where None (target not reached) counts as slowest; None
    when the median itself is None."""
    ordered = sorted(values, key=lambda v: (v is None, v or 0.0))
    middle = ordered[len(ordered) // 2]
    return None if middle is None else float(middle)


def machine() -> dict:
    """CPU model, cores, memory, accelerator and library versions."""
    import keras
    import tensorflow as tf

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    gpus = tf.config.list_physical_devices("GPU")
    gpu_names = []
    for gpu in gpus:
        details = tf.config.experimental.get_device_details(gpu)
        gpu_names.append(details.get("device_name", gpu.name))
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
        "gpu": gpu_names or None,
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "quick_mode": QUICK,
    }


def sibling(name: str) -> dict | None:
    """The result of ``benchmarks/<name>.py``'s ``run()``, if that file exists."""
    path = HERE / f"{name}.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.run()


def main() -> dict:
    started = time.perf_counter()
    results: dict = {"machine": machine()}
    details: dict = {"quick": QUICK}
    print(f"benchmarks ({'quick' if QUICK else 'full'} mode) on {results['machine']}")

    cl.set_seed(0)
    print("conv_kernels ...", flush=True)
    results["conv_kernels"] = cl.kernels.benchmark_kernels(
        batch=128, filters=32, kernel_size=3, naive_batch=2, repeat=3 if QUICK else 7
    )
    details["conv_kernels"] = "128 x 28x28x1 into 32 3x3 filters, VALID; naive on 2"
    print(json.dumps(results["conv_kernels"], indent=1))

    cl.set_seed(0)
    print("train_step ...", flush=True)
    results["train_step"] = cl.train.benchmark_train_step(
        cl.recipes.build_keras_io_model, batch_size=32, repeat=3 if QUICK else 7
    )
    details["train_step"] = "keras-io model, batch 32, SGD, cl.train.TrainStep"
    print(json.dumps(results["train_step"], indent=1))

    train, test = cl.data.load_mnist()
    details["mnist"] = {
        "source": cl.data.source("mnist"),
        "train": len(train[0]),
        "test": len(test[0]),
        "budget_seconds": BUDGET,
        "target_budget_seconds": TARGET_BUDGET,
        "eval_every_seconds": EVAL_EVERY,
        "eval_every_after_target_seconds": cl.recipes.EVAL_EVERY_AFTER_TARGET,
        "recipes": {},
    }
    results["mnist_time_to_97"] = {}
    results["mnist_best_accuracy_60s"] = {}
    for name in RECIPE_NAMES:
        runs = race_over_seeds(name, train, test, f"mnist race: {name}")
        results["mnist_time_to_97"][name] = median_or_none(
            [run["time_to_97"] for run in runs]
        )
        results["mnist_best_accuracy_60s"][name] = median_or_none(
            [run["best_accuracy"] for run in runs]
        )
        details["mnist"]["recipes"][name] = {
            "description": cl.recipes.get(name).description,
            "seeds": list(SEEDS),
            "runs": runs,
        }
    fast, keras_io = (results["mnist_time_to_97"].get(k) for k in ("fast", "keras_io"))
    results["mnist_speedup_fast_vs_keras_io"] = (
        round(keras_io / fast, 2) if fast and keras_io else None
    )

    print("race anatomy ...", flush=True)
    results["race_anatomy"] = race_anatomy(train, test)
    print(json.dumps(results["race_anatomy"], indent=1))

    for name in ("convolution_explorer", "dashboards", "cold_start"):
        result = sibling(name)
        if result is not None:
            results[name] = result
    print("widget latency ...", flush=True)
    results["widget_latency_p95_ms"] = sibling("widget_latency")
    details["total_seconds"] = round(time.perf_counter() - started, 1)
    results["details"] = details
    (HERE / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    (HERE / "results.md").write_text(markdown(results))
    write_readme(results)
    print(
        f"wrote {HERE / 'results.json'} and results.md in {details['total_seconds']} s"
    )
    return results


def _seconds(value) -> str:
    if value is None:
        return "never (within budget)"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.1f} µs"


README = HERE / "README.md"
README_START = "<!-- benchmarks:start (written by make bench; do not edit) -->"
README_END = "<!-- benchmarks:end -->"


def readme_block(results: dict) -> str:
    """The tables of ``results.md`` as they appear in the README (one heading level down)."""
    body = markdown(results).split("\n", 2)[2]  # without the title line
    return re.sub(r"^## ", "### ", body, flags=re.MULTILINE).strip()


def write_readme(results: dict) -> None:
    """Replace the README's benchmark tables with those of ``results``."""
    text = README.read_text()
    start, end = text.index(README_START), text.index(README_END)
    block = f"{README_START}\n{readme_block(results)}\n{README_END}"
    README.write_text(text[:start] + block + text[end + len(README_END) :])


def race_over_seeds(recipe, train, test, label: str) -> list[dict]:
    """Race ``recipe`` (a name or a Recipe) once per seed of ``SEEDS``; one dict per run."""
    runs = []
    for seed in SEEDS:
        print(f"{label}, seed {seed} ...", flush=True)
        race = cl.recipes.race(
            recipe,
            train,
            test,
            budget=BUDGET,
            target=0.97,
            target_budget=TARGET_BUDGET,
            eval_every=EVAL_EVERY,
            seed=seed,
        )
        runs.append(
            {
                "seed": seed,
                "time_to_97": race["time_to_target"],
                "best_accuracy": race["best_accuracy"],
                "epochs_run": race["epochs"],
                "seconds_trained": round(race["seconds"], 2),
                "final_accuracy": race["final_accuracy"],
                "curve": [(round(s, 2), a) for s, a in race["curve"]],
            }
        )
        print(
            f"  time to 97 %: {race['time_to_target']}, "
            f"best within {BUDGET:.0f} s: {race['best_accuracy']}"
        )
        del race
        cl.zoo.release()  # free the model before the next run
    return runs


def _fit_step_seconds(build, x, y, batch_size: int, steps: int) -> float:
    """Seconds per step of ``model.fit`` on ``steps`` batches (after a warm-up epoch)."""
    import keras

    keras.utils.set_random_seed(0)
    model = build()
    model.compile(
        optimizer=keras.optimizers.Adam(),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    data = (x[: batch_size * steps], y[: batch_size * steps])
    model.fit(*data, batch_size=batch_size, epochs=1, verbose=0)  # traces
    began = time.perf_counter()
    model.fit(*data, batch_size=batch_size, epochs=2, verbose=0)
    return (time.perf_counter() - began) / (2 * steps)


def race_anatomy(train, test) -> dict:
    """Why the fast recipe is faster: seconds per step of each model in ``model.fit``
    and in the plain ``tf.function`` step (batch 64), and the fast recipe raced without
    one of its parts (medians over ``SEEDS``): through ``model.fit``, without batch
    normalization, with a constant learning rate instead of the one-cycle schedule,
    and judged by its last step's weights instead of their moving average."""
    import dataclasses

    x, y = cl.images.prepare_images(train[0]), train[1].astype("int64")
    steps = 10 if QUICK else 50
    per_step = {}
    for name, build in (
        ("keras_io", cl.recipes.build_keras_io_model),
        ("fast", cl.recipes.build_fast_model),
    ):
        plain = cl.train.benchmark_train_step(
            build, batch_size=64, modes=("tf_function",), repeat=3 if QUICK else 7
        )["tf_function"]
        per_step[name] = {
            "parameters": build().count_params(),
            "fit_seconds": _fit_step_seconds(build, x, y, 64, steps),
            "plain_step_seconds": plain,
        }
        cl.zoo.release()
    fast = cl.recipes.get("fast")
    variants = {
        "fast through model.fit": dataclasses.replace(fast, trainer="fit"),
        "fast without batch norm": dataclasses.replace(
            fast, build_model=lambda: cl.recipes.build_fast_model(batch_norm=False)
        ),
        "fast with constant lr 1e-3": dataclasses.replace(
            fast,
            make_optimizer=lambda s, e: cl.recipes.fast_optimizer(s, e, schedule=False),
        ),
        "fast without weight averaging": dataclasses.replace(
            fast,
            make_optimizer=lambda s, e: cl.recipes.fast_optimizer(s, e, average=False),
        ),
    }
    ablations = {}
    for label, recipe in variants.items():
        runs = race_over_seeds(recipe, train, test, f"  {label}")
        ablations[label] = {
            "time_to_97": median_or_none([run["time_to_97"] for run in runs]),
            "best_accuracy": median_or_none([run["best_accuracy"] for run in runs]),
            "runs_time_to_97": [run["time_to_97"] for run in runs],
        }
    return {
        "batch_size": 64,
        "per_step": per_step,
        "seeds": list(SEEDS),
        "ablations": ablations,
    }


def _per_seed_lines(mnist: dict) -> list[str]:
    """Each seed's time to 97 % of the fast and keras-io recipes: how far apart the
    seeds are is what a median of three can and cannot settle."""
    lines = []
    for name in ("fast", "keras_io"):
        runs = mnist["recipes"].get(name, {}).get("runs", [])
        if len(runs) > 1:
            times = ", ".join(_seconds(run["time_to_97"]) for run in runs)
            lines.append(f"{name}, seed by seed: {times}.")
    return ["", " ".join(lines)] if lines else []


def markdown(results: dict) -> str:
    """The results as markdown tables, with the machine they came from."""
    m = results["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {m['cpu']}, {m['usable_cores']} usable cores, GPU: {m['gpu']}; "
        f"TensorFlow {m['tensorflow']}, Keras {m['keras']}, Python {m['python']}; "
        f"{m['date']}; load average at start {m['load_average_at_start']}"
        + (" — **quick mode, not the real numbers**" if m["quick_mode"] else "")
        + ".",
        "",
        "Written by `make bench` (`benchmarks/run.py`); see `results.json` for details.",
        "",
        "## Convolution kernels (128 images 28×28×1 into 32 3×3 filters)",
        "",
        "| kernel | time per call | × faster than naive |",
        "|---|---|---|",
    ]
    kernels = results["conv_kernels"]
    for name, seconds in kernels.items():
        lines.append(
            f"| {name} | {_seconds(seconds)} | {kernels['naive'] / seconds:,.0f} |"
        )
    lines += [
        "",
        "## Training step (keras-io model, batch 32)",
        "",
        "| mode | time per step | × faster than eager |",
        "|---|---|---|",
    ]
    steps = results["train_step"]
    for name, seconds in steps.items():
        lines.append(
            f"| {name} | {_seconds(seconds)} | {steps['eager'] / seconds:.1f} |"
        )
    mnist = results["details"]["mnist"]
    lines += [
        "",
        f"## MNIST recipes ({mnist['source']} data: {mnist['train']:,} train / "
        f"{mnist['test']:,} held out)",
        "",
        "| recipe | time to 97 % | best accuracy within "
        f"{mnist['budget_seconds']:.0f} s | what it is |",
        "|---|---|---|---|",
    ]
    seeds = next(iter(mnist["recipes"].values()), {}).get("seeds")
    if seeds:  # results.json written before the races had seeds has none
        lines.insert(
            -2, f"Median of {len(seeds)} seeds ({', '.join(map(str, seeds))})."
        )
        lines.insert(-2, "")
    for name in results["mnist_time_to_97"]:
        best = results["mnist_best_accuracy_60s"][name]
        lines.append(
            f"| {name} | {_seconds(results['mnist_time_to_97'][name])} | "
            f"{'—' if best is None else f'{best:.1%}'} | "
            f"{mnist['recipes'][name]['description']} |"
        )
    if results.get("mnist_speedup_fast_vs_keras_io"):
        lines += [
            "",
            "The fast recipe reaches 97 % "
            f"{results['mnist_speedup_fast_vs_keras_io']:.1f}× sooner than keras-io's.",
        ]
        lines += _per_seed_lines(mnist)
    anatomy = results.get("race_anatomy")
    if anatomy:
        lines += [
            "",
            "## Why the fast recipe is faster",
            "",
            f"Seconds per training step, batch {anatomy['batch_size']}:",
            "",
            "| model | parameters | `model.fit` | plain `tf.function` step |",
            "|---|---|---|---|",
        ]
        for name, row in anatomy["per_step"].items():
            lines.append(
                f"| {name} | {row['parameters']:,} | {_seconds(row['fit_seconds'])} | "
                f"{_seconds(row['plain_step_seconds'])} |"
            )
        lines += [
            "",
            "The fast recipe without one of its parts (median of "
            f"{len(anatomy.get('seeds', [0]))} seeds):",
            "",
            "| variant | time to 97 % | best accuracy within "
            f"{mnist['budget_seconds']:.0f} s |",
            "|---|---|---|",
        ]
        ablations = anatomy.get("ablations") or anatomy.get("ablations_seed_0", {})
        for label, row in ablations.items():
            best = row["best_accuracy"]
            lines.append(
                f"| {label} | {_seconds(row['time_to_97'])} | "
                f"{'—' if best is None else f'{best:.1%}'} |"
            )
    if results.get("widget_latency_p95_ms"):
        from widget_latency import markdown as latency_table
        from widget_latency import verdict as latency_verdict

        lines += [
            "",
            "## Widget latency: value change to updated picture, p95 (target ≤ 100 ms)",
            "",
            *latency_table(results["widget_latency_p95_ms"]),
            "",
            latency_verdict(results["widget_latency_p95_ms"]),
        ]
    for key, title in (
        ("dashboards", "Dashboards: page opened to first picture (target ≤ 3 s)"),
        ("cold_start", "Cold start: a fresh kernel to the first output, per lecture"),
    ):
        if "first_picture_seconds" in results.get(key, {}) or (
            key == "cold_start" and key in results
        ):  # the tables of benchmarks/dashboards.py and cold_start.py
            table = importlib.import_module(key).markdown(results[key])
            lines += ["", f"## {title}", "", *table]
    for key, title in (
        ("convolution_explorer", "Convolution explorer redraw"),
        ("dashboards", "Dashboards: seconds from kernel start to ready"),
    ):
        if key in results and "first_picture_seconds" not in results[key]:
            lines += [
                "",
                f"## {title}",
                "",
                "```",
                json.dumps(results[key], indent=1),
                "```",
            ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
