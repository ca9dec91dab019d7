-- The order reference a charge was first given, when ConnectPSP already
-- had it (a reused terminal id with a fresh journal) and the charge moved
-- on to its terminal's next reference with a new idempotency key
-- (store.DB.ReplaceReference); '' for every other charge.
ALTER TABLE charges ADD COLUMN IF NOT EXISTS replaced_reference TEXT NOT NULL DEFAULT '';
-- ConnectPSP's problem code refusing the create of a rejected charge
-- (beside reject_reason, its words), so that the screens word a known
-- refusal in the reader's language; '' when it sent none, and for charges
-- rejected before.
ALTER TABLE charges ADD COLUMN IF NOT EXISTS reject_code TEXT NOT NULL DEFAULT '';
