"""The stager: a child process that turns untrusted input into the staged package folder.

Run by ``grader.submission.staged`` as ``python -I`` with a JSON request on stdin, or forked
from a stager started once (:func:`zygote`, for a process that stages many). It sets its own
resource limits (address space, CPU, file size, descriptors) before it reads anything of the
submission, then finds, reads, unpacks, parses and rewrites it, and writes ``<base>/stage``.

It reports on stdout, one JSON object a line: ``{"unit": label}`` when it starts on one file,
member or cell and ``{"unit": null}`` when done with it (so that the host knows what to skip if
the child dies or hangs there), then one of ``{"result": {...}}``, ``{"error": "one line"}``
(the submission cannot be graded), ``{"limit": "..."}`` (a limit was hit outside any unit) or
``{"crash": "..."}`` (a bug of ours).
"""
from __future__ import annotations

import itertools
import json
import os
import stat
import sys

from grader.submission._common import EXERCISE_MODULES, Caps, SubmissionError, UnitSkipped
from grader.submission._common import shown


def _emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class Units:
    """Runs one unit of work: a MemoryError or RecursionError in it skips that unit only; a unit
    the host saw kill or stall an earlier attempt is skipped without running."""

    def __init__(self, skip: dict[str, str]):
        self.skip = skip  # label → why it was skipped

    def run(self, label: str, fn, *args):
        if label in self.skip:
            raise UnitSkipped(self.skip[label])
        _emit({"unit": label})
        try:
            return fn(*args)
        except MemoryError:
            raise UnitSkipped("too large to process within the loader's memory limit") from None
        except RecursionError:
            raise UnitSkipped("nested too deeply to process") from None
        finally:
            _emit({"unit": None})


def _limit_self(limits: dict) -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX: the host's timeout still applies
        return

    def cap(what: str, value: int) -> None:
        res = getattr(resource, what, None)
        if res is None:
            return
        soft, hard = resource.getrlimit(res)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        try:
            resource.setrlimit(res, (value, value if what != "RLIMIT_CPU" else
                                     (value + 1 if hard == resource.RLIM_INFINITY
                                      else min(value + 1, hard))))
        except (ValueError, OSError):
            pass

    cap("RLIMIT_AS", limits["memory"])
    cap("RLIMIT_CPU", limits["cpu_seconds"])
    cap("RLIMIT_FSIZE", limits["file_size"])
    cap("RLIMIT_NOFILE", 256)
    cap("RLIMIT_CORE", 0)


def main() -> None:
    request = json.loads(sys.stdin.read())
    _limit_self(request["limits"])
    caps = Caps(**request["caps"])
    units = Units(request["skip"])
    notes: list[str] = []
    try:
        modules, source, where = stage(request["path"], request["base"], caps, notes, units,
                                       request["display"])
    except SubmissionError as exc:
        _emit({"error": str(exc)})
        return
    except (MemoryError, RecursionError) as exc:
        _emit({"limit": type(exc).__name__})
        return
    except Exception as exc:  # noqa: BLE001 - a bug of ours: the host reports it as one
        _emit({"crash": f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"})
        return
    _emit({"result": {"modules": modules, "source": source, "notes": notes, "where": where}})


def zygote() -> None:
    """Fork one stager child per request of the host (``_host._Zygote``), from a process that
    has paid the interpreter's start and this package's imports once (~20 ms of a ~25 ms child).

    The host talks on fd 0, a SOCK_SEQPACKET socket: ``b"F"`` with three descriptors (the
    request's pipe, the report's pipe, the staging folder) forks a child and answers its pid;
    ``b"W<pid>"`` reaps that child and answers its exit code (as ``Popen.returncode``). This
    process never sees a request, only descriptors: what a child inherits from it is the same
    for every submission. A child is reaped only when the host asks, so until then its pid
    cannot be reused and the host may signal it. It exits when the host closes the socket."""
    import gc
    import socket

    # Everything a child may import, now, so that no child pays for it.
    import importlib.util  # noqa: F401
    import resource  # noqa: F401
    import zipfile  # noqa: F401
    from grader.submission import _files, _modules, _notebooks, _zip  # noqa: F401

    control = socket.socket(fileno=0)
    gc.freeze()  # a child's collections then skip (and so never copy) these objects' pages
    while True:
        try:
            msg, fds, _flags, _addr = socket.recv_fds(control, 64, 3)
        except OSError:
            return
        if not msg:
            return
        if msg == b"F" and len(fds) == 3:
            pid = os.fork()
            if pid == 0:
                _forked(control, *fds)
            answer = pid
        else:
            try:
                answer = os.waitstatus_to_exitcode(os.waitpid(int(msg[1:]), 0)[1])
            except (ChildProcessError, ValueError):
                answer = "?"
        for fd in fds:
            os.close(fd)
        control.send(str(answer).encode())


def _forked(control, request: int, report: int, folder: int) -> None:
    """The forked child: set up as ``Popen`` sets up the plain one (the request on stdin, the
    report on stdout, a new session, the staging folder as working folder, no other descriptor),
    then :func:`main`, which sets the limits before it reads anything of the submission."""
    code = 1
    try:
        os.dup2(request, 0)  # replaces the control socket
        control.detach()
        os.dup2(report, 1)
        os.fchdir(folder)
        os.closerange(3, 1 << 20)
        os.setsid()
        sys.stdin = open(0, encoding="utf-8", closefd=False)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
        main()
        sys.stdout.flush()
        code = 0
    finally:  # never back into the zygote's loop, whatever happened
        os._exit(code)


# --------------------------------------------------------------------------------------------
# Finding the submission


def stage(path: str, base: str, caps: Caps, notes: list[str], units: Units,
          display: str) -> tuple[list[str], str, dict[str, str] | None]:
    """Stage the submission at ``path`` into ``base/stage``; (modules found, source, where):
    ``where`` maps each contract function a notebook defines to its cell ("hw.ipynb [code
    cell 3]"), None for a submission of modules.

    ``display``: the path as the user gave it, for messages."""
    from grader.submission import _files

    where = shown(display, 300)
    try:
        st = os.stat(path)  # the user's own argument: a link to it is followed
    except FileNotFoundError:
        if os.path.lexists(path):
            raise SubmissionError(f"{where} is a broken symbolic link") from None
        raise SubmissionError(f"no such file or folder: {where}") from None
    except (OSError, ValueError) as exc:
        raise SubmissionError(
            f"cannot read {where}: {getattr(exc, 'strerror', None) or exc}") from None
    name = os.path.basename(os.path.normpath(path)) or path
    suffix = os.path.splitext(name)[1].lower()
    root = os.path.join(base, "stage")
    pkg = os.path.join(root, "exercises")
    code = _files.Budget(caps.code_bytes)

    if stat.S_ISDIR(st.st_mode):
        try:
            top = _files.Dir.open(path, "", caps.entries, notes)
        except OSError as exc:
            raise SubmissionError(f"cannot read {where}: {exc.strerror or exc}") from None
        label = f"folder {shown(os.path.basename(os.path.realpath(path)) or display)}/"
    elif stat.S_ISREG(st.st_mode):
        if suffix == ".py":
            raise SubmissionError(
                f"{shown(name)} is a single module; pass the folder that holds "
                f"{', '.join(m + '.py' for m in EXERCISE_MODULES)} (or a .zip of it)")
        try:
            fd = _files.open_file(path)
        except OSError as exc:
            raise SubmissionError(f"cannot read {where}: {exc.strerror or exc}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since the stat above
            os.close(fd)
            raise SubmissionError(f"{where} is not a regular file")
        if suffix == ".ipynb":
            _new_package(pkg)
            budget = _files.Budget(caps.total_bytes)

            def read() -> bytes:
                return _files.read_fd(fd, name, caps.file_bytes, budget)

            where: dict[str, str] = {}
            modules, source = _notebooks().stage_notebooks([(name, read)], pkg, "", caps, code,
                                                           notes, units, where)
            _open_up(root)
            return modules, source, where
        if suffix != ".zip" and not _looks_like_zip(fd):
            os.close(fd)
            raise SubmissionError(
                f"{where} is neither a folder, a .zip nor a notebook (.ipynb)")
        from grader.submission import _zip

        unpacked = os.path.join(base, "unpacked")
        os.mkdir(unpacked, 0o700)
        _zip.unzip(fd, name, unpacked, caps, notes, units)
        top = _files.Dir.open(unpacked, "", caps.entries, notes)
        label = f"zip {shown(name)}"
    else:
        raise SubmissionError(f"{where} is neither a folder, a .zip nor a notebook (.ipynb)")

    folder, layout, kind = _locate(top, notes, label)
    _new_package(pkg)
    budget = _files.Budget(caps.total_bytes)
    if kind == "modules":
        from grader.submission._modules import stage_modules

        modules = stage_modules(folder, pkg, caps, budget, code, notes, units)
        parts = [p for p in (layout, f"{len(modules)} modules") if p]
        source = f"{label} ({', '.join(parts)})"
        where = None
    else:
        files = [(n, _reader(folder, n, caps, budget)) for n in _notebook_names(folder)]
        where = {}
        modules, source = _notebooks().stage_notebooks(files, pkg, label, caps, code, notes,
                                                       units, where)
    _open_up(root)
    return modules, source, where


def _looks_like_zip(fd: int) -> bool:
    import zipfile

    try:
        with open(fd, "rb", closefd=False) as f:
            return zipfile.is_zipfile(f)
    except OSError:
        return False


def _notebooks():
    from grader.submission import _notebooks

    return _notebooks


def _reader(folder, name: str, caps: Caps, budget):
    return lambda: folder.read(name, caps.file_bytes, budget)


def _new_package(pkg: str) -> None:
    os.makedirs(pkg, 0o700, exist_ok=True)  # the host may have made it (staging_area)
    with open(os.path.join(pkg, "__init__.py"), "x", encoding="utf-8"):
        pass


def _open_up(root: str) -> None:
    """The sandbox runs as an unprivileged user: it must be able to read the staged files."""
    for dirpath, _dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), 0o644)


def _ignored(name: str) -> bool:
    from grader.submission._zip import ignored

    return ignored(name)


def _candidates(root, notes: list[str]) -> list[tuple[object, str]]:
    """Where the modules may sit, in order of preference when two places hold as many."""
    found = []
    if root.kind("exercises") == "link":
        notes.append("ignored exercises/: a symbolic link")
    elif root.kind("exercises") == "dir":
        found.append((root.subdir("exercises"), "exercises/ inside"))
    found.append((root, ""))
    subdirs = [n for n in root.names("dir") if not _ignored(n)]
    if len(subdirs) == 1 and subdirs[0] != "exercises":
        top = root.subdir(subdirs[0])
        if top is not None:
            name = shown(subdirs[0])
            if top.kind("exercises") == "link":
                notes.append(f"ignored {name}/exercises/: a symbolic link")
            elif top.kind("exercises") == "dir":
                found.append((top.subdir("exercises"), f"{name}/exercises/ inside"))
            found.append((top, f"single top folder {name}/"))
    return [(d, layout) for d, layout in found if d is not None]


def _locate(root, notes: list[str], label: str):
    """The folder holding the modules (or else the notebooks), its description, and which."""
    candidates = _candidates(root, notes)
    best = None
    holders = []
    for folder, layout in candidates:
        count = sum(folder.kind(f"{m}.py") == "file" for m in EXERCISE_MODULES)
        if count:
            holders.append(folder)
        if count and (best is None or count > best[0]):
            best = (count, folder, layout)
    if best is not None:
        for other in holders:
            if other is not best[1]:
                notes.append(f"also found exercise modules in {_rel(other)}; graded "
                             f"{_rel(best[1])}")
        if _notebook_names(best[1]):
            notes.append("ignored the notebooks: the .py modules were graded")
        return best[1], best[2], "modules"
    # Notebooks usually sit at the top; "exercises/" is for modules.
    order = [c for c in candidates if c[1] == ""] + [c for c in candidates if c[1] != ""][::-1]
    for folder, layout in order:
        if _notebook_names(folder):
            return folder, layout, "notebooks"
    zips = [n for n in root.kinds() if n.lower().endswith(".zip")]
    hint = f"; pass the archive {shown(zips[0])} itself" if len(zips) == 1 and \
        label.startswith("folder") else ""
    raise SubmissionError(
        f"no exercise modules ({', '.join(m + '.py' for m in EXERCISE_MODULES)}) "
        f"and no notebooks found in {label}{hint}")


def _rel(folder) -> str:
    return shown(folder.rel) if folder.rel else "the top folder"


def _notebook_names(folder) -> list[str]:
    names = [n for n in folder.names("file")
             if n.lower().endswith(".ipynb") and not n.startswith(".")
             and not n[:-len(".ipynb")].endswith("-checkpoint")]
    return sorted(names, key=_natural_key)


def _natural_key(name: str) -> list:
    """Sort "2-x" before "10-x": notebooks are numbered by people (digits compared as numbers,
    without int(): a name may hold more digits than int() accepts)."""
    key = []
    for digits, group in itertools.groupby(name, key=lambda c: "0" <= c <= "9"):
        text = "".join(group)
        if digits:
            n = text.lstrip("0") or "0"
            key.append((0, len(n), n))
        else:
            key.append((1, 0, text.lower()))
    return key


if __name__ == "__main__":  # pragma: no cover
    main()
