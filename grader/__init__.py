"""The backprop-course autograder and the ``bpcourse`` command."""
