"""Reference solutions for the backpropagation course.

Each module holds one group of exercises from the contract (``shared/CONTRACT.md``).
The function bodies sit between nbgrader's ``### BEGIN SOLUTION`` / ``### END SOLUTION``
markers: ``bpcourse stubs`` turns this package into the student package ``exercises``.
"""
