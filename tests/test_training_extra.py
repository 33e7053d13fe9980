"""The training extra is optional: without PyTorch everything else imports, and the training
entry points fail with one line naming the extra."""
import subprocess
import sys

import pytest

# a finder that answers every import of torch with ModuleNotFoundError, as if it were not installed
BLOCK_TORCH = (
    "import sys\n"
    "class NoTorch:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == 'torch' or name.startswith('torch.'):\n"
    "            raise ModuleNotFoundError(\"No module named 'torch'\")\n"
    "sys.meta_path.insert(0, NoTorch())\n"
)


def _run(code):
    return subprocess.run([sys.executable, "-c", BLOCK_TORCH + code], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("module", ["srnn", "trainer", "surrogates", "checkpoint", "baselines", "evaluation"])
def test_training_entry_points_name_the_extra_without_torch(module):
    done = _run(f"import hetero_brian.training.{module}")
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "MissingExtraError" in last and "pip install 'hetero_brian[train]'" in last


def test_everything_else_imports_without_torch():
    done = _run("import hetero_brian.training, hetero_brian.training.export, hetero_brian.training.parameters, "
                "hetero_brian.training.data, hetero_brian.training.interchange, hetero_brian.models.discrete, "
                "hetero_brian.simulate, hetero_brian.training.nir_graphs, hetero_brian.training.dynamics, "
                "hetero_brian.models.nir_neurons\n"
                "from hetero_brian.training.parameters import initial_parameters\n"
                "from hetero_brian.training.export import srnn_network_spec\n"
                "spec = srnn_network_spec(initial_parameters(2, 3, 2, seed=1), 5)\n"
                "print(sorted(p.name for p in spec.populations))")
    assert done.returncode == 0, done.stderr
    assert "['hidden', 'readout']" in done.stdout
