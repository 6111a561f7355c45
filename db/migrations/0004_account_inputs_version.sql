CREATE TABLE "account_inputs_version" (
	"id" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "account_inputs_version_one_row" CHECK ("account_inputs_version"."id")
);
--> statement-breakpoint
INSERT INTO "account_inputs_version" ("id", "version") VALUES (true, 0);
--> statement-breakpoint
-- One UPDATE per writing statement, inside its transaction: a reader that loads the accounts and
-- this row in one statement gets a version that matches exactly what it read. The workflows write
-- only computed columns, which the accounts trigger leaves out, so they never wait on this row.
CREATE OR REPLACE FUNCTION bump_account_inputs_version() RETURNS trigger AS $$
BEGIN
  UPDATE account_inputs_version SET version = version + 1;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER accounts_inputs_version
  AFTER INSERT OR DELETE OR UPDATE OF id, name, industry, region, status, owner_id, parent_id, employees,
    company_revenue, revenue_with_us, potential, demonstration, winnability, competitors_none_known,
    previous_closeness, imported_defaults
  ON accounts FOR EACH STATEMENT EXECUTE FUNCTION bump_account_inputs_version();
--> statement-breakpoint
CREATE TRIGGER accounts_inputs_version_truncate
  AFTER TRUNCATE ON accounts FOR EACH STATEMENT EXECUTE FUNCTION bump_account_inputs_version();
--> statement-breakpoint
CREATE TRIGGER contacts_inputs_version
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON contacts FOR EACH STATEMENT EXECUTE FUNCTION bump_account_inputs_version();
--> statement-breakpoint
CREATE TRIGGER competitors_inputs_version
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON competitors FOR EACH STATEMENT EXECUTE FUNCTION bump_account_inputs_version();
--> statement-breakpoint
CREATE TRIGGER influence_links_inputs_version
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON influence_links FOR EACH STATEMENT EXECUTE FUNCTION bump_account_inputs_version();
