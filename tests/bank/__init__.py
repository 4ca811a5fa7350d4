"""The grader's test bank: buggy, correct and hostile submissions, and the tests that grade them.

See ``cases.py`` for the list and ``assemble.py`` for how a case becomes a submission folder.
"""
