ALTER TABLE "teams" ALTER COLUMN "name" DROP NOT NULL;--> statement-breakpoint
-- Names the demo and the CRM import used to invent in English ("Retail industry team", "East
-- region") are cleared, so the studio words those teams in the user's language; a name anyone else
-- gave the team differs and stays.
UPDATE "teams" SET "name" = NULL
  WHERE ("id" LIKE 'industry:%'
      AND "name" = upper(substr("id", 10, 1)) || substr("id", 11) || ' industry team')
    OR ("id" LIKE 'region:%' AND "name" = substr("id", 8) || ' region');--> statement-breakpoint
-- A manager's team stores its manager's name; the studio words "<manager>'s team".
UPDATE "teams" SET "name" = left("name", length("name") - length('''s team'))
  WHERE "id" LIKE 'manager:%' AND "name" LIKE '%''s team';
