"""Panel and Bokeh: filters, the data store of a browser session, views, the app (HoloViews
is for exploring in notebooks: ``dashboard/explore.py``)."""
