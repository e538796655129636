"""The README documents every command and every feed kind's keys."""

from __future__ import annotations

from pathlib import Path

from tracker import sources
from tracker.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_readme():
    for name, command in cli.commands.items():
        assert f"tracker {name}" in README or f"`{name}`" in README, name
        for sub in getattr(command, "commands", {}):
            assert f"{name} {sub}" in README, f"{name} {sub}"


def test_every_feed_kind_and_key_is_in_the_configuration_reference():
    for kind, cls in sources.load_all().items():
        assert f"`{kind}`" in README, kind
        for key in cls.keys:
            assert f"`{key}`" in README, f"{kind}.{key}"


def test_the_architecture_section_names_every_module_and_package():
    section = README[README.index("## Architecture"):README.index("## Development")]
    package = Path(__file__).resolve().parent.parent / "tracker"
    for path in sorted(package.iterdir()):
        if path.name.startswith("_") or path.name == "data":
            continue
        if path.is_dir():
            assert f"{path.name}/" in section, path.name
        elif path.suffix == ".py":
            assert path.name in section, path.name
