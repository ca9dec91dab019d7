-- Search indexes, designed for a million charges: every query kind of
-- Search walks one of these.
CREATE INDEX charges_created ON charges (created_at, id);
CREATE INDEX charges_status_created ON charges (status, created_at, id);
CREATE INDEX charges_terminal_created ON charges (terminal, created_at, id);
CREATE INDEX charges_stage_terminal ON charges (stage, terminal, created_at);
CREATE INDEX charges_document ON charges (payer_document, created_at, id);
CREATE INDEX charges_name_fold ON charges (name_fold);
CREATE INDEX charges_amount ON charges (amount, created_at, id);
CREATE INDEX charges_end_to_end ON charges (end_to_end_id);
CREATE INDEX charges_original_end_to_end ON charges (original_end_to_end_id);
