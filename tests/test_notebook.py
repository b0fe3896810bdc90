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
