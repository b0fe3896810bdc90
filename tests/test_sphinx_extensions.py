"""The book's own Sphinx extensions (helpers/sphinx), the parts that work without a build."""


def test_figure_alt_text_is_the_captions_first_sentence():
    from helpers.sphinx.figure_alt import first_sentence
    assert first_sentence("Left: the ELBO.  Right: the gap\nin nats.") == "Left: the ELBO."
    assert first_sentence("No full stop here") == "No full stop here"
    assert first_sentence("x" * 400, limit=10) == "x" * 9 + "…"
    assert first_sentence("The value 0.5 is small. Next.") == "The value 0.5 is small."
