"""The apps import one way only: desk > portal > subsidies > assessment > stations > core.

The contract lives in pyproject.toml ([tool.importlinter]) and CI runs `lint-imports`; running it
here too means `make test` catches an import against the direction before CI does.
"""

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The command installed next to the interpreter running the tests (.venv/bin/lint-imports).
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own virtualenv's command, fixed arguments
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def _contract() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def test_the_apps_import_one_way_only():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_contract_names_every_app_in_order():
    (contract,) = _contract()["contracts"]
    assert contract["type"] == "layers"
    assert contract["layers"] == ["desk", "portal", "subsidies", "assessment", "stations", "core"]


def test_an_import_against_the_direction_breaks_the_contract(tmp_path):
    # The same contract over a tiny tree in which stations imports assessment inside a function,
    # the way the portal's home view once did: the check must see it.
    config = _contract()
    for package in config["root_packages"]:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "stations" / "views.py").write_text(
        textwrap.dedent(
            """
            def home():
                from assessment.selectors import assignment_list

                return assignment_list
            """
        )
    )
    (tmp_path / "assessment" / "selectors.py").write_text("def assignment_list():\n    return []\n")
    contract = config["contracts"][0]
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""
            [tool.importlinter]
            root_packages = {config["root_packages"]!r}

            [[tool.importlinter.contracts]]
            name = "layers"
            type = "layers"
            layers = {contract["layers"]!r}
            """
        )
    )
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "stations.views -> assessment.selectors" in result.stdout
