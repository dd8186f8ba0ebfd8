"""Canada–Mexico Action Plan Tracker: the logic behind the dashboard.

Data takes one path: CSV -> ``loader`` (checked against ``contract``) -> typed
frame -> ``filters.Filters`` -> pure builders in ``figures`` -> thin pages.
Nothing in this package imports Streamlit except ``ui``.
"""
