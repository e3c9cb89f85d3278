"""The README's two fresh-machine commands exist and CI runs the README's test command."""
import os.path as osp
import re

from helpers import REPO


def readme_commands():
    with open(osp.join(REPO, 'README.md'), encoding='utf-8') as f:
        block = re.search(r'```bash\n(.*?)```', f.read(), re.S).group(1)
    return [line for line in block.splitlines() if line and not line.startswith('#')]


def test_readme_starts_with_the_two_commands():
    main_job, tests = readme_commands()
    assert main_job == 'bash tools/quickstart.sh'
    assert 'pytest' in tests and tests.startswith('bash tools/setup_env.sh')
    for command in (main_job, tests):
        script = command.split()[1]
        assert osp.isfile(osp.join(REPO, script)), script


def test_ci_runs_the_readme_test_command():
    _, tests = readme_commands()
    with open(osp.join(REPO, '.ci', 'run'), encoding='utf-8') as f:
        ci_lines = [line.strip() for line in f]
    assert tests in ci_lines
