ALTER TABLE "plan_actions" ADD COLUMN "done_by" text;--> statement-breakpoint
ALTER TABLE "plan_actions" ADD COLUMN "done_note" text;