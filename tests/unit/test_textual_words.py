"""Every key description a Textual class of ours or Textual's can show is Chinese."""

from __future__ import annotations

import re

import textual.widgets

from widgets import textual_words


def test_every_shown_textual_binding_is_chinese() -> None:
    for name in vars(textual.widgets)["__all__"]:  # every widget Textual has, loaded
        getattr(textual.widgets, name)
    import clerk.desk.app  # noqa: F401  # the desk's classes too, and the install

    textual_words.install()  # again, now over the widgets loaded above
    english = [
        (cls.__qualname__, binding.description)
        for cls in textual_words._classes()
        if cls.__module__.startswith(("textual.", "clerk.", "widgets."))
        and not cls.__module__.startswith("textual.demo")
        for bindings in cls._merge_bindings().key_to_bindings.values()
        for binding in bindings
        if binding.show and re.search(r"[A-Za-z]{2,}", binding.description)
    ]
    assert not english, english
