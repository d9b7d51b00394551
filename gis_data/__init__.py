"""Built-in Henan dataset of spatial_planner.

This folder is installed as the package ``spatial_planner.gis_data`` so that a
plain ``pip install`` carries the data; ``henan/`` holds the derived layers,
``sources/`` the authored facts and ``build.py`` rebuilds the former.
"""
