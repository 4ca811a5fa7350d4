"""A two-layer sigmoid network on one example, written with loops as on the blackboard."""
import numpy as np

from .activations import sigmoid, sigmoid_prime


def two_layer_forward(x, W1, b1, W2, b2):
    """Forward pass of one example through two sigmoid layers, neuron by neuron."""
    x = np.asarray(x, dtype=float)
    W1 = np.asarray(W1, dtype=float)
    W2 = np.asarray(W2, dtype=float)
    n, d = W1.shape
    m = W2.shape[0]
    z1 = np.zeros(n)
    for i in range(n):
        total = float(b1[i])
        for j in range(d):
            total += W1[i, j] * x[j]
        z1[i] = total
    h = sigmoid(z1)
    z2 = np.zeros(m)
    for i in range(m):
        total = float(b2[i])
        for j in range(n):
            total += W2[i, j] * h[j]
        z2[i] = total
    return {"z1": z1, "h": h, "z2": z2, "y_hat": sigmoid(z2)}


def two_layer_backward(x, y, W1, b1, W2, b2, cache):
    """Gradients of ``½ ‖y − ŷ‖²`` for the two-layer network, one entry at a time."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    W2 = np.asarray(W2, dtype=float)
    m, n = W2.shape
    d = x.shape[0]
    delta2 = np.zeros(m)
    for i in range(m):
        delta2[i] = (cache["y_hat"][i] - y[i]) * sigmoid_prime(cache["z2"][i])
    delta1 = np.zeros(n)
    for j in range(n):
        back = 0.0
        for i in range(m):  # hidden neuron j feeds every output neuron i through W2[i, j]
            back += W2[i, j] * delta2[i]
        delta1[j] = back * sigmoid_prime(cache["z1"][j])
    dW1 = np.zeros((n, d))
    for i in range(n):
        for j in range(d):
            dW1[i, j] = delta1[i] * x[j]
    dW2 = np.zeros((m, n))
    for i in range(m):
        for j in range(n):
            dW2[i, j] = delta2[i] * cache["h"][j]
    return {"dW1": dW1, "db1": delta1, "dW2": dW2, "db2": delta2}
