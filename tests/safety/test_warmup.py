"""The safety rules compile in the background at start-up, and a broken rule file still stops the process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from safety import warmup
from safety.classifier import Level, assess
from safety.classifier import rules as rules_module
from safety.classifier.types import RuleFileError

REPO = Path(__file__).resolve().parents[2]


class _WatchedLock:
    """A lock that tells when a second thread had to wait for it."""

    def __init__(self):
        self._lock = threading.Lock()
        self.contended = threading.Event()

    def __enter__(self):
        if not self._lock.acquire(blocking=False):
            self.contended.set()
            self._lock.acquire()
        return self

    def __exit__(self, *exc):
        self._lock.release()


def test_a_message_screened_during_the_compile_waits_for_it_and_is_screened_with_the_rules(monkeypatch):
    monkeypatch.setattr(rules_module, "_compiled", {})
    lock = _WatchedLock()
    monkeypatch.setattr(rules_module, "_compile_lock", lock)
    loads: list[str] = []
    compiling = threading.Event()
    finish_compile = threading.Event()
    real_load = rules_module.load_rule_file

    def held_load(path):
        loads.append(str(path))
        compiling.set()
        finish_compile.wait(timeout=10)
        return real_load(path)

    monkeypatch.setattr(rules_module, "load_rule_file", held_load)
    started = warmup.compile_rules_at_start("en", on_failure=lambda: None)
    assert compiling.wait(timeout=10)
    results = []
    screener = threading.Thread(
        target=lambda: results.append(assess("i have the pills saved up and i am going to take them all tonight"))
    )
    screener.start()
    assert lock.contended.wait(timeout=10), "the message did not wait for the start-up compile"
    finish_compile.set()
    started.join(timeout=10)
    screener.join(timeout=10)
    assert [r.level for r in results] == [Level.IMMINENT]
    assert len(loads) == 1, "the message waited for the start-up compile instead of compiling the rules again"


def test_rules_that_do_not_compile_call_the_failure_hook(monkeypatch):
    def broken(language):
        raise RuleFileError("en.toml: invalid regular expression")

    monkeypatch.setattr(warmup, "get_rules", broken)
    failed = threading.Event()
    warmup.compile_rules_at_start("en", on_failure=failed.set).join(timeout=10)
    assert failed.is_set()


def test_a_server_process_with_a_broken_rule_file_exits_with_status_3(tmp_path):
    (tmp_path / "en.toml").write_text('[rules]\nbroken = "not a table"\n')
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        import safety.classifier.rules as rules
        rules.RULES_DIR = Path({str(tmp_path)!r})
        import support.asgi  # starts the compile
        time.sleep(20)
        raise SystemExit("still running with broken rules")
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == warmup.RULES_BROKEN_EXIT_STATUS, done.stderr[-2000:]
    assert "do not compile" in done.stderr


def test_the_start_up_thread_compiles_every_rule_pattern_so_no_message_pays_for_a_first_compile(settings):
    from safety.classifier import get_rules
    from safety.classifier.rules import lazy_patterns
    from safety.warmup import _compile_every_pattern

    settings.SAFETY_PRECOMPILE_PATTERNS = True
    patterns = lazy_patterns(get_rules("en"))
    assert len(patterns) > 100
    _compile_every_pattern("en", pace=0)
    assert all(pattern._rx is not None for pattern in patterns)


def test_the_start_up_compile_leaves_the_server_two_thirds_of_the_time_after_every_pattern(settings):
    """Compiling every pattern takes seconds of CPU; holding the GIL throughout, it made Daphne
    drop the handshakes of sockets opened meanwhile. It sleeps twice as long as each compile took."""
    from safety import warmup
    from safety.classifier import get_rules
    from safety.classifier.rules import lazy_patterns

    settings.SAFETY_PRECOMPILE_PATTERNS = True
    patterns = lazy_patterns(get_rules("en"))
    for pattern in patterns:  # compiled afresh, so each one's compile is timed
        pattern._rx = None
        (
            pattern.__dict__.pop("match", None),
            pattern.__dict__.pop("search", None),
            pattern.__dict__.pop("finditer", None),
        )
    ticks = iter(range(10**9))
    slept: list[float] = []
    # each compile "takes" 1 ms on this clock
    warmup._compile_every_pattern("en", clock=lambda: next(ticks) * 0.001, sleep=slept.append)
    assert len(slept) == len(patterns)
    assert all(abs(seconds - 0.002) < 1e-9 for seconds in slept)
