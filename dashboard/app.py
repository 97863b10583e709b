"""Entry point: ``panel serve dashboard/app.py`` (the store: ``$FIBRO_DB`` or the default)."""

from dashboard.session import open_for_viewing
from dashboard.ui.app import App
from dashboard.ui.datastore import DataStore

import panel as pn

pn.extension(notifications=True)

store, is_demo = open_for_viewing()
app = App(data=DataStore(store), demo=is_demo)
(app.template() if pn.state.served else app).servable()
