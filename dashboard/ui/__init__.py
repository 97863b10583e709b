"""Panel and HoloViews: filters, the data store of a browser session, views, the app."""
