"""The documentation builds without warnings and every example in README.md and docs/ runs as
written. Python blocks of one page run in order in one namespace (they build on each other), in a
temporary folder that sees the repository's examples/; a block preceded by the line
`<!-- slow -->` runs only under `-m slow`. Shell blocks are checked in `test_cli_examples`: each
`ntk-freq` line's subcommand and options are parsed by the real command (`--help` appended is
not enough: click must accept every option), without running the computation."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"(?P<mark><!-- slow -->\s*\n)?```(?P<lang>\w+)\n(?P<code>.*?)```", re.S)


def blocks(page: Path, lang: str):
    return [(bool(m["mark"]), m["code"]) for m in BLOCK.finditer(page.read_text()) if m["lang"] == lang]


def test_docs_build_without_warnings(tmp_path):
    out = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert (tmp_path / "site" / "theory" / "index.html").exists()


def _run_page(page: Path, include_slow: bool, monkeypatch, tmp_path):
    (tmp_path / "examples").symlink_to(ROOT / "examples")  # the shipped example files, as in a clone
    monkeypatch.chdir(tmp_path)  # what the examples write stays out of the repository
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": f"docs_{page.stem}"}
    ran = 0
    for slow, code in blocks(page, "python"):
        if slow and not include_slow:
            continue
        exec(compile(code, f"{page.name}:python-block", "exec"), namespace)
        ran += 1
    return ran


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_python_examples_run(page, monkeypatch, tmp_path):
    _run_page(page, False, monkeypatch, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_python_examples_run_including_slow_ones(page, monkeypatch, tmp_path):
    _run_page(page, True, monkeypatch, tmp_path)


def _cli_lines():
    for page in PAGES:
        for lang in ("bash", "sh", "console"):
            for _, code in blocks(page, lang):
                for line in code.splitlines():
                    line = line.split(" #")[0].strip()
                    for part in line.split("&&"):
                        part = part.strip()
                        if part.startswith("ntk-freq "):
                            yield page.name, part


@pytest.mark.parametrize("where,line", list(_cli_lines()))
def test_cli_examples_parse(where, line):
    """Every documented `ntk-freq …` line names real subcommands and options with valid values
    (click parses it completely; the command's body is replaced so nothing is computed)."""
    import click

    from ntk_freq.cli import main

    args = shlex.split(line)[1:]
    if not args or args[0].startswith("-"):
        main.make_context("ntk-freq", args)
        return
    cmd = main.get_command(None, args[0])
    assert cmd is not None, f"{where}: unknown subcommand in {line!r}"
    try:
        cmd.make_context(args[0], args[1:])
    except click.exceptions.Exit:
        pass
    except click.BadParameter as error:  # the user's own data file, named only as an example
        if "does not exist" not in str(error):
            raise
