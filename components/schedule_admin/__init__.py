"""Admin › Providers and hours, one module per tab.

``pages/admin_schedule.py`` draws the title and the tabs and calls each tab's ``draw(screen)``:
:mod:`.providers`, :mod:`.weekly_hours`, :mod:`.time_off`, :mod:`.closures` (closures and public
holidays), :mod:`.visit_types` and :mod:`.booking_rules`. What they share (the screen's context,
forms that start afresh after a save, the pick-one-and-remove row) is in :mod:`.shared`.
"""
