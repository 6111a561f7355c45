CREATE TABLE "plan_drafts" (
	"account_id" text PRIMARY KEY NOT NULL,
	"based_on_plan_id" integer,
	"content" jsonb NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "plans" ADD COLUMN "strategy_override" jsonb;--> statement-breakpoint
ALTER TABLE "plan_drafts" ADD CONSTRAINT "plan_drafts_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_drafts" ADD CONSTRAINT "plan_drafts_based_on_plan_id_plans_id_fk" FOREIGN KEY ("based_on_plan_id") REFERENCES "public"."plans"("id") ON DELETE set null ON UPDATE no action;