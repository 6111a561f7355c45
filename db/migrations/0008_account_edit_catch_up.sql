ALTER TABLE "accounts" ADD COLUMN "evaluated_version" integer;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "caught_up_version" integer;--> statement-breakpoint
-- Accounts already evaluated count as read at their current version: the first worker after this
-- migration catches up on edits made from now on, not on every account at once.
UPDATE "accounts" SET "evaluated_version" = "version" WHERE "stage" IS NOT NULL;
