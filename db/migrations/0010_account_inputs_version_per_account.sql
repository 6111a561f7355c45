ALTER TABLE "accounts" ADD COLUMN "inputs_version" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "accounts_inputs_version_idx" ON "accounts" USING btree ("inputs_version");--> statement-breakpoint
-- One version per writing transaction, taken at its first write of an input: bumping the row locks it
-- until the commit, so no other writer commits in between and every later reader sees either none of
-- the transaction's tagged accounts or all of them with the version they were tagged with. Kept in a
-- transaction-local setting (undone with the transaction or savepoint that set it).
CREATE OR REPLACE FUNCTION account_inputs_version_of_transaction() RETURNS bigint AS $$
DECLARE
  v bigint := nullif(current_setting('esp.account_inputs_version', true), '')::bigint;
BEGIN
  IF v IS NULL THEN
    UPDATE account_inputs_version SET version = version + 1 RETURNING version INTO v;
    PERFORM set_config('esp.account_inputs_version', v::text, true);
  END IF;
  RETURN v;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
-- The statement triggers of 0004 stay the signal that something changed (deletes included); they
-- now share the transaction's version instead of bumping once per statement.
CREATE OR REPLACE FUNCTION bump_account_inputs_version() RETURNS trigger AS $$
BEGIN
  PERFORM account_inputs_version_of_transaction();
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION accounts_tag_inputs_version() RETURNS trigger AS $$
BEGIN
  NEW.inputs_version := account_inputs_version_of_transaction();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
-- The input columns of 0004's version trigger, and the value proposition (solution, business value),
-- which the snapshot carries too: the workflows' computed columns stay out.
CREATE TRIGGER accounts_tag_inputs_version
  BEFORE INSERT OR UPDATE OF id, name, industry, region, status, owner_id, parent_id, employees,
    company_revenue, revenue_with_us, potential, demonstration, winnability, competitors_none_known,
    previous_closeness, imported_defaults, solution, business_value
  ON accounts FOR EACH ROW EXECUTE FUNCTION accounts_tag_inputs_version();
--> statement-breakpoint
-- Lock order: every writer of inputs takes the version (the counter row's lock) before it locks any
-- account row, at the start of each statement that writes inputs; otherwise a row trigger (account
-- row, then counter) and a list write (counter, then account rows) in two transactions deadlock.
-- saveAccountEdit takes it before its FOR UPDATE for the same reason. (bump_account_inputs_version
-- takes the transaction's version, as a BEFORE trigger here.)
CREATE TRIGGER accounts_take_inputs_version
  BEFORE INSERT OR DELETE OR UPDATE OF id, name, industry, region, status, owner_id, parent_id, employees,
    company_revenue, revenue_with_us, potential, demonstration, winnability, competitors_none_known,
    previous_closeness, imported_defaults, solution, business_value
  ON accounts FOR EACH STATEMENT EXECUTE FUNCTION bump_account_inputs_version();
--> statement-breakpoint
-- A write of contacts, competitors or influence links tags their accounts, once per statement from
-- its transition tables. Accounts the transaction already tagged (an import writes the account
-- before its lists) are not written again.
CREATE OR REPLACE FUNCTION accounts_tag_inputs_version_of_lists() RETURNS trigger AS $$
DECLARE
  v bigint := account_inputs_version_of_transaction();
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    UPDATE accounts SET inputs_version = v WHERE inputs_version <> v;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE accounts SET inputs_version = v
      WHERE id IN (SELECT account_id FROM new_rows) AND inputs_version <> v;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE accounts SET inputs_version = v
      WHERE id IN (SELECT account_id FROM old_rows) AND inputs_version <> v;
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
-- Transition tables allow one event per trigger: four triggers per list table.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['contacts', 'competitors', 'influence_links'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
      'FOR EACH STATEMENT EXECUTE FUNCTION bump_account_inputs_version()', t || '_take_inputs_version', t);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
      'FOR EACH STATEMENT EXECUTE FUNCTION accounts_tag_inputs_version_of_lists()', t || '_tag_accounts_insert', t);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
      'FOR EACH STATEMENT EXECUTE FUNCTION accounts_tag_inputs_version_of_lists()', t || '_tag_accounts_update', t);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
      'FOR EACH STATEMENT EXECUTE FUNCTION accounts_tag_inputs_version_of_lists()', t || '_tag_accounts_delete', t);
    EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %I '
      'FOR EACH STATEMENT EXECUTE FUNCTION accounts_tag_inputs_version_of_lists()', t || '_tag_accounts_truncate', t);
  END LOOP;
END;
$$;
