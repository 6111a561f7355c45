-- Published and archived rule set versions are history: stage results name them by version, so
-- their content must never change. The only allowed change is published -> archived (status
-- alone). Enforced here as well as in the repository so a stray UPDATE cannot rewrite history.
CREATE OR REPLACE FUNCTION rule_sets_guard_history() RETURNS trigger AS $$
BEGIN
  IF OLD.status = 'draft' THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'rule set % version % is %: it cannot be deleted', OLD.industry, OLD.version, OLD.status
      USING ERRCODE = 'check_violation';
  END IF;
  IF OLD.status = 'published' AND NEW.status = 'archived'
     AND NEW.industry = OLD.industry AND NEW.version = OLD.version
     AND NEW.document::text = OLD.document::text
     AND NEW.comment IS NOT DISTINCT FROM OLD.comment
     AND NEW.published_at IS NOT DISTINCT FROM OLD.published_at
     AND NEW.published_by IS NOT DISTINCT FROM OLD.published_by
     AND NEW.revision = OLD.revision THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'rule set % version % is %: published versions never change', OLD.industry, OLD.version, OLD.status
    USING ERRCODE = 'check_violation';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER rule_sets_guard_history
  BEFORE UPDATE OR DELETE ON rule_sets
  FOR EACH ROW EXECUTE FUNCTION rule_sets_guard_history();
