"""The website's Sphinx extensions (listed in ``_config.yml``).

- :mod:`helpers.sphinx.verification_status`: the landing page's status table,
  the machine-readable ledger of every labelled result, and the note under each
  chapter's opening paragraph that says how it is checked.
- :mod:`helpers.sphinx.launch_buttons`: the chapter's notebook in the download
  menu, and Binder once the repository's address is set.
- :mod:`helpers.sphinx.cache_guard`: re-execute the chapters when ``helpers/`` changes.
"""
