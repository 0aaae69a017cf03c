"""The README's two commands stay true: CI runs exactly the test command."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section, flags=re.S)


def test_readme_has_exactly_two_setup_commands():
    commands = readme_commands()
    assert len(commands) == 2
    assert "observatory serve" in commands[0]
    assert "pytest" in commands[1] and "chromium" in commands[1]


def test_ci_runs_the_readme_test_command_and_nothing_else():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line for line in ci.splitlines()
             if line.strip() and not line.startswith("#") and not line.startswith(("set ", "cd "))]
    assert lines == [readme_commands()[1]]
