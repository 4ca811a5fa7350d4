"""The hidden part of the grader: everything that needs correct code.

One module per contract module (as ``grader.exercises``): the cases compared with the
reference on inputs drawn from the course secret (``CHECKS``), and the known-wrong variants
that name a mistake by reproducing a wrong answer (``VARIANTS``: each is a correct
implementation with one slip). ``reference`` loads ``solutions/``. The instructor's install
holds this package; the student release leaves it out, and ``bpcourse check`` works without it.
"""
from __future__ import annotations

from grader_hidden import (activations, gradcheck, network, neuron, reference, train,
                           two_layer)
from grader_hidden.article import render_article_report
from grader_hidden.reference import reference_functions

__all__ = ["VARIANTS", "reference_functions", "render_article_report", "activations", "neuron", "two_layer", "network",
           "gradcheck", "train"]

VARIANTS: dict[str, list] = {}
for _module in (activations, neuron, two_layer, network, gradcheck, train):
    VARIANTS.update(_module.VARIANTS)
