"""Grading a whole class: collect the submissions, grade them in parallel, write a gradebook.

- :mod:`.collect`: a folder of submissions, an nbgrader ``submitted/`` tree or an LMS bulk
  download → one :class:`~.collect.Student` (a safe key, a display name, a path) per student;
- :mod:`.batch`: grade them in worker processes, one grader call and one sandbox each;
- :mod:`.gradebook`: the result files, the gradebook CSV and feedback files;
- :mod:`.report_html`: the class report;
- :mod:`.gradescope_bundle`, :mod:`.classroom`: the grader packaged for grading platforms.
"""
