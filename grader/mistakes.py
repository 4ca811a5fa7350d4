"""Known mistakes, by name: what feedback says when a wrong answer matches one.

The grader recognises a mistake by evaluating a known-wrong variant of the function in the
trusted process on the same inputs and comparing it with the student's answer; it never
guesses from the code. Variants live in ``grader.variants``; this module holds the names and
the words feedback uses.
"""
from __future__ import annotations

MISTAKES: dict[str, str] = {
    "sigmoid_overflow": "σ(z) computed as 1/(1+exp(−z)) overflows for large negative z "
                        "(exp(1000) is inf); use exp(−|z|) with two branches",
    "sigmoid_prime_of_activation": "σ' applied to the activation: z·(1−z) is σ'(z) only if z "
                                   "were already σ(z); compute σ(z) first",
    "sigmoid_prime_missing_one_minus": "σ(z)·σ(z) instead of σ(z)·(1−σ(z))",
    "relu_prime_at_zero": "relu'(0) must be 0 (the contract's convention), not 1: use z > 0, not z >= 0",
    "tanh_prime_no_square": "1 − tanh(z) without the square: tanh'(z) = 1 − tanh(z)²",
    "loss_missing_half": "the loss lacks the ½: L = ½(y − ŷ)²",
    "sign_flip": "the error has the wrong sign: ∂L/∂ŷ = ŷ − y, not y − ŷ",
    "missing_activation_derivative": "the activation derivative is missing from a delta: "
                                      "δ = (ŷ − y) ⊙ g'(z)",
    "activation_derivative_of_activation": "the derivative is taken at the activation A "
                                           "instead of the pre-activation Z: use g'(Z)",
    "W_instead_of_WT": "W used where its transpose belongs when sending the error back a layer "
                       "(invisible when W is square)",
    "transposed_dW": "the article's slip: (1/B)·A_prevᵀ·Δ has shape (n_in, n_out), the transpose "
                     "of W; the right formula is dW = (1/B)·Δᵀ·A_prev",
    "outer_product_transposed": "dW = x·δᵀ has the transposed shape; dW = δ·xᵀ, row i for neuron i",
    "missing_1_over_B": "the batch gradient is a mean: divide by B",
    "divide_by_B_twice": "divided by B twice",
    "db_wrong_axis": "db summed over the wrong axis: sum over the rows (the examples), axis 0",
    "loss_averages_outputs": "the loss averages over outputs as well as examples: divide by 2B, "
                             "not 2·B·m (invisible with one output)",
    "loss_missing_1_over_B": "the loss is a mean over the batch: divide by 2B",
    "sgd_ascent": "the step goes uphill: W − lr·dW, not W + lr·dW",
    "forward_difference": "a forward difference (f(x+ε) − f(x))/ε: use the central difference "
                          "(f(x+ε) − f(x−ε))/(2ε), far more accurate",
    "unrestored_x": "x is not restored after nudging it: put the saved value back",
    "relative_error_no_floor": "the denominator needs a floor, max(|a|+|b|, 1e-8), "
                               "so that two zero arrays give 0",
    "mutates_input": "the function changes an argument in place; build new arrays instead",
    "only_two_layers": "the code only works for two layers; loop over all layers",
    "only_sigmoid": "the code uses sigmoid everywhere; use each layer's own activation",
    "only_scalars": "the code only works for scalars (or one example); use array operations",
    "losses_after_update": "losses[k] must be measured before the k-th update",
    "non_finite": "NaN or inf where the answer is finite",
}


def describe(name: str) -> str:
    return MISTAKES[name]
