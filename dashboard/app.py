"""Entry point: ``panel serve dashboard/app.py`` (the store: ``$FIBRO_DB`` or the default).

Personal mode: the diary is served to this computer only (see ``ui/serving.py``).
"""

from dashboard.ui.app import personal_page

personal_page().servable()
