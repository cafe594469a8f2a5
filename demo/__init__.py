"""Demo and test data: a believable synthetic practice, seeded into an empty database.

Used by ``manage.py seed``, the benchmark (``python -m bench``) and the tests' fixtures; never
imported by ``db/`` or by the app's pages and components. Entry point:
``demo.seed.seed(conn, scale=..., seed=..., timezone=..., today=...)``.

Modules, one job each: :mod:`demo.seed` runs the steps in one transaction; :mod:`demo.practice`
says how big each scale is and who the demo users are; :mod:`demo.schedule` builds providers,
working hours, visit types and the packed appointment grid; :mod:`demo.people` gives every slot a
patient and builds their demographics; :mod:`demo.outcomes` decides what happened to each visit
(booked when, cancelled, no-show, completed) and its status events; :mod:`demo.records` adds
payers, insurance, intake answers, documents, messages, notes and the waitlist; :mod:`demo.fees`
holds the fee schedule (HCPCS Level II slice in ``demo/data``, practice codes) and what each visit
type bills; :mod:`demo.billing` invoices the completed visits, with claims, answers, payments,
adjustments and plans;
:mod:`demo.frames` holds the shared mechanics (clinic-local seconds to UTC, id blocks).
"""
