-- Schema v4: each entry's seal, the Ed25519 signature of its hash by the
-- key of the vigil that wrote it (`KEYID:SIG`). Outside the hash: a seal
-- proves who wrote an entry, the chain proves where it stands.
ALTER TABLE ledger ADD COLUMN seal TEXT;
-- The key history (`ledger-key`) and a risk's or an item's entries are
-- looked up by entity.
CREATE INDEX ledger_entity ON ledger(entity);
