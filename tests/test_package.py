"""The package as users get it: every module imports, every tool answers --help, and a non-editable
install (a wheel's files, no checkout on the path) has all of it, package data included."""
import glob
import importlib
import os.path as osp
import pkgutil
import subprocess
import sys

import pytest
from helpers import REPO, run_in_process

import qmat

TOOLS = sorted(osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'tools', '**', '*.py'), recursive=True))


def qmat_modules():
    return [info.name for info in pkgutil.walk_packages(qmat.__path__, 'qmat.')]


def test_every_module_imports():
    modules = qmat_modules()
    assert {'qmat.experiments.study', 'qmat.apps.report', 'qmat.evaluation.metrics'} <= set(modules)
    for name in modules:
        importlib.import_module(name)


@pytest.mark.parametrize('tool', TOOLS)
def test_every_tool_answers_help(tool):
    result = run_in_process(tool, '--help')
    assert result.returncode == 0 and result.stdout.startswith('usage:'), result.stderr[-1000:]


# what each package may not import: the layers above it (tools -> experiments, apps -> evaluation, apis ->
# models, datasets -> engine -> utils)
TOP = ('qmat.apps', 'qmat.experiments')
ABOVE = {
    'utils': ('qmat',),
    'datasets': ('qmat.engine', 'qmat.models', 'qmat.evaluation', 'qmat.apis', *TOP),
    'engine': ('qmat.models', 'qmat.evaluation', 'qmat.apis', *TOP),
    'models': ('qmat.engine', 'qmat.evaluation', 'qmat.apis', *TOP),
    'evaluation': ('qmat.apis', *TOP),
    'apis': TOP,
}


@pytest.mark.parametrize('package', ABOVE)
def test_layers_point_down(package):
    for path in glob.glob(osp.join(REPO, 'qmat', package, '**', '*.py'), recursive=True):
        for line in open(path, encoding='utf-8'):
            words = line.split()
            if len(words) > 1 and words[0] in ('from', 'import'):
                module = words[1]
                assert not any(module == f or module.startswith(f + '.') for f in ABOVE[package]), \
                    f'{path}: {line.strip()}'


@pytest.mark.slow
def test_non_editable_install_has_every_module_and_the_report_template(tmp_path):
    target = tmp_path / 'site'
    subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet', '--no-deps', '--no-build-isolation',
                    '--target', str(target), REPO], check=True, capture_output=True)
    check = ('import importlib, pkgutil, qmat, qmat.apps.report as report\n'
             f'assert qmat.__file__.startswith({str(target)!r}), qmat.__file__\n'
             'names = [i.name for i in pkgutil.walk_packages(qmat.__path__, "qmat.")]\n'
             '[importlib.import_module(n) for n in names]\n'
             'assert "<table id=\\"flakes\\">" in report.TEMPLATE.template\n'
             'print(len(names))')
    env = {'PYTHONPATH': str(target), 'PATH': '/usr/bin:/bin'}
    result = subprocess.run([sys.executable, '-c', check], cwd=str(tmp_path), capture_output=True, text=True,
                            env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.strip()) == len(qmat_modules())
    for tool in ('tools/train.py', 'tools/experiments/missing_study.py', 'tools/hunting/hunt.py'):
        helped = subprocess.run([sys.executable, osp.join(REPO, tool), '--help'], cwd=str(tmp_path),
                                capture_output=True, text=True, env=env)
        assert helped.returncode == 0 and helped.stdout.startswith('usage:'), helped.stderr[-2000:]
