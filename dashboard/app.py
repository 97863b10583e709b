"""Entry point: ``panel serve dashboard/app.py`` (the store: ``$FIBRO_DB`` or the default)."""

import panel as pn

from dashboard.ui.app import App

pn.extension("tabulator")

app = App.for_store()
(app.template() if pn.state.served else app).servable()
