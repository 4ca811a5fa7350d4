"""Settings for the whole test suite.

The grader draws hidden inputs from the instructor's course secret (grader.secret), made on
first use in the user's config folder. Tests must never touch that folder: they use a fixed,
public test secret through ``$BPCOURSE_SECRET`` (inherited by the command-line tests'
subprocesses too). Tests of the secret itself point ``$BPCOURSE_SECRET_FILE`` elsewhere.
"""
import os

TEST_SECRET = "backprop-course-test-secret-not-for-grading"
os.environ["BPCOURSE_SECRET"] = TEST_SECRET
