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


def test_book_files_come_from_the_repository_else_from_the_wheels_copy(monkeypatch, tmp_path):
    from helpers import book_files
    assert book_files.book_file("_config.yml") == book_files.REPOSITORY / "_config.yml"
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "jensen.md").write_text("# copy\n")
    monkeypatch.setattr(book_files, "REPOSITORY", tmp_path / "elsewhere")
    monkeypatch.setattr(book_files, "PACKAGED", tmp_path)
    assert book_files.book_file("book/jensen.md") == tmp_path / "book" / "jensen.md"
    assert book_files.book_file("book/none.md") == tmp_path / "elsewhere" / "book" / "none.md"
    with pytest.raises(ValueError, match="relative must be a path inside the book"):
        book_files.book_file("/etc/passwd")


def test_glue_without_myst_nb_only_displays(monkeypatch):
    import builtins
    import importlib

    import helpers.notebook as notebook
    real_import = builtins.__import__

    def no_myst_nb(name, *args, **kwargs):
        if name == "myst_nb":
            raise ModuleNotFoundError("No module named 'myst_nb'", name="myst_nb")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_myst_nb)
    plain = importlib.reload(notebook)
    try:
        shown = []
        monkeypatch.setattr(plain, "display", shown.append)
        assert plain._myst_glue is None
        plain.glue("gap", 0.5, display=False)
        plain.glue("gap", 0.25)
        assert shown == [0.25]
        with pytest.raises(ValueError, match="name must be a non-empty string"):
            plain.glue("", 1)
    finally:
        monkeypatch.undo()
        importlib.reload(notebook)


def test_glue_hands_name_value_and_display_to_myst_nb(monkeypatch):
    import helpers.notebook as notebook
    calls = []
    monkeypatch.setattr(notebook, "_myst_glue",
                        lambda name, variable, display=True: calls.append((name, variable, display)))
    notebook.glue("gap", 0.5, display=False)
    notebook.glue("fig", "figure")
    assert calls == [("gap", 0.5, False), ("fig", "figure", True)]
    with pytest.raises(TypeError, match="display must be True or False"):
        notebook.glue("gap", 0.5, display="no")
