"""Writes the csci567-hw3 corpus: neural_networks.py as students of the course's starter write it, each case
derived from the reference by the edits below (several follow readings and slips seen in public student
copies of the starter, rewritten here). Run again after changing the reference or a case:

    .venv/bin/python tests/corpus/csci567_hw3/build_cases.py
"""
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
REFERENCE = (HERE.parents[2] / "reference" / "csci567_hw3" / "neural_networks.py").read_text()

INIT = """        self.params['W'] = np.random.normal(0, 0.1, (input_D, output_D))
        self.params['b'] = np.random.normal(0, 0.1, (1, output_D))
"""
GRAD_INIT = """        self.gradient['W'] = np.zeros((input_D, output_D))
        self.gradient['b'] = np.zeros((1, output_D))
"""
FORWARD = "        forward_output = X @ self.params['W'] + self.params['b']\n"
DW = "        self.gradient['W'] = X.T @ grad\n"
DB = "        self.gradient['b'] = np.sum(grad, axis=0, keepdims=True)\n"
DX = "        backward_output = grad @ self.params['W'].T\n"
RELU_FORWARD = """        self.mask = (X > 0).astype(float)
        forward_output = X * self.mask
"""
RELU_BACKWARD = "        backward_output = grad * (X > 0)\n"
SGD = "                module.params[key] = module.params[key] - _learning_rate * g\n"
BACKWARD_PASS = """    grad_h1 = model['L2'].backward(h1, grad_a2)
    grad_a1 = model['nonlinear1'].backward(a1, grad_h1)
"""
CHECKER = """            model[layer_name].params[param_name] -= 2 * epsilon
            _, _, _, f_w_subtract_epsilon = forward_pass(model, x, y)
            model[layer_name].params[param_name] += epsilon
            approximate_gradient = (f_w_add_epsilon - f_w_subtract_epsilon) / (2 * epsilon_value)
"""
CHECKER_HEAD = """def gradient_checker(DataSet, model):
    ### the first example ###
    x, y = DataSet.get_example([0])
"""

# A checker written against an earlier reading: every example, the pairs returned in a dict, a copy of the
# model perturbed entry by entry (nothing to restore), nothing printed.
CHECKER_RETURNS_DICT = '''def gradient_checker(DataSet, model):
    x, y = DataSet.get_example(np.arange(DataSet.N))
    a1, h1, a2, _ = forward_pass(model, x, y)
    backward_pass(model, x, a1, h1, a2, y)
    pairs = {}
    for layer_name in ('L1', 'L2'):
        for param_name in ('W', 'b'):
            backprop = model[layer_name].gradient[param_name].flat[0]
            losses = []
            for step in (1e-3, -1e-3):
                trial = deepcopy(model)
                trial[layer_name].params[param_name].flat[0] += step
                losses.append(forward_pass(trial, x, y)[3])
            pairs[layer_name + ' ' + param_name] = (backprop, (losses[0] - losses[1]) / 2e-3)
    return pairs


def _unused_starter_checker(DataSet, model):
    x, y = DataSet.get_example([0])
'''

# The starter's given checker code reads the bias gradient's first entry with [0]: a number for a (k,) bias,
# a row for a 1-by-k one (whose printing then fails in given code, not the student's)
STARTER_INDEXING = ("""            first = (0,) * model[layer_name].params[param_name].ndim
            grad = model[layer_name].gradient[param_name][first]

            epsilon_value = 1e-3
            epsilon = np.zeros(model[layer_name].params[param_name].shape)
            epsilon[first] = epsilon_value
""", """            if param_name == 'W':
                grad = model[layer_name].gradient[param_name][0][0]
            else:
                grad = model[layer_name].gradient[param_name][0]

            epsilon_value = 1e-3
            epsilon = np.zeros(model[layer_name].params[param_name].shape)
            if len(epsilon.shape) == 2:
                epsilon[0][0] = epsilon_value
            else:
                epsilon[0] = epsilon_value
""")
FLAT_BIAS = [(INIT, """        self.params['W'] = np.random.normal(0, 0.1, (input_D, output_D))
        self.params['b'] = np.random.normal(0, 0.1, output_D)
"""), (GRAD_INIT, """        self.gradient['W'] = np.zeros((input_D, output_D))
        self.gradient['b'] = np.zeros(output_D)
""")]

CASES = {
    # ------------------------------------------------------------------ correct, written differently
    # relu with loops over every entry
    "correct_loops_relu": [(RELU_BACKWARD, """        backward_output = np.zeros_like(grad)
        for index in np.ndindex(X.shape):
            if X[index] > 0:
                backward_output[index] = grad[index]
""")],
    # gradient_checker over every example, returning the pairs, on deep copies of the model
    "correct_deepcopy_checker": [(CHECKER_HEAD, CHECKER_RETURNS_DICT)],
    # SGD in place
    "correct_inplace_sgd": [(SGD, "                module.params[key] -= _learning_rate * g\n")],
    # np.dot and einsum
    "correct_dot_and_einsum": [(FORWARD, "        forward_output = np.dot(X, self.params['W']) + self.params['b']\n"),
                               (DW, "        self.gradient['W'] = np.einsum('ni,no->io', X, grad)\n"),
                               (DX, "        backward_output = np.einsum('no,io->ni', grad, self.params['W'])\n")],
    # relu's backward uses the mask its forward saved
    "correct_relu_mask_from_forward": [(RELU_BACKWARD, "        backward_output = grad * self.mask\n")],
    # gradients initialised with zeros_like
    "correct_bias_first_zeros_like": [(GRAD_INIT, """        self.gradient['b'] = np.zeros_like(self.params['b'])
        self.gradient['W'] = np.zeros_like(self.params['W'])
""")],
    # backward_pass as one nested expression
    "correct_backward_pass_chained": [(BACKWARD_PASS, """    grad_a1 = model['nonlinear1'].backward(a1, model['L2'].backward(h1, grad_a2))
""")],
    # the bias as a vector of output_D entries (the handout's b in R^M), its gradient likewise
    "correct_flat_bias": [(INIT, """        self.params['W'] = np.random.normal(0, 0.1, (input_D, output_D))
        self.params['b'] = np.random.normal(0, 0.1, output_D)
"""), (GRAD_INIT, """        self.gradient['W'] = np.zeros((input_D, output_D))
        self.gradient['b'] = np.zeros(output_D)
"""), (DB, "        self.gradient['b'] = np.sum(grad, axis=0)\n")],
    # as seen in students' copies: a (k,) bias whose gradient is a product with a vector of ones, with the
    # starter's indexing in the checker
    "correct_flat_bias_starter_checker": FLAT_BIAS + [(DB, "        self.gradient['b'] = np.ones(X.shape[0]).dot(grad)\n"),
                                                      STARTER_INDEXING],
    # the starter's indexing with a 1-by-k bias
    "correct_row_bias_starter_checker": [STARTER_INDEXING],
    # relu keeps its output and its backward turns that very array into the derivative
    "correct_relu_backward_reuses_forward_output": [(RELU_FORWARD, """        self.mask = np.maximum(X, 0)
        forward_output = self.mask
"""), (RELU_BACKWARD, """        self.mask[self.mask > 0] = 1
        backward_output = grad * self.mask
""")],
    # the checker assigns new arrays instead of changing them in place, and prints with more decimals
    "correct_checker_new_arrays": [(CHECKER, """            shifted = model[layer_name].params[param_name]
            model[layer_name].params[param_name] = shifted - 2 * epsilon
            _, _, _, f_w_subtract_epsilon = forward_pass(model, x, y)
            model[layer_name].params[param_name] = shifted - epsilon
            approximate_gradient = (f_w_add_epsilon - f_w_subtract_epsilon) / (2 * epsilon_value)
"""), ('print("Gradient of %s in layer %s: from back-propagation %f, from central differences %f"',
       'print("%s of %s: backprop %.10f, approximation %.10f"')],
    # ------------------------------------------------------------------ one mistake each
    "wrong_init_std_one": [(INIT, """        self.params['W'] = np.random.normal(0, 1, (input_D, output_D))
        self.params['b'] = np.random.normal(0, 1, (1, output_D))
""")],
    "wrong_init_uniform": [(INIT, """        self.params['W'] = np.random.uniform(-0.1, 0.1, (input_D, output_D))
        self.params['b'] = np.random.uniform(-0.1, 0.1, (1, output_D))
""")],
    # the handout draws b at random too
    "wrong_init_bias_zeros": [(INIT, """        self.params['W'] = np.random.normal(0, 0.1, (input_D, output_D))
        self.params['b'] = np.zeros((1, output_D))
""")],
    "wrong_forward_no_bias": [(FORWARD, "        forward_output = X @ self.params['W']\n")],
    "wrong_backward_db_mean": [(DB, "        self.gradient['b'] = np.mean(grad, axis=0, keepdims=True)\n")],
    "wrong_backward_dw_transposed": [(DW, "        self.gradient['W'] = grad.T @ X\n")],
    "wrong_backward_dx_uses_input": [(DX, "        backward_output = X * np.sum(grad)\n")],
    "wrong_relu_backward_at_zero": [(RELU_BACKWARD, "        backward_output = grad * (X >= 0)\n")],
    "wrong_relu_backward_mask_only": [(RELU_BACKWARD, "        backward_output = (X > 0).astype(float)\n")],
    # as seen in a student's copy: relu written for 2-D arrays only (the starter says arrays of any shape)
    "wrong_relu_two_dimensional_only": [(RELU_FORWARD, """        self.mask = np.maximum(np.zeros((X.shape[0], X.shape[1])), X)
        forward_output = self.mask
"""), (RELU_BACKWARD, """        backward_output = np.zeros((X.shape[0], X.shape[1]))
        for i in range(len(X)):
            backward_output[i] = grad[i] * (self.mask[i] > 0)
""")],
    "wrong_sgd_ascent": [(SGD, "                module.params[key] = module.params[key] + _learning_rate * g\n")],
    "wrong_sgd_no_learning_rate": [(SGD, "                module.params[key] = module.params[key] - g\n")],
    "wrong_backward_pass_wrong_input": [(BACKWARD_PASS, """    grad_h1 = model['L2'].backward(a1, grad_a2)
    grad_a1 = model['nonlinear1'].backward(a1, grad_h1)
""")],
    "wrong_backward_pass_skips_relu": [(BACKWARD_PASS, """    grad_a1 = model['L2'].backward(h1, grad_a2)
""")],
    "wrong_checker_not_restored": [(CHECKER, """            model[layer_name].params[param_name] -= 2 * epsilon
            _, _, _, f_w_subtract_epsilon = forward_pass(model, x, y)
            approximate_gradient = (f_w_add_epsilon - f_w_subtract_epsilon) / (2 * epsilon_value)
""")],
    "wrong_checker_one_sided": [(CHECKER, """            model[layer_name].params[param_name] -= epsilon
            _, _, _, f_w = forward_pass(model, x, y)
            approximate_gradient = (f_w_add_epsilon - f_w) / epsilon_value
""")],
    "wrong_imports_torch": [("import numpy as np\n", "import numpy as np\nimport torch  # used while debugging\n")],
}


def edited(edits):
    text = REFERENCE
    for old, new in edits:
        assert text.count(old) == 1, f"the reference no longer contains {old!r} exactly once: update build_cases.py"
        text = text.replace(old, new)
    return "\n".join(line for line in text.splitlines() if "SOLUTION" not in line) + "\n"


def main():
    for folder in HERE.iterdir():
        if folder.is_dir() and folder.name not in CASES:
            shutil.rmtree(folder)
    for case, edits in CASES.items():
        folder = HERE / case
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        (folder / "neural_networks.py").write_text(edited(edits))
    print(f"wrote {len(CASES)} cases into {HERE}")


if __name__ == "__main__":
    main()
