-- A terminal's newest audit entries, read before every PIN check to count
-- its wrong PINs in a row (store/pinwait.go).
CREATE INDEX audit_terminal ON audit (terminal, seq);
