"""The contract's names (shared/CONTRACT.md), declared once: its modules in teaching order,
and which module holds each student-facing function. Pure data: no imports."""

MODULES = ("activations", "neuron", "two_layer", "network", "gradcheck", "train")

FUNCTION_MODULE = {
    "sigmoid": "activations", "sigmoid_prime": "activations", "relu": "activations",
    "relu_prime": "activations", "tanh": "activations", "tanh_prime": "activations",
    "mse_loss": "neuron", "linear_neuron_grads": "neuron", "sigmoid_neuron_grads": "neuron",
    "two_layer_forward": "two_layer", "two_layer_backward": "two_layer",
    "forward": "network", "loss": "network", "backward": "network",
    "numerical_gradient": "gradcheck", "relative_error": "gradcheck",
    "sgd_step": "train", "train": "train",
}

FUNCTIONS_BY_MODULE = {m: tuple(f for f, mod in FUNCTION_MODULE.items() if mod == m)
                       for m in MODULES}
