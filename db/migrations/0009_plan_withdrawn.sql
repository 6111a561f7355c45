ALTER TABLE "plans" DROP CONSTRAINT "plans_status_check";--> statement-breakpoint
ALTER TABLE "plans" ADD COLUMN "withdrawn_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "plans" ADD CONSTRAINT "plans_status_check" CHECK ("plans"."status" in ('pending-approval', 'approved', 'rejected', 'superseded', 'withdrawn'));