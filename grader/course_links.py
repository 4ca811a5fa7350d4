"""Where the course notebooks teach the step behind each named mistake.

Feedback that names a mistake (``grader.exercises.MISTAKES``) can point the student to the
notebook section that explains the step: ``section_link("transposed_dW")`` is
``"06_minibatches.ipynb#The-batch-gradient-and-the-slip-in-the-article"``, an anchor that
JupyterLab and nbconvert's HTML both give that heading. Tests check that every key is a named
mistake and every anchor exists in the built notebook; a mistake added to the grader has no
section (``None``) until it gets a line here.
"""
from __future__ import annotations

# mistake name → (notebook file, heading text as written in the notebook, without the #s)
SECTIONS: dict[str, tuple[str, str]] = {
    # activations (notebook 1)
    "sigmoid_overflow": ("01_activations.ipynb", "The sigmoid"),
    "sigmoid_prime_of_activation": ("01_activations.ipynb", "The sigmoid"),
    "sigmoid_prime_missing_one_minus": ("01_activations.ipynb", "The sigmoid"),
    "non_finite": ("01_activations.ipynb", "The sigmoid"),
    "relu_prime_at_zero": ("01_activations.ipynb", "ReLU"),
    "sigmoid_prime_returns_sigmoid": ("01_activations.ipynb", "The sigmoid"),
    "tanh_prime_no_square": ("01_activations.ipynb", "Tanh"),
    "tanh_prime_of_activation": ("01_activations.ipynb", "Tanh"),
    # one neuron (notebooks 2 and 3)
    "loss_missing_half": ("02_linear_neuron.ipynb", "The loss"),
    "mse_loss_reduces": ("02_linear_neuron.ipynb", "The loss"),
    "sign_flip": ("02_linear_neuron.ipynb", "Gradients by the chain rule"),
    "dw_db_swapped": ("02_linear_neuron.ipynb", "Gradients by the chain rule"),
    "missing_activation_derivative": ("03_sigmoid_neuron.ipynb", "Three factors"),
    # vectors and matrices (notebook 5)
    "only_scalars": ("05_matrices.ipynb", "Shapes first"),
    "bias_missing": ("05_matrices.ipynb", "Shapes first"),
    "hidden_activation_missing": ("05_matrices.ipynb", "Shapes first"),
    "output_activation_missing": ("05_matrices.ipynb", "Shapes first"),
    "hidden_derivative_missing": ("05_matrices.ipynb", "The backward pass with vectors"),
    "outer_product_transposed": ("05_matrices.ipynb", "The backward pass with vectors"),
    "W_instead_of_WT": ("05_matrices.ipynb", "The backward pass with vectors"),
    # mini-batches (notebook 6)
    "cache_holds_outputs": ("06_minibatches.ipynb", "Examples are rows"),
    "loss_averages_outputs": ("06_minibatches.ipynb", "The batch loss"),
    "loss_missing_1_over_B": ("06_minibatches.ipynb", "The batch loss"),
    "transposed_dW": ("06_minibatches.ipynb", "The batch gradient and the slip in the article"),
    "missing_1_over_B": ("06_minibatches.ipynb", "The batch gradient and the slip in the article"),
    "db_wrong_axis": ("06_minibatches.ipynb", "The batch gradient and the slip in the article"),
    # the general algorithm (notebook 7)
    "divide_by_B_twice": ("07_general_backprop.ipynb", "The algorithm"),
    "activation_derivative_of_activation": ("07_general_backprop.ipynb", "The algorithm"),
    "only_sigmoid": ("07_general_backprop.ipynb", "The algorithm"),
    "only_two_layers": ("07_general_backprop.ipynb", "The algorithm"),
    "wrong_layer_W": ("07_general_backprop.ipynb", "The algorithm"),
    # gradient checking (notebook 8)
    "forward_difference": ("08_gradient_checking.ipynb", "Central differences"),
    "unrestored_x": ("08_gradient_checking.ipynb", "Central differences"),
    "relative_error_no_floor": ("08_gradient_checking.ipynb", "Comparing two gradients"),
    "relative_error_mean": ("08_gradient_checking.ipynb", "Comparing two gradients"),
    # training (notebook 9)
    "sgd_ascent": ("09_training.ipynb", "One step"),
    "train_ignores_lr": ("09_training.ipynb", "The training loop"),
    "mutates_input": ("09_training.ipynb", "One step"),
    "losses_after_update": ("09_training.ipynb", "The training loop"),
}


def anchor(heading: str) -> str:
    """The id JupyterLab and nbconvert give a markdown heading: its text, spaces as ``-``."""
    return heading.strip().replace(" ", "-")


def section_link(mistake: str) -> str | None:
    """``notebook.ipynb#Anchor`` of the section that teaches ``mistake``; None if none does."""
    if mistake not in SECTIONS:
        return None
    notebook, heading = SECTIONS[mistake]
    return f"{notebook}#{anchor(heading)}"


def section_title(mistake: str) -> str | None:
    """Words for feedback: ``06_minibatches.ipynb § The batch loss``."""
    if mistake not in SECTIONS:
        return None
    notebook, heading = SECTIONS[mistake]
    return f"{notebook} § {heading}"
