"""nbgrader configuration of the backpropagation course.

Run nbgrader from this folder: `nbgrader generate_assignment backprop` turns the notebooks of
source/backprop/ (built from notebooks/*.py and solutions/ by
`python -m grader.course_notebooks`; never edit them by hand) into release/backprop/.
"""
from nbgrader.preprocessors import ClearHiddenTests

c = get_config()  # noqa: F821 - nbgrader provides it

c.CourseDirectory.course_id = "backprop"

# A stub that says what to do; the docstring above it says how.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Feedback returned to students must not show the hidden tests (it does by default).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    ClearHiddenTests,
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# Every cell of the course runs in well under a second; a cell that takes a minute is stuck.
c.Execute.timeout = 60

# Where release_assignment, fetch_assignment, submit and collect meet: nbgrader's default is
# /srv/nbgrader/exchange (create it, writable by everyone), or name a shared folder here.
# c.Exchange.root = "/srv/nbgrader/exchange"
