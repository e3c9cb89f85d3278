import os
import signal
import subprocess
import sys
import textwrap
import time


def test_sigterm_to_a_runner_ends_its_trainings_and_starts_no_more(tmp_path):
    """``kill`` on a study runner must not leave its tools/train.py training on, nor start the next run."""
    tools, started = tmp_path / 'tools', tmp_path / 'started'
    tools.mkdir()
    started.mkdir()
    (tools / 'train.py').write_text(textwrap.dedent(f'''
        import os, sys, time
        work = sys.argv[sys.argv.index('--work-dir') + 1]
        open(os.path.join({str(started)!r}, work), 'w').write(str(os.getpid()))
        time.sleep(120)
    '''))
    runner = subprocess.Popen([sys.executable, '-c', textwrap.dedent(f'''
        from qmat.experiments.runs import side_by_side, train
        tasks = [lambda work=work: train({str(tools)!r}, 'config.py', work) for work in ('a', 'b')]
        side_by_side(tasks, jobs=1)
    ''')])
    deadline = time.monotonic() + 60
    while not ((started / 'a').exists() and (started / 'a').read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    training = int((started / 'a').read_text())

    runner.send_signal(signal.SIGTERM)
    assert runner.wait(timeout=30) == 128 + signal.SIGTERM
    time.sleep(1)
    leftover = [int(f.read_text()) for f in started.iterdir() if f.read_text()]
    try:
        os.kill(training, 0)
    except ProcessLookupError:
        assert sorted(f.name for f in started.iterdir()) == ['a'], 'the next run started after SIGTERM'
        return
    finally:
        for pid in leftover:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    raise AssertionError(f'training {training} outlived its runner')
