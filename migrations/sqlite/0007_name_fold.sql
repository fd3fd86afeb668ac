-- Names are also unique by their compatibility caseless form (the NFKC case fold), so a
-- precomposed and a decomposed "josé", or "ﬁ" and "fi", cannot be two accounts. The program
-- fills name_fold for rows that lack it when it starts (SQLite has no Unicode normalisation
-- in SQL). A row whose fold an older account already has keeps NULL, which the unique index
-- allows: it stays as it is, the log names it, and it cannot log in by name until renamed.
ALTER TABLE accounts ADD COLUMN name_fold TEXT;
CREATE UNIQUE INDEX accounts_name_fold ON accounts (name_fold);
