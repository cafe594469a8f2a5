-- 006: waitlist preferences the matching can use. Besides the preferred weekdays (preferred_days,
-- '0,2,4', Monday = 0), a window for the START of the visit in clinic-local wall-clock time:
-- earliest_start and latest_start, both inclusive; NULL = no bound. Offers and freed-slot
-- matches honour both (db.slots.find_next_available, db.waitlist.matches_for_slot). Existing
-- entries have no window: any time, as before. The note stays for anything else.
ALTER TABLE waitlist ADD COLUMN earliest_start TIME;
ALTER TABLE waitlist ADD COLUMN latest_start TIME;
