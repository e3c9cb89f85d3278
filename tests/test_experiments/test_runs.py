import os
import signal
import subprocess
import sys
import textwrap
import time


def test_sigterm_to_a_runner_ends_the_trainings_it_started(tmp_path):
    """``kill`` on a study runner must not leave its tools/train.py training on, holding the cores."""
    tools = tmp_path / 'tools'
    tools.mkdir()
    (tools / 'train.py').write_text(textwrap.dedent(f'''
        import os, time
        open({str(tmp_path / 'pid')!r}, 'w').write(str(os.getpid()))
        time.sleep(120)
    '''))
    runner = subprocess.Popen([sys.executable, '-c', textwrap.dedent(f'''
        from qmat.experiments.runs import side_by_side, train
        side_by_side([lambda: train({str(tools)!r}, 'config.py', 'work')], jobs=1)
    ''')])
    pid_file = tmp_path / 'pid'
    deadline = time.monotonic() + 60
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    training = int(pid_file.read_text())

    runner.send_signal(signal.SIGTERM)
    assert runner.wait(timeout=30) == 128 + signal.SIGTERM
    try:
        os.kill(training, 0)
    except ProcessLookupError:
        return
    os.kill(training, signal.SIGKILL)
    raise AssertionError(f'training {training} outlived its runner')
