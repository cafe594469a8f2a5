-- 013: every audit row says the actor's role, the data category it touches and its outcome
-- (HIPAA 164.312(b), ONC 170.315(d)(2)/(d)(3)). Earlier rows get their category from their
-- action's prefix, as clinic.audit_terms.category_for does for new rows; their role and
-- outcome are not known beyond "success" (a failed sign-in is a failure).
ALTER TABLE audit_log ADD COLUMN role VARCHAR;
ALTER TABLE audit_log ADD COLUMN category VARCHAR;
ALTER TABLE audit_log ADD COLUMN outcome VARCHAR DEFAULT 'success';

UPDATE audit_log SET outcome = CASE WHEN action = 'auth.sign_in_failed' THEN 'failure' ELSE 'success' END;
UPDATE audit_log SET category = CASE
    WHEN split_part(action, '.', 1) IN ('patient', 'message', 'data') THEN 'demographics'
    WHEN split_part(action, '.', 1) IN ('appointment', 'waitlist', 'closure', 'provider', 'visit_type') THEN 'scheduling'
    WHEN split_part(action, '.', 1) IN ('invoice', 'payment', 'claim', 'credit', 'plan', 'fee', 'payer', 'remittance') THEN 'billing'
    WHEN split_part(action, '.', 1) IN ('note', 'document', 'intake') THEN 'clinical'
    WHEN split_part(action, '.', 1) IN ('stock', 'stock_item', 'stock_location', 'stock_par', 'purchase_order', 'vendor', 'contractor') THEN 'inventory'
    ELSE 'security'
END;
UPDATE audit_log SET role = u.role FROM users u WHERE u.id = audit_log.user_id;
