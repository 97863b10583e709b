"""``fibro``: the dashboard's operations for the terminal and scripts.

Every sub-command calls the same functions the app calls.  The store is
``--db PATH``, else ``$FIBRO_DB``, else the default (see ``fibro --help``).

``base`` defines the ``main`` group and what commands share; one module a command
group registers onto it: ``diary`` (demo, export, log, import, delete), ``serve``
(serve, reminders), ``analysis`` (effects, score, moh, report), ``hosted`` (user,
grant, link, audit), ``trial``.  Importing this package registers them all.
"""

from . import analysis, diary, hosted, serve, trial  # noqa: F401  (each registers its commands)
from .base import FibroCommand, FibroGroup, main
from .diary import format_import_summary

__all__ = ["FibroCommand", "FibroGroup", "format_import_summary", "main"]
