"""
mfdag_contain: run a command so that no process it starts outlives it (Linux).

    python3 -I -S -B mfdag_contain.py -- PROGRAM [ARG ...]

Standard library only (Python 3.6+: it runs under whatever interpreter the user's flows need).
The launcher marks itself a child subreaper (prctl PR_SET_CHILD_SUBREAPER), so a process the
command starts that double-forks and calls setsid is re-parented to the launcher instead of to
init; it then runs PROGRAM as its child with the same stdin, stdout, stderr, environment and cwd.
When PROGRAM exits, and when the launcher gets SIGTERM, SIGINT or SIGHUP, it SIGKILLs every
descendant it still has, reaps them, and only then exits: with PROGRAM's exit code, or killed by
PROGRAM's signal (or by the signal it got), so the caller sees what it would have seen without it.
The launcher itself writes nothing, except one line on stderr when PROGRAM cannot be started.

The fork server imports this module for become_subreaper, direct_children and descendants: there
the server itself is the keeper (see mfdag_forkserver.py).

Where there is no subreaper (macOS, BSDs, seccomp forbidding prctl), descendants that leave the
command's process group cannot be found; `subreaper_supported()` says so, and callers fall back
to killing the process group. What no keeper can do: survive a SIGKILL (from the caller, or from
the contained code, which runs as the same user), or reach processes that other services start on
the contained code's behalf (systemd --user, at/cron, a container daemon, sudo).
"""

import os
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>
# How long a sweep may take: a contained process in uninterruptible sleep dies when it wakes.
SWEEP_SECONDS = 5.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

_prctl = None


def _load_prctl():
    """libc's prctl, or None (not Linux, no ctypes, no libc). Loaded once: the fork server calls
    it in every keeper, which must not pay for importing ctypes again."""
    global _prctl
    if _prctl is None and sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            function = libc.prctl
            function.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
            function.restype = ctypes.c_int
            _prctl = function
        except Exception:
            _prctl = False
    return _prctl or None


def become_subreaper():
    """Orphaned descendants of this process are re-parented to it, not to init. True when set."""
    prctl = _load_prctl()
    if prctl is None or not os.path.isdir("/proc/self"):
        return False
    try:
        return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except Exception:
        return False


def subreaper_supported():
    """Whether this process can contain its descendants (Linux with /proc and a working prctl)."""
    return _load_prctl() is not None and os.path.isdir("/proc/self")


# --- finding and killing descendants -------------------------------------------------------------


def _parents():
    """{pid: ppid} for every process in /proc (ppid is the 4th field of stat, after the name in
    parentheses, which may itself contain spaces and parentheses)."""
    table = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as handle:
                stat = handle.read()
        except OSError:
            continue  # it exited
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) >= 2:
            try:
                table[int(name)] = (int(fields[1]), fields[0])
            except ValueError:
                pass
    return table


def descendants(root, skip=()):
    """Pids below `root` that are not zombies, not descending into the pids in `skip`."""
    table = _parents()
    children = {}
    for pid, (ppid, _state) in table.items():
        children.setdefault(ppid, []).append(pid)
    found = []
    stack = list(children.get(root, ()))
    while stack:
        pid = stack.pop()
        if pid in skip:
            continue
        if table[pid][1] != b"Z":
            found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


def direct_children():
    """This process's children (pids). /proc/self/task/TID/children is one small read
    (CONFIG_PROC_CHILDREN, in every distribution kernel); without it, a walk of /proc. Threads of
    this process other than the main one are not looked at: the callers have none."""
    try:
        with open("/proc/self/task/%d/children" % os.getpid(), "rb") as handle:
            return [int(pid) for pid in handle.read().split()]
    except (OSError, ValueError):
        me = os.getpid()
        return [pid for pid, (ppid, _state) in _parents().items() if ppid == me]


def _reap_all():
    """Reaps the children that have exited. True when this process has no children left."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return True
        except InterruptedError:
            continue
        if pid == 0:
            return False


def sweep(deadline):
    """SIGKILLs every descendant of this process and reaps them, until none is left or `deadline`
    (time.monotonic()) passes. Killing a process re-parents its children to this subreaper, and a
    process can fork between the walk and the kill, so it walks again until nothing is left.
    Nothing is walked when this process has no children: the common case costs one waitpid."""
    pause = 0.001
    while not _reap_all():
        for pid in descendants(os.getpid()):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass  # exited meanwhile, or not ours to signal (a setuid program)
        if _reap_all() or time.monotonic() >= deadline:
            return
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


# --- the keeper ----------------------------------------------------------------------------------


class _Stop(Exception):
    def __init__(self, signum):
        Exception.__init__(self, signum)
        self.signum = signum


def _on_stop(signum, _frame):
    raise _Stop(signum)


def _exit_like(status):
    """Ends this process the way the child with this wait status ended."""
    if os.WIFEXITED(status):
        os._exit(os.WEXITSTATUS(status))
    signum = os.WTERMSIG(status) if os.WIFSIGNALED(status) else signal.SIGKILL
    _die_by(signum)


def _die_by(signum):
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a copy of us is not worth a core file
    except Exception:
        pass
    try:
        signal.signal(signum, signal.SIG_DFL)
    except (OSError, ValueError, RuntimeError):
        pass  # SIGKILL cannot be caught anyway
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signum])
    except (OSError, ValueError, AttributeError):
        pass
    os.kill(os.getpid(), signum)
    os._exit(128 + int(signum))  # a signal whose default is to be ignored


def keep(run_child):
    """Runs `run_child()` in a forked child and never returns: waits for it, kills and reaps every
    descendant left, then exits as the child did. Call become_subreaper() first. `run_child` must
    not return (it execs, or ends with os._exit). SIGTERM, SIGINT and SIGHUP to the keeper kill the child and everything it started, then the
    keeper dies of that signal."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        pid = os.fork()
    except OSError as error:
        os.write(2, ("mfdag: cannot fork: %s\n" % error.strerror).encode("utf-8", "replace"))
        os._exit(1)
    if pid == 0:
        try:
            for signum in STOP_SIGNALS:
                signal.signal(signum, signal.SIG_DFL if signum != signal.SIGINT else signal.default_int_handler)
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
            run_child()
        finally:
            os._exit(1)
    try:
        for signum in STOP_SIGNALS:
            signal.signal(signum, _on_stop)
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # a pending stop signal raises here
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except ChildProcessError:
                status = 0
                break
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)  # the sweep must not be interrupted
        sweep(time.monotonic() + SWEEP_SECONDS)
        _exit_like(status)
    except _Stop as stop:
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        sweep(time.monotonic() + SWEEP_SECONDS)
        _die_by(stop.signum)
    finally:
        os._exit(1)


def _exec(argv):
    # What subprocess does before exec: Python ignores SIGPIPE and SIGXFSZ, and an ignored signal
    # stays ignored across exec; the program must start as it would without this launcher.
    for name in ("SIGPIPE", "SIGXFZ", "SIGXFSZ"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    try:
        os.execvp(argv[0], argv)
    except OSError as error:
        os.write(2, ("mfdag: cannot run %s: %s\n" % (argv[0], error.strerror)).encode("utf-8", "replace"))
        os._exit(127)


def main(argv):
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        os.write(2, b"usage: mfdag_contain.py -- PROGRAM [ARG ...]\n")
        return 2
    become_subreaper()  # without it, keep() still kills what stays below the child
    keep(lambda: _exec(argv))
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
