"""The read models: each one's tables (a `View`) and the events that keep them (a
`Projection`); projections/catalog.py lists them."""
