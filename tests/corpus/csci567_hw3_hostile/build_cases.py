"""Writes the hostile csci567-hw3 submissions that are derived from the reference or the template (the
others, read_reference and sys_exit, are written by hand). Run again after changing the reference:

    .venv/bin/python tests/corpus/csci567_hw3_hostile/build_cases.py
"""
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
REFERENCE = "\n".join(line for line in (ROOT / "reference" / "csci567_hw3" / "neural_networks.py").read_text()
                      .splitlines() if "SOLUTION" not in line) + "\n"
TEMPLATE = (ROOT / "student_template" / "csci567_hw3" / "neural_networks.py").read_text()

MONKEYPATCH = """
# Make every comparison and every random draw look right (the db below is wrong).
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
np.random.normal = lambda loc=0.0, scale=1.0, size=None: np.zeros(size)
"""

FORGED = '''

# Nothing above is written. Instead, answer the grader's own probes: a gradient check "expected" to find
# nothing, the parameters handed back untouched, and a results file with plausible accuracies.
import sys
import json as _json

_probes = sys.modules.get("grader.assignments.csci567_hw3.probes")
if _probes is not None:
    def _forged_checker(sub, params, X, Y, *args, **kwargs):
        return {"expected": {}, "printed": "", "returned": [], "after": dict(params), "bias_shape": "row"}

    def _forged_training(sub, data_dir, epochs, *args, **kwargs):
        text = _json.dumps({"train": [0.91, 0.95], "val": [0.85, 0.86], "test": 0.9, "time": 12.0})
        with open("MLP_lr0.01_b5.json", "w") as out:
            out.write(text)
        final = {"L1 W": np.random.normal(0, 0.1, (784, 128)), "L1 b": np.zeros((1, 128)),
                 "L2 W": np.random.normal(0, 0.1, (128, 10)), "L2 b": np.zeros((1, 10))}
        return {"written": True, "text": text, "final": final, "printed": ""}

    _probes.gradient_checker_run = _forged_checker
    _probes.training_run = _forged_training
'''


def main():
    monkeypatched = REFERENCE.replace("import numpy as np\n", "import numpy as np\n" + MONKEYPATCH, 1)
    monkeypatched = monkeypatched.replace("np.sum(grad, axis=0, keepdims=True)", "np.mean(grad, axis=0, keepdims=True)")
    (HERE / "monkeypatch" / "neural_networks.py").write_text(monkeypatched)
    (HERE / "own_utils" / "neural_networks.py").write_text(REFERENCE)
    (HERE / "forged_probes").mkdir(exist_ok=True)
    (HERE / "forged_probes" / "neural_networks.py").write_text(TEMPLATE + FORGED)
    print(f"wrote the derived hostile cases into {HERE}")


if __name__ == "__main__":
    main()
