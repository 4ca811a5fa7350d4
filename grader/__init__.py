"""The backprop-course autograder and the ``bpcourse`` command."""
import os as _os

# The grader's own arithmetic is on arrays of a few dozen numbers, where a pool of BLAS threads
# only costs: after each product OpenBLAS's threads spin waiting for more work, which took a
# tenth of a grade's CPU and a core from the sandbox beside it. One thread, unless the user
# chose otherwise; this must come before numpy is first imported.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_name, "1")
del _name
