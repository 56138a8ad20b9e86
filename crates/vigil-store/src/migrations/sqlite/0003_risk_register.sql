-- Schema v3: a risk's full entry (safeguards with owners and dates, residual
-- likelihood and impact, who accepted the residual risk, its sources) as
-- JSON beside the columns kept for sorting; its history is in the ledger.
ALTER TABLE risks ADD COLUMN data TEXT NOT NULL DEFAULT '{}';
