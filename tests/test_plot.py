"""optiform.plot and `--plot`: pictures of Pareto fronts that matplotlib can read back."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from optiform.cli import app
from optiform.plot import DPI, SIZE_INCHES, PlotError, plot_fronts

pytest.importorskip("matplotlib")
from matplotlib import image  # noqa: E402

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "biobjective_knapsack.opt"
WIDTH, HEIGHT = (int(s * DPI) for s in SIZE_INCHES)


def test_cli_plot_writes_a_png_of_the_front(tmp_path: Path) -> None:
    out = tmp_path / "front.png"
    result = CliRunner().invoke(app, ["solve", str(EXAMPLE), "--pareto", "10",
                                      "--plot", str(out)])
    assert result.exit_code == 0, result.stderr
    assert f"front drawn to {out}" in result.stdout
    assert out.stat().st_size > 0
    assert image.imread(out).shape[:2] == (HEIGHT, WIDTH)


def test_cli_plot_with_json_writes_svg(tmp_path: Path) -> None:
    out = tmp_path / "front.svg"
    result = CliRunner().invoke(app, ["solve", str(EXAMPLE), "--pareto", "4", "--json",
                                      "--plot", str(out)])
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert "<svg" in text and "usefulness (maximize)" in text
    assert "biobjective_knapsack" in text


def test_plot_fronts_draws_two_fronts_side_by_side_and_three_objectives(tmp_path: Path) -> None:
    exact = np.array([[1.0, 5.0], [2.0, 3.0], [4.0, 1.0]])
    sampled = exact + 0.5
    out = plot_fronts(tmp_path / "both.png", {"exact": exact, "sampled": sampled},
                      ["cost", "time"], ["minimize", "minimize"], "two fronts")
    assert image.imread(out).shape[:2] == (HEIGHT, WIDTH)
    pdf = plot_fronts(tmp_path / "three.pdf", {"exact": np.eye(3)}, ["a", "b", "c"],
                      ["minimize", "maximize", "minimize"], "three")
    assert pdf.read_bytes().startswith(b"%PDF")


def test_plot_fronts_refuses_what_it_cannot_draw(tmp_path: Path) -> None:
    with pytest.raises(PlotError, match=r"\.png, \.svg, \.pdf"):
        plot_fronts(tmp_path / "front.jpg", {}, ["a", "b"], ["minimize"] * 2, "t")
    with pytest.raises(PlotError, match="two or three"):
        plot_fronts(tmp_path / "front.png", {}, ["a"], ["minimize"], "t")
    with pytest.raises(PlotError, match="columns"):
        plot_fronts(tmp_path / "front.png", {"x": np.ones((2, 3))}, ["a", "b"],
                    ["minimize"] * 2, "t")
    with pytest.raises(PlotError, match="cannot write"):
        plot_fronts(tmp_path / "missing" / "front.png", {"x": np.ones((2, 2))}, ["a", "b"],
                    ["minimize"] * 2, "t")


def test_cli_plot_needs_pareto_and_a_known_suffix(tmp_path: Path) -> None:
    alone = CliRunner().invoke(app, ["solve", str(EXAMPLE), "--plot", str(tmp_path / "f.png")])
    assert alone.exit_code == 2
    assert "--pareto" in alone.stderr
    jpg = CliRunner().invoke(app, ["solve", str(EXAMPLE), "--pareto", "3",
                                   "--plot", str(tmp_path / "f.jpg")])
    assert jpg.exit_code == 2
    assert ".png" in jpg.stderr
    assert not (tmp_path / "f.jpg").exists()


def test_without_matplotlib_the_error_says_how_to_install_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import now fails
    result = CliRunner().invoke(app, ["solve", str(EXAMPLE), "--pareto", "3",
                                      "--plot", str(tmp_path / "f.png")])
    assert result.exit_code == 5
    assert "pip install 'optiform[plot]'" in " ".join(result.stderr.split())
    assert not (tmp_path / "f.png").exists()


def test_cli_plot_to_a_missing_folder_fails_after_the_solve(tmp_path: Path) -> None:
    out = tmp_path / "missing" / "front.png"
    result = CliRunner().invoke(app, ["solve", str(EXAMPLE), "--pareto", "3",
                                      "--plot", str(out)])
    assert result.exit_code == 2
    assert "cannot write" in result.stderr
