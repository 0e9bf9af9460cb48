"""The one base of the errors a person may see (architecture rule 13).

`UserError`'s text is one Chinese line for the clerk, the citizen or the admin: a device that
failed, a sync the platform refused, a queue step the hall refused, a PIN that is wrong, a
config file with a typo. Every other exception is a bug: the one handler (`clerk.errors`)
logs it with its traceback and shows 系统内部错误 instead.

Why a package of its own: `devices` and `offline` may not import each other nor `clerk`
(import-linter), yet both raise errors a person sees. This package sits below all three and
holds nothing but the base, so no layer rule bends and nothing else collects here.
"""

from __future__ import annotations


class UserError(Exception):
    """An error whose `str()` is already the person's message, in Chinese."""
