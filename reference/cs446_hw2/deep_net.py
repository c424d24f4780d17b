"""Question 2 (written): the sigmoid network's derivatives and the CNN's output sizes, computed.

f(w3, w2, w1, x) = w3 s2(w2 s1(w1 x)) with s1 = s2 = the sigmoid s(u) = 1 / (1 + exp(-u)), whose
derivative is exp(-u) / (1 + exp(-u))^2 = s(u) (1 - s(u)). Keeping the forward pass's
x1 = w1 x, h1 = s1(x1), x2 = w2 h1 and h2 = s2(x2), the backward pass runs from the output down:
    df/dw3 = h2
    df/dw2 = w3 h2 (1 - h2) h1
    df/dw1 = w3 h2 (1 - h2) w2 h1 (1 - h1) x
each reusing the product of the one before, in the reverse of the forward order.
"""
import math


def sigmoid(u):
    return 1.0 / (1.0 + math.exp(-u))


def sigmoid_derivative_from_u(u):
    """(b)(1): with u, exp and a square only."""
    return math.exp(-u) / (1.0 + math.exp(-u)) ** 2


def sigmoid_derivative_from_output(s):
    """(b)(2): with s = sigmoid(u) only."""
    return s * (1.0 - s)


def forward(w3, w2, w1, x):
    """The values the backward pass reuses, and f."""
    x1 = w1 * x
    h1 = sigmoid(x1)
    x2 = w2 * h1
    h2 = sigmoid(x2)
    return {"x1": x1, "h1": h1, "x2": x2, "h2": h2, "f": w3 * h2}


def gradients(w3, w2, w1, x):
    """(df/dw3, df/dw2, df/dw1), computed in that order from the stored forward values."""
    kept = forward(w3, w2, w1, x)
    h1, h2 = kept["h1"], kept["h2"]
    d_w3 = h2
    upstream = w3 * sigmoid_derivative_from_output(h2)       # df/dx2
    d_w2 = upstream * h1
    d_w1 = upstream * w2 * sigmoid_derivative_from_output(h1) * x
    return d_w3, d_w2, d_w1


def conv_output_size(size, kernel, stride=1, padding=0):
    """Side of a square convolution's (or pooling's) output: floor((size + 2 padding - kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def first_layers(image=28, filters=20, kernel=5, pool=2):
    """(g): (channels, side) after the first convolution and after its 2x2 max-pooling."""
    convolved = conv_output_size(image, kernel)
    return (filters, convolved), (filters, conv_output_size(convolved, pool, stride=pool))


def second_convolutions(incoming=12, wanted=4, channels=50, pool=2):
    """(h): every (kernel, stride, channels) with padding 0 that takes incoming x incoming to wanted x wanted
    after a pool x pool max-pooling (stride pool), where both the convolution and the pooling use every row
    and column (no remainder dropped): the answer is the one such design, 5x5 filters, stride 1, 50 channels."""
    designs = []
    for kernel in range(1, incoming + 1):
        for stride in range(1, incoming + 1):
            side = conv_output_size(incoming, kernel, stride)
            if (incoming - kernel) % stride == 0 and side % pool == 0 and side // pool == wanted:
                designs.append((kernel, stride, channels))
    return designs
