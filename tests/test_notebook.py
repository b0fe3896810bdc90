"""helpers.notebook: the macros come from _config.yml, the single definition."""

import pytest

from helpers.notebook import book_macros, macro_definitions


def test_macros_are_read_from_the_config():
    macros = book_macros()
    assert macros["E"] == r"\mathbb{E}" and macros["KL"] == r"\operatorname{KL}"


def test_macro_definitions_are_newcommands():
    assert macro_definitions({"E": r"\mathbb{E}"}) == r"\newcommand{\E}{\mathbb{E}}"


def test_missing_config_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        book_macros(tmp_path / "_config.yml")
    (tmp_path / "_config.yml").write_text("title: no macros\n")
    with pytest.raises(ValueError, match="defines no"):
        book_macros(tmp_path / "_config.yml")


def test_macro_definitions_follow_one_another():
    assert macro_definitions({"E": r"\mathbb{E}", "KL": r"\operatorname{KL}"}) == (
        r"\newcommand{\E}{\mathbb{E}}\newcommand{\KL}{\operatorname{KL}}")


def test_setup_chapter_displays_the_macros_as_math(monkeypatch):
    import helpers.notebook as notebook
    shown = []
    monkeypatch.setattr(notebook, "display", shown.append)
    monkeypatch.setattr(notebook, "use_book_style", lambda: None)
    notebook.setup_chapter()
    assert len(shown) == 1 and r"\newcommand{\E}{\mathbb{E}}" in shown[0].data
