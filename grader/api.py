"""The grader's Python API; the command line is a thin layer over it."""
from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from pathlib import Path

from grader.contract import FUNCTION_MODULE, MODULES
from grader.results import ExerciseResult, GradeReport
from grader.settings import CHECK, GRADE, Settings


_frozen = False


def _freeze_imports() -> None:
    """Once per process, when everything grading needs is imported: put those objects out of
    the cyclic garbage collector's way (``gc.freeze``). Its full collections otherwise walk
    numpy, hypothesis and the checks again and again during a grade (a tenth of the grader's
    CPU); what a grade allocates afterwards is collected as usual."""
    global _frozen
    if not _frozen:
        import gc

        gc.freeze()
        _frozen = True


class _Prepared(threading.Thread):
    """What a grade needs besides the submission, made in a thread of its own: numpy and the
    checks imported, the hidden part, the course secret's seed, the reference, and the plans
    of the checks' calls (``plan_ahead``). ``result()`` raises what making them raised
    (``HiddenPartMissing``, ``SecretError``...); a failure of the plans alone is left to
    ``run_checks``, which plans again (and reports what a check raises)."""

    def __init__(self, public_only: bool, settings: Settings, only: tuple[str, ...]):
        super().__init__(name="bpcourse-plan", daemon=True)
        self.public_only, self.settings, self.only = public_only, settings, only
        self._result = None
        self._error: BaseException | None = None
        # Set once the grade can begin: everything made, and the plans registered (they are
        # made exercise by exercise afterwards, while the first exercises run), or a failure.
        self.ready = threading.Event()

    def run(self) -> None:
        try:
            try:
                self._result = self._prepare()
            except BaseException as exc:  # noqa: BLE001 - raised again by result()
                self._error = exc
                return
            reference, _, chosen, seed = self._result
            try:
                from grader.engine import plan_ahead
                from grader.impl import StudentImpl

                plan_ahead(StudentImpl(None), reference, self.settings,
                           public_only=self.public_only, seed=seed, exercises=chosen,
                           registered=self.ready.set)
            except Exception:  # noqa: BLE001 - see the class's docstring
                pass
        finally:
            self.ready.set()

    def _prepare(self):
        import grader.sandbox  # noqa: F401 - numpy and the wire, for the grade that follows
        from grader.exercises import EXERCISES, HIDDEN

        public_only, settings = self.public_only, self.settings
        if not public_only and HIDDEN is None:
            raise HiddenPartMissing("grading needs the instructor's install (the hidden "
                                    "checks and the reference solutions); this one can "
                                    "only `check`")
        seed: tuple = ()
        if not public_only:
            from grader.secret import load_secret, seed_words

            seed = tuple(seed_words(settings.secret or load_secret()))
        from grader.impl import LocalImpl

        reference = None if public_only else LocalImpl(HIDDEN.reference_functions(),
                                                       "reference")
        variants = HIDDEN.VARIANTS if HIDDEN is not None else {}
        chosen = tuple(e for e in EXERCISES if not self.only or e.name in self.only)
        return reference, variants, chosen, seed

    def result(self):
        self.ready.wait()
        if self._error is not None:
            raise self._error
        if self._result is None:  # pragma: no cover - run() always sets one of them
            raise RuntimeError("the grader's preparation did not finish")
        return self._result


@contextlib.contextmanager
def _switching_often():
    """While two threads share the interpreter: the one that only waits on a child process
    gets it back within half a millisecond, not after the default 5 ms."""
    import sys

    old = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def _pool_start(pool):
    """A worker forked in ``pool``'s sandbox; None when the pool cannot start one (the grade
    then launches a sandbox of its own, in the same folder)."""
    from grader.sandbox.launch import PoolLauncher

    try:
        return PoolLauncher(pool).start(pool.limits, {})
    except OSError:
        return None


class HiddenPartMissing(Exception):
    """``grade`` asked of an install without the hidden part (a student's)."""


class _Watched:
    """The sandbox, passed through, noting which modules failed to import and why."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.import_errors: dict[str, str] = {}
        self.printed: set[str] = set()  # functions whose prints were discarded
        self.isolation = sandbox.isolation

    def _note(self, module: str, result, function: str = ""):
        if result.status == "import":
            self.import_errors.setdefault(module, result.error or "")
        elif result.stdout and function:
            self.printed.add(function)
        return result

    def call(self, module, function, *args, **kwargs):
        return self._note(module, self.sandbox.call(module, function, *args, **kwargs),
                          function)

    def call_many(self, calls, **kwargs):
        results = self.sandbox.call_many(calls, **kwargs)
        for (module, function, *_), result in zip(calls, results):
            self._note(module, result, function)
        return results


_WAITS = re.compile(r"(\w+)\.py could not be imported")


def _import_blame(errors: dict[str, str]) -> tuple[list[str], set[str]]:
    """Modules that fail to import on their own, and those that only fail because they
    import one of those (their error names another module that could not be imported)."""
    waiting = {m for m, error in errors.items()
               if any(other != m and other in errors for other in _WAITS.findall(error))}
    broken = [m for m in MODULES if m in errors and m not in waiting]
    return broken, (waiting if broken else set())


def _broken_note(broken, errors, waiting_exercises, how: str | None) -> str:
    first = broken[0]
    names = ", ".join(e.name for e in waiting_exercises)
    files = " and ".join(f"{m}.py" for m in broken)
    if how is None:
        return (f"fix {files} first ({errors[first]}); these exercises wait for it: {names}")
    return (f"{files} could not be imported ({errors[first]}); it costs only its own "
            f"exercises: {names} were {how}")


def _on_reference_copies(root: Path, broken, exercises, reference, settings, seed, variants):
    """Grade ``exercises`` on a copy of the submission whose broken modules are the
    reference's (fair blame for imports: a module that does not import costs only its own
    exercises)."""
    import shutil
    import tempfile

    from grader.engine import run_checks
    from grader.exercises import HIDDEN
    from grader.impl import StudentImpl
    from grader.sandbox import Sandbox

    solutions = HIDDEN.reference.solutions_dir()
    base = Path(tempfile.mkdtemp(prefix="bpcourse-submission-"))
    try:
        copy = base / "stage"
        shutil.copytree(root, copy)
        for module in broken:
            shutil.copyfile(solutions / f"{module}.py", copy / "exercises" / f"{module}.py")
        for dirpath, _dirs, files in os.walk(copy):
            os.chmod(dirpath, 0o755)
            for f in files:
                os.chmod(os.path.join(dirpath, f), 0o644)
        sandbox = Sandbox(copy, limits=settings.limits, isolation=settings.isolation)
        try:
            sandbox.start()
            return run_checks(StudentImpl(sandbox), reference, settings, public_only=False,
                              seed=seed, variants=variants, exercises=exercises)
        finally:
            sandbox.close()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def grade(path: Path | str, *, public_only: bool = False,
          settings: Settings | None = None, only: tuple[str, ...] = ()) -> GradeReport:
    """Grade one submission (a folder, a .zip or notebooks; see CONTRACT.md).

    ``public_only`` runs the checks a student may run themselves (article numbers,
    properties, consistency of their own code) and never loads the reference solutions or
    the course secret; it works without the hidden part (``grader_hidden``) and
    ``solutions/``, and names known mistakes from the variants only when they are installed.
    ``only``: grade just these exercises (contract names). Raises
    ``grader.submission.SubmissionError`` for input that cannot be graded at all,
    ``grader.secret.SecretError`` when the course secret cannot be had, ``HiddenPartMissing``
    when grading needs the hidden part and this install has none (a student's).
    """
    from grader import ahead
    from grader.sandbox.launch import pooled, start_early
    from grader.submission import stage_into, staging_area

    settings = settings or (CHECK if public_only else GRADE)
    start = time.perf_counter()
    # A process that grades a class may have one sandbox for all (``pool_sandboxes``): the
    # submission goes into the folder it binds, and the worker is forked there, booted.
    pool = pooled(settings.isolation, settings.limits)
    # ``bpcourse grade`` may have launched the worker before its command line was parsed.
    early = ahead.take(settings.isolation, settings.limits) if pool is None else None
    area = pool.area() if pool is not None else early[0] if early is not None else \
        staging_area()
    with area as base, _switching_often():
        # The worker boots (numpy's import: a tenth of a second) while the grader imports
        # numpy and the checks, and the submission is staged into the folder it binds.
        started = _pool_start(pool) if pool is not None else \
            early[1] if early is not None else None
        if started is None:
            started = start_early(base / "stage", settings.limits, settings.isolation)
        sandbox = prepared = None
        try:
            # The grader's own preparation (numpy, the checks, the reference, the secret, the
            # plans of the checks' calls: 0.1 s of CPU) in a thread, while this one stages the
            # submission (a child process it only waits for, and signals can stop).
            prepared = _Prepared(public_only, settings, only)
            prepared.start()
            try:
                submission = stage_into(path, base)
                from grader.sandbox import Sandbox  # numpy: imported by the thread meanwhile

                sandbox = Sandbox(base / "stage", limits=settings.limits,
                                  isolation=settings.isolation, started=started)
                # The submission's modules, imported now, while the thread goes on: all those
                # graded in one request (one process imports them, the worker compiles them).
                wanted = {FUNCTION_MODULE[f] for f in only} if only else set(MODULES)
                sandbox.eager = tuple(f"exercises.{m}" for m in MODULES
                                      if m in submission.modules and m in wanted)
                sandbox.start()
                sandbox.import_now()
            finally:
                prepared.ready.wait()
            reference, variants, chosen, seed = prepared.result()
        except BaseException:
            if sandbox is None and started is not None:
                started.abandon()
                started.launcher.close()
            if prepared is not None:
                prepared.join()
            raise
        try:
            from grader.engine import run_checks
            from grader.impl import StudentImpl

            _freeze_imports()
            watched = _Watched(sandbox)
            results = run_checks(StudentImpl(watched), reference, settings,
                                 public_only=public_only, seed=seed, variants=variants,
                                 exercises=chosen)
        finally:
            sandbox.close()
            prepared.join()  # the plans were all made by the exercises that used them
        notes = list(submission.notes)
        if watched.printed:
            notes.append("printed output was discarded (checks never show prints) from "
                         + ", ".join(sorted(watched.printed))
                         + "; to see what a function prints, run it: bpcourse run FUNCTION ARGS")
        broken, waiting = _import_blame(watched.import_errors)
        if waiting and reference is not None:  # grade: the others on the reference's copy
            again = tuple(e for e in chosen if e.module in waiting)
            results.update(_on_reference_copies(submission.root, broken, again, reference,
                                                settings, seed, variants))
            notes.append(_broken_note(broken, watched.import_errors, again, "graded with the "
                                      "reference's copy of it in its place"))
        elif waiting:  # check: those exercises wait for the broken module, uncharged
            again = tuple(e for e in chosen if e.module in waiting)
            for exercise in again:
                results[exercise.name] = ExerciseResult(exercise.name, exercise.module)
            notes.insert(0, _broken_note(broken, watched.import_errors, again, None))
        wanted = {e.module for e in chosen}
        missing = [m for m in MODULES if m not in submission.modules and m in wanted]
        if submission.where is not None:  # notebooks: name cells, never module files
            for name, result in results.items():
                result.where = submission.where.get(name, "not defined in the notebooks")
            missing = []  # the notebook loader's note names the functions not defined
        if missing:
            notes.append("not found in the submission: " + ", ".join(f"{m}.py" for m in missing))
        return GradeReport(results, mode="check" if public_only else "grade",
                           isolation=sandbox.isolation, seconds=time.perf_counter() - start,
                           submission=submission.source, notes=notes)
