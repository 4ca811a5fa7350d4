"""The bank's manifest: one entry per submission, with what the grader must make of it.

A submission is ``submissions/base/`` (the reference solutions without the nbgrader markers,
as a student would hand them in) with the case's own modules laid over it: each case folder
``submissions/<category>/<name>/`` holds only the modules that differ from the base, each a
whole module written as a student would, the change marked by a ``# bank:`` comment.
``assemble.py`` builds the full six-module folder.

Categories and what the tests expect (``test_bank.py``):

* ``buggy``: one realistic mistake. ``exercise`` loses points (``partial``: but keeps some,
  the share of the outputs it gets right), feedback for it names
  ``mistake`` (a key of ``grader.exercises.MISTAKES``, or a tuple of keys any of which will do;
  ``None`` where no known-wrong variant can reasonably match), and EVERY OTHER exercise keeps full marks — even those whose code
  calls the buggy function (``cascades``): the grader grades ``backward`` on the reference
  forward's cache, and judges a function that calls the student's own helper against a
  reference that uses that same helper.
* ``correct``: right, but written differently from the reference. Total 100.0.
* ``hostile``: attacks the grader. The grader returns a report (never raises), the ``zero``
  exercises get no credit at all, the ``full`` ones keep full marks, no file appears outside
  the sandbox (``/tmp/bpcourse-pwned-<name>*``, the submission folder), no process carrying
  the case's marker survives, and grading ends within ``budget`` seconds (for ``hangs``
  cases: within the time to grade the base plus 1.75 call deadlines, i.e. the hung function
  was called once, not again for every check).
  To make "no credit" unambiguous, an attacking function that fails returns junk
  (a NaN array of a shape no check asks for), never a near-miss that a shape check could pass.
  ``sandbox``: only a real sandbox (bubblewrap) can meet the expectations; the test is
  skipped without one unless ``BPCOURSE_REQUIRE_SANDBOX=1``.
  ``contain``: the attack kills processes, so the test runs the grader in a throwaway PID
  namespace (``unshare``): if the grader's own sandbox fails, the attack kills that
  namespace, not the machine.

Hostile files contain two placeholders that ``assemble.py`` fills in: ``@BANK_MARKER@``
(a string unique to the run, used to find surviving processes; the destructive attacks also
refuse to fire while it is unfilled, so importing a committed file by accident is harmless)
and ``@BANK_PORT@`` (a TCP port the test listens on).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

BANK = Path(__file__).resolve().parent
SUBMISSIONS = BANK / "submissions"
BASE = SUBMISSIONS / "base"
REPO = BANK.parent.parent

MODULES = ("activations", "neuron", "two_layer", "network", "gradcheck", "train")

# Every contract function, by module (shared/CONTRACT.md), in contract order.
EXERCISES: dict[str, str] = {
    "sigmoid": "activations",
    "sigmoid_prime": "activations",
    "relu": "activations",
    "relu_prime": "activations",
    "tanh": "activations",
    "tanh_prime": "activations",
    "mse_loss": "neuron",
    "linear_neuron_grads": "neuron",
    "sigmoid_neuron_grads": "neuron",
    "two_layer_forward": "two_layer",
    "two_layer_backward": "two_layer",
    "forward": "network",
    "loss": "network",
    "backward": "network",
    "numerical_gradient": "gradcheck",
    "relative_error": "gradcheck",
    "sgd_step": "train",
    "train": "train",
}

# Which exercises call which, in the base code (through the student's own modules).
# A bug in the key shows up in the values' answers too; fair blame keeps their marks.
CALLED_BY: dict[str, tuple[str, ...]] = {
    "sigmoid": ("sigmoid_neuron_grads", "two_layer_forward", "forward", "backward", "train"),
    "sigmoid_prime": ("sigmoid_neuron_grads", "two_layer_backward", "backward", "train"),
    "relu": ("forward", "backward", "train"),
    "relu_prime": ("backward", "train"),
    "tanh": ("forward", "backward", "train"),
    "tanh_prime": ("backward", "train"),
    "forward": ("train",),
    "loss": ("train",),
    "backward": ("train",),
    "sgd_step": ("train",),
}



def exercises_of(*modules: str) -> tuple[str, ...]:
    """The contract functions of these modules, in contract order."""
    return tuple(name for name, module in EXERCISES.items() if module in modules)


def unimportable(module: str) -> tuple[str, ...]:
    """Exercises lost when ``module`` fails to import: its own only. The modules that import
    it are graded on the reference's copy of it (fair blame for imports), so they keep
    their points ("others" keep full marks)."""
    return exercises_of(module)


@dataclass(frozen=True)
class Case:
    category: str  # "buggy" | "correct" | "hostile"
    name: str
    description: str
    # buggy
    exercise: str | None = None
    mistake: str | tuple[str, ...] | None = None  # a tuple: any one of these names will do
    # hostile
    zero: tuple[str, ...] = ()
    full: tuple[str, ...] | str = "others"  # "others": every exercise not in ``zero``
    sandbox: bool = False
    contain: bool = False
    budget: float = 60.0
    hangs: bool = False  # one function never returns: it may cost one call's deadline, once
    # buggy: an honest partial answer (some outputs right) keeps some of its exercise's points
    partial: bool = False
    # correct: (exercise, words) that the exercise's advice notes must contain (no points lost)
    advice: tuple[str, str] | None = None

    @property
    def id(self) -> str:
        return f"{self.category}/{self.name}"

    @property
    def folder(self) -> Path:
        """The case's own modules (may not exist: then the case is the base alone)."""
        return SUBMISSIONS / self.category / self.name

    @property
    def mistakes_accepted(self) -> tuple[str, ...]:
        """The mistake names feedback may give (empty: none is required)."""
        if self.mistake is None:
            return ()
        return (self.mistake,) if isinstance(self.mistake, str) else tuple(self.mistake)

    @property
    def cascades(self) -> tuple[str, ...]:
        """Other exercises whose answers change because they call the buggy one."""
        return CALLED_BY.get(self.exercise or "", ())

    def full_marks(self) -> tuple[str, ...]:
        """Exercises that must keep full marks."""
        if self.category == "correct":
            return tuple(EXERCISES)
        if self.category == "buggy":
            return tuple(e for e in EXERCISES if e != self.exercise)
        if self.full == "others":
            return tuple(e for e in EXERCISES if e not in self.zero)
        return tuple(self.full)


def buggy(name, exercise, mistake, description, **kw):
    return Case("buggy", name, description, exercise=exercise, mistake=mistake, **kw)


def correct(name, description, advice=None):
    return Case("correct", name, description, advice=advice)


def hostile(name, zero, description, **kw):
    return Case("hostile", name, description, zero=tuple(zero), **kw)


CASES: list[Case] = [
    # ---------------------------------------------------------------- buggy: activations
    buggy("sigmoid_exp_ratio", "sigmoid", ("sigmoid_overflow", "non_finite"),
          "σ(z) = e^z/(1+e^z): inf/inf = NaN for z ≫ 0 (exp(1000) overflows)"),
    buggy("sigmoid_prime_of_activation", "sigmoid_prime", "sigmoid_prime_of_activation",
          "σ'(z) = z(1−z): the formula for σ' in terms of the activation, applied to z"),
    buggy("sigmoid_prime_cascade", "sigmoid_prime", "sigmoid_prime_missing_one_minus",
          "σ'(z) = σ(z)·σ(z), and sigmoid_neuron_grads, two_layer_backward, backward and train "
          "all call it: only sigmoid_prime may lose points"),
    buggy("relu_prime_at_zero", "relu_prime", "relu_prime_at_zero",
          "relu'(z) = (z >= 0): relu'(0) = 1 instead of the contract's 0"),
    buggy("relu_mutates_input", "relu", "mutates_input",
          "np.maximum(z, 0, out=z): right values, but writes into its input (and so into the "
          "Z that forward keeps in its cache): charged to relu, not to forward"),
    buggy("relu_only_scalars", "relu", "only_scalars",
          "relu(z) = max(0.0, z) with Python's max: right for scalars, raises on arrays "
          "(named from numpy's complaint, no wrong value needed)"),
    buggy("relu_prime_scalar_only", "relu_prime", "only_scalars",
          "relu'(z) = 1.0 if z > 0 else 0.0: an `if` written for one number"),
    buggy("sigmoid_prime_returns_sigmoid", "sigmoid_prime", "sigmoid_prime_returns_sigmoid",
          "σ'(z) = σ(z): the function instead of its derivative"),
    buggy("tanh_prime_of_activation", "tanh_prime", "tanh_prime_of_activation",
          "tanh'(z) = 1 − z²: as if z were already tanh(z)"),
    buggy("tanh_prime_no_square", "tanh_prime", "tanh_prime_no_square",
          "tanh'(z) = 1 − tanh(z), without the square"),
    # ---------------------------------------------------------------- buggy: one neuron
    buggy("mse_loss_missing_half", "mse_loss", "loss_missing_half",
          "mse_loss = (y − ŷ)², without the ½"),
    buggy("mse_loss_mean", "mse_loss", "mse_loss_reduces",
          "mse_loss = mean(½(y − ŷ)²): right for numbers, one number for arrays"),
    buggy("linear_neuron_sign_flip", "linear_neuron_grads", "sign_flip",
          "linear neuron: error = y − ŷ instead of ŷ − y"),
    buggy("linear_neuron_dw_db_swapped", "linear_neuron_grads", "dw_db_swapped",
          "returns (dL/db, dL/dw): the pair in the wrong order"),
    buggy("sigmoid_neuron_missing_sigmoid_prime", "sigmoid_neuron_grads",
          "missing_activation_derivative",
          "sigmoid neuron: δ = ŷ − y, the σ'(z) factor forgotten"),
    # ---------------------------------------------------------------- buggy: two layers
    buggy("two_layer_outer_transposed", "two_layer_backward", "outer_product_transposed",
          "dW = np.outer(x, δ): the (d, n) transpose of W's shape"),
    buggy("two_layer_only_dW2_transposed", "two_layer_backward", "outer_product_transposed",
          "dW2 = np.outer(h, δ2), the other three outputs right: it costs the dW2 share only",
          partial=True),
    buggy("two_layer_W2_not_transposed", "two_layer_backward", "W_instead_of_WT",
          "δ1 = (W2 δ2) ⊙ σ'(z1) instead of W2ᵀ δ2: a shape error unless W2 is square, "
          "wrong values when it is"),
    buggy("two_layer_forward_no_output_sigmoid", "two_layer_forward", "output_activation_missing",
          "ŷ = z2: the output layer's sigmoid forgotten"),
    buggy("two_layer_forward_no_hidden_sigmoid", "two_layer_forward", "hidden_activation_missing",
          "h = z1: the hidden layer's sigmoid forgotten"),
    # ---------------------------------------------------------------- buggy: network
    buggy("forward_only_sigmoid", "forward", "only_sigmoid",
          "forward applies sigmoid in every layer, whatever `activations` says"),
    buggy("forward_only_two_layers", "forward", "only_two_layers",
          "forward unpacks exactly two layers: fails for 1, ignores the rest for 3 or 4"),
    buggy("forward_missing_bias", "forward", "bias_missing",
          "Z = A_prev Wᵀ: the bias forgotten in every layer"),
    buggy("forward_cache_holds_outputs", "forward", "cache_holds_outputs",
          "the cache keeps (g(Z), Z), the layer's output, instead of (A_prev, Z)"),
    buggy("loss_averages_outputs", "loss", "loss_averages_outputs",
          "loss = ½·mean((Y − Ŷ)²): divides by 2·B·m (invisible with one output)"),
    buggy("loss_missing_1_over_B", "loss", "loss_missing_1_over_B",
          "loss = ½‖Y − Ŷ‖²: the 1/B forgotten"),
    buggy("backward_transposed_dW", "backward", "transposed_dW",
          "dW = (1/B) A_prevᵀ Δ, the article's formula: shape (n_in, n_out)"),
    buggy("backward_missing_1_over_B", "backward", "missing_1_over_B",
          "dW = Δᵀ A_prev, db = Σ Δ: the 1/B forgotten in both"),
    buggy("backward_divide_by_B_twice", "backward", "divide_by_B_twice",
          "Δ_L divided by B, and dW, db divided by B again"),
    buggy("backward_db_wrong_axis", "backward", "db_wrong_axis",
          "db = Δ.sum(axis=1)/B: one number per example, not per neuron; every dW right, "
          "so the dW shares are kept", partial=True),
    buggy("backward_missing_activation_derivative", "backward", "missing_activation_derivative",
          "Δ_L = A_L − Y and Δ_ℓ = Δ_ℓ₊₁ W_ℓ₊₁: no g'(Z) factor anywhere"),
    buggy("backward_derivative_of_activation", "backward", "activation_derivative_of_activation",
          "Δ uses g'(A) (the activation, from the cache's A_prev / g(Z)) instead of g'(Z)"),
    buggy("backward_W_transposed", "backward", "W_instead_of_WT",
          "Δ_ℓ = Δ_ℓ₊₁ W_ℓ₊₁ᵀ instead of Δ_ℓ₊₁ W_ℓ₊₁: shape-valid only for square layers"),
    buggy("backward_own_layer_W", "backward", "wrong_layer_W",
          "Δ_ℓ = Δ_ℓ₊₁ W_ℓ: the weights of the wrong layer (shape-valid only when they agree)"),
    buggy("backward_only_output_derivative", "backward", "hidden_derivative_missing",
          "Δ_L has g_L'(Z_L), but Δ_ℓ = Δ_ℓ₊₁ W_ℓ₊₁ without g_ℓ'(Z_ℓ) for the hidden layers"),
    buggy("backward_only_two_layers", "backward", "only_two_layers",
          "backward fills in the last two layers only (zeros below them; fails for one layer)"),
    buggy("backward_sign_flip", "backward", "sign_flip",
          "Δ_L = (Y − A_L) ⊙ g'(Z_L): every gradient has the wrong sign"),
    buggy("backward_mutates_cache", "backward", "mutates_input",
          "A_prev /= B in place: right gradients, but the cache (and X itself) is changed"),
    # ---------------------------------------------------------------- buggy: gradient check
    buggy("numerical_gradient_forward_difference", "numerical_gradient", "forward_difference",
          "(f(x+ε) − f(x))/ε instead of the central difference"),
    buggy("numerical_gradient_unrestored_x", "numerical_gradient", "unrestored_x",
          "x[i] is left at x[i] − ε after each nudge"),
    buggy("relative_error_no_floor", "relative_error", "relative_error_no_floor",
          "denominator |a|+|b| without the 1e-8 floor: two zero arrays give 0/0 = NaN"),
    # ---------------------------------------------------------------- buggy: training
    buggy("relative_error_mean", "relative_error", "relative_error_mean",
          "np.mean of the elementwise errors instead of the largest"),
    buggy("sgd_ascent", "sgd_step", "sgd_ascent",
          "W + lr·dW: the step goes uphill"),
    buggy("sgd_mutates_params", "sgd_step", "mutates_input",
          "W -= lr·dW in place: right values, but the caller's params are changed"),
    buggy("train_ignores_lr", "train", "train_ignores_lr",
          "every step uses lr = 0.1, whatever lr train was given"),
    buggy("train_losses_after_update", "train", "losses_after_update",
          "losses[k] recorded after the k-th update instead of before"),

    # ---------------------------------------------------------------- correct
    correct("sigmoid_overflow", "σ(z) = 1/(1+np.exp(−z)): right values, but exp overflows "
            "(RuntimeWarning) for z ≪ 0; the contract does not require care there, so full "
            "marks, with advice that names the overflow", advice=("sigmoid", "overflow")),
    correct("reference_without_markers",
            "the base itself: the reference solutions as a student would hand them in"),
    correct("sigmoid_via_tanh",
            "σ(z) = ½(1 + tanh(z/2)), σ' = σ(1−σ) from it: no overflow, different rounding"),
    correct("where_and_clip",
            "np.clip(z, −500, 500) before exp; relu, relu' and friends with np.where"),
    correct("einsum_everywhere",
            "every matrix product written with np.einsum"),
    correct("relu_prime_ints",
            "relu_prime returns np.int64 zeros and ones instead of float64"),
    correct("python_floats",
            "scalar inputs give Python floats (math module), arrays go through numpy"),
    correct("params_as_lists",
            "sgd_step, train and backward return lists of [W, b] lists instead of tuples"),
    correct("python_loops",
            "explicit Python loops over examples, neurons and layers instead of matrix products"),
    correct("numerical_gradient_on_copy",
            "numerical_gradient perturbs copies of x instead of nudging it in place"),
    correct("debug_prints",
            "correct, but prints debugging lines in every loop (thousands of lines per grading)"),
    correct("absolute_imports",
            "imports its siblings as `from exercises.activations import ...`"),

    # ---------------------------------------------------------------- hostile
    hostile("monkeypatch_numpy", ["mse_loss", "linear_neuron_grads"],
            "at import: np.isclose/allclose/array_equal/testing.assert_* and math.isclose "
            "always agree; then wrong answers"),
    hostile("read_reference_files", ["two_layer_backward"],
            "hunts the reference: walks up from __file__, globs /work, /root, site-packages "
            "(editable-install finders, .pth), `import solutions`, importlib.metadata; "
            "uses it when found, copies it to /tmp and the submission folder",
            sandbox=True),
    hostile("proc_snooping", ["train"],
            "reads /proc/<ppid>/cwd, cmdline, fd, maps and /proc/*/cwd, environ looking for "
            "solutions/; uses the reference when found",
            sandbox=True),
    hostile("stack_frames", ["numerical_gradient"],
            "walks sys._getframe(1..n) and gc.get_objects() for 'expected'-like locals and "
            "returns what it finds"),
    hostile("ndarray_subclass", ["mse_loss", "two_layer_forward"],
            "returns ndarray subclasses whose __eq__ is always True, whose shape lies, whose "
            "__array_finalize__/__reduce__ would write a file outside the worker"),
    hostile("malicious_reduce", ["linear_neuron_grads", "sigmoid_neuron_grads"],
            "returns objects whose __reduce__ creates a file when unpickled, whose __float__ "
            "and __array__ lie"),
    hostile("kill_parent", ["relative_error"],
            "os.kill(os.getppid(), SIGKILL), and the process group, then junk",
            sandbox=True, contain=True),
    hostile("kill_everything", ["numerical_gradient"],
            "SIGKILL to every visible pid and to -1, then junk",
            sandbox=True, contain=True),
    hostile("lingering_fork", ["two_layer_forward"],
            "double fork + setsid + exec of a 300 s sleeper carrying the marker; then junk",
            sandbox=True),
    hostile("infinite_loop", ["two_layer_backward"],
            "`while True: pass` in one function, the rest correct: only it loses points, "
            "and it is called at most once (the whole grading stays quick)",
            budget=30.0, hangs=True),
    hostile("sleep_forever", ["sigmoid_neuron_grads"],
            "time.sleep(10**6): no CPU used, so only a wall-clock deadline stops it",
            budget=30.0, hangs=True),
    hostile("memory_bomb_numpy", ["relative_error"],
            "np.ones(10**11) (800 GB)"),
    hostile("memory_bomb_list", ["train"],
            "a list of 64 MiB bytearrays that grows until the memory limit stops it (capped "
            "at a quarter of the RAM, at most 4 GiB), then waits",
            budget=45.0),
    hostile("print_flood", ["numerical_gradient"],
            "200 MB of prints (print, sys.stdout, os.write on 1 and 2), then junk",
            budget=45.0),
    hostile("os_exit_at_import", unimportable("network"),
            "network.py calls os._exit(0) while being imported: network's functions lose "
            "points, nothing else (train.py, which imports network, is graded on the "
            "reference's network.py)"),
    hostile("system_exit", ["mse_loss"],
            "raise SystemExit(0) from one function"),
    hostile("keyboard_interrupt", ["two_layer_forward"],
            "raise KeyboardInterrupt from one function"),
    hostile("syntax_error", unimportable("two_layer"),
            "two_layer.py does not parse: only its two functions lose points"),
    hostile("import_error", unimportable("gradcheck"),
            "gradcheck.py imports a module that does not exist: only its two functions "
            "lose points"),
    hostile("socket_connect", ["mse_loss"],
            "connects to the test's listening TCP port (and the host's addresses) and sends "
            "data: must fail, the test's socket must see no connection",
            sandbox=True),
    hostile("write_files", ["linear_neuron_grads"],
            "writes into /tmp, the submission folder, the working directory, $HOME and the "
            "repository's solutions/",
            sandbox=True),
    hostile("huge_return", ["sigmoid_neuron_grads"],
            "returns two 512 MB arrays: the answer is refused, not transferred"),
    hostile("recursive_return", ["two_layer_forward", "two_layer_backward"],
            "returns a self-containing list and a 200 000-deep nested list"),

    # ---------------------------------------------------------------- hostile: issue 6
    # Each breaks the grader at 3acb101 (scores, times and memory: benchmarks/hostile_bank.py).
    # Where an attack targets no exercise of its own (loader, host, reports), one function is
    # left unwritten (a NotImplementedError stub) so that there is something to lose, and
    # everything else must keep full marks.
    # -- fair blame must not pay for failures
    hostile("nothing_implemented_shared_raise", tuple(EXERCISES),
            "nothing written: every function of every module raises NotImplementedError from one "
            "shared helper line, so the reference rebuilt on these helpers fails 'the same way' "
            "(46/100 at 3acb101)"),
    hostile("helpers_zero_when_called_from_reference",
            ["sigmoid_neuron_grads", "two_layer_backward", "backward"],
            "sigmoid_prime, relu_prime and tanh_prime are right when the worker's stack shows "
            "their own grading call, zeros otherwise (the rebuilt reference's proxies ask for "
            "the arguments back), and lose one hygiene point on purpose; the functions that use "
            "them return zeros of the right shapes, which the rebuilt reference matches",
            full=("sigmoid", "relu", "tanh", "mse_loss", "linear_neuron_grads",
                  "two_layer_forward", "forward", "loss", "numerical_gradient",
                  "relative_error", "sgd_step", "train")),
    hostile("detects_grading_call",
            ["sigmoid_neuron_grads", "two_layer_forward", "two_layer_backward", "forward",
             "backward", "train"],
            "the six activations walk the stack to the worker's request: right when it grades "
            "them, raising from the line every unwritten function raises from when called as a "
            "helper; each loses one hygiene point on purpose; every function using them is "
            "unwritten",
            full=("mse_loss", "linear_neuron_grads", "loss", "numerical_gradient",
                  "relative_error", "sgd_step")),
    hostile("sgd_returns_params_unchanged", ["sgd_step", "train"],
            "sgd_step returns the parameters unchanged, and train drops sgd_step's result: it "
            "never descends, which the rebuilt reference on that sgd_step repeats"),
    # -- no state between compared calls
    hostile("stateful_forward", ["two_layer_backward", "backward"],
            "both backward functions return zeros and store the point they saw in a module "
            "global; the forward functions answer for that point from then on, so every finite "
            "difference of the loss is 0 too"),
    hostile("forward_flat_after_backward", ["backward"],
            "backward returns zeros and marks its process; forward then answers a flat loss "
            "there, so finite differences taken in a process where backward ran agree with "
            "zeros (the calls a consistency check compares each run in a process alone)"),
    hostile("kernel_keyring_mark", ["backward"],
            "backward returns zeros and leaves a mark in the user's key ring (per uid in the "
            "kernel, not per process); forward answers a flat loss wherever it finds the mark, "
            "so finite differences taken in any later process would agree with zeros"),
    hostile("pid_counter_mark", ["backward"],
            "backward returns zeros and forks 200 times; a later forward sees the pid counter "
            "jump (its own pid against its child's) and answers a flat loss, passing the flag on "
            "the same way: pids are shared by every process of the sandbox, but a consistency "
            "check alone earns nothing beside unseen inputs"),
    hostile("patched_worker_shares_state", ["backward"],
            "network.py patches the worker at import (through __main__) so that a shared "
            "mapping made then stays shared in every process the calls were forked from the "
            "imported worker; backward returns a made-up gradient and keeps its point there, "
            "and forward answers near that point the loss the made-up gradient predicts, so "
            "finite differences agree with it (3.9 points at 91b8720). Each call's process now "
            "imports the submission afresh, from a worker that never ran it"),
    # -- grader objects must not leak answers
    hostile("numgrad_uses_gradient_attr", ["numerical_gradient"],
            "numerical_gradient returns f.gradient(x), or the derivative of f.data's cubic "
            "coefficients, or a guess from closure cells; never a central difference"),
    # -- public answers alone earn nothing
    hostile("article_table_lookup",
            ["sigmoid_prime", "mse_loss", "sigmoid_neuron_grads", "two_layer_forward",
             "two_layer_backward", "forward", "loss", "backward"],
            "eight functions only look the article's problems up in a table of its answers "
            "(Problem 1, the worked example, Problem 2) and return junk for any other input"),
    hostile("hidden_cases_table",
            ["linear_neuron_grads", "two_layer_forward", "relative_error", "sgd_step"],
            "four functions only look their arguments up in a table of the hidden cases, rebuilt "
            "offline by calling the published grader's case generators with its fixed seed "
            "20261129 (and the reference on them): junk for any other input"),
    # -- no credit without an answer (issue 8): in `grade` and in `check` (test_bank.py)
    hostile("zeros_everywhere", tuple(EXERCISES),
            "every function returns zeros of the right shapes: it matches the cases whose "
            "answer is 0 (relu of a negative number, the loss of y = ŷ, two equal arrays) and "
            "every property a zero has, and earns nothing"),
    hostile("constants_everywhere", tuple(EXERCISES),
            "every function returns 0.125 in arrays of the right shapes, whatever its input"),
    hostile("garbage_everywhere", tuple(EXERCISES),
            "every function returns random numbers of the right shapes (a fixed seed)"),
    hostile("constant_backward", ["backward"],
            "backward returns constants (0.125) of the right shapes: the mean of constants is "
            "the constant, and nothing is mutated"),
    # -- a host that hostile input cannot sink
    hostile("sleep_just_under_deadline", tuple(EXERCISES),
            "every function sleeps 2.9 s (just under the 3 s call deadline) and returns junk"),
    hostile("huge_unused_helper", ["relative_error"],
            "a 3 MB helper module nothing imports (1.5 million names in a list, written by the "
            "assembler): cheap bytes, a huge syntax tree for whoever parses it"),
    hostile("long_expression", unimportable("gradcheck"),
            "gradcheck.py holds 1 + 1 + ... + 1 (100 000 terms) at module level: legal Python "
            "that CPython's parser cannot take (RecursionError), so only its two functions lose"),
    hostile("form_feed_and_u2028", ["relative_error"],
            "network.py has a form feed line, a U+2028 inside a string and a multibyte comment "
            "above its top-level sibling imports (`from activations import ...`, "
            "`import activations as _activations`); otherwise correct"),
    hostile("form_feed_sibling_import", ["relative_error"],
            "network.py has a form feed line above its top-level `from activations import ...`; "
            "otherwise correct"),
    hostile("notebook_parser_bomb", unimportable("gradcheck"),
            "handed in as one notebook, a code cell per module; gradcheck's cell also holds an "
            "expression nested 100 000 deep (unary minus) that exhausts the parser's stack"),
    hostile("notebook_zip_bomb", ["relative_error"],
            "a zip of 17 notebooks: this submission as one, and 16 whose only cell is a bare "
            "400 kB list of names (the zip is a few kB; each syntax tree is hundreds of MB)"),
    hostile("forged_frames", unimportable("gradcheck"),
            "gradcheck.py, while being imported, writes forged frames to the worker's response "
            "pipe (found in the worker's command line): 80 'fail' notes naming 12 MB modules, "
            "then a 'call' note every second, which restarts the deadline forever"),
    hostile("big_answers",
            ["linear_neuron_grads", "two_layer_forward", "two_layer_backward", "forward",
             "sgd_step"],
            "five functions return 48 MB arrays of NaN: dozens of answers, each kept by a "
            "grader that hoards them"),
    # -- reports must carry nothing a student can forge
    hostile("control_chars_in_messages", ["relu", "tanh", "mse_loss", "relative_error"],
            "errors and warnings carrying ANSI escapes (clear screen, erase line), "
            "'\\r\\nScore: 100 / 100', bidi overrides, NUL, C1 controls, an OSC title, lone "
            "surrogates, and an exception class named by an escape sequence; sigmoid is right "
            "but warns with them"),
]

BY_ID = {case.id: case for case in CASES}
assert len(BY_ID) == len(CASES), "duplicate case names"


def of(category: str) -> list[Case]:
    return [case for case in CASES if case.category == category]
