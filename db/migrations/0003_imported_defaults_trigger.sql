-- A field an import only defaulted stops being a default as soon as someone gives it another value:
-- a CSV or JSON import, a studio edit, a script's UPDATE. Enforced here rather than in each writer so
-- no path can leave a real value flagged as a placeholder (the profile stage would keep reporting it
-- missing). A statement that changes `imported_defaults` itself (the CRM import) is taken at its word.
-- The WHEN clause keeps the cost off the common case: an account without imported defaults.
CREATE OR REPLACE FUNCTION accounts_forget_imported_defaults() RETURNS trigger AS $$
DECLARE
  f text;
  changed boolean;
BEGIN
  IF NEW.imported_defaults IS DISTINCT FROM OLD.imported_defaults THEN
    RETURN NEW;
  END IF;
  FOREACH f IN ARRAY OLD.imported_defaults LOOP
    -- Assigned first: PL/pgSQL would end an IF's condition at the CASE's first THEN.
    changed := CASE f
      WHEN 'name' THEN NEW.name IS DISTINCT FROM OLD.name
      WHEN 'industry' THEN NEW.industry IS DISTINCT FROM OLD.industry
      WHEN 'region' THEN NEW.region IS DISTINCT FROM OLD.region
      WHEN 'status' THEN NEW.status IS DISTINCT FROM OLD.status
      WHEN 'ownerId' THEN NEW.owner_id IS DISTINCT FROM OLD.owner_id
      WHEN 'parentId' THEN NEW.parent_id IS DISTINCT FROM OLD.parent_id
      WHEN 'employees' THEN NEW.employees IS DISTINCT FROM OLD.employees
      WHEN 'companyRevenue' THEN NEW.company_revenue IS DISTINCT FROM OLD.company_revenue
      WHEN 'revenueWithUs' THEN NEW.revenue_with_us IS DISTINCT FROM OLD.revenue_with_us
      WHEN 'potential' THEN NEW.potential IS DISTINCT FROM OLD.potential
      WHEN 'demonstration' THEN NEW.demonstration IS DISTINCT FROM OLD.demonstration
      WHEN 'winnability' THEN NEW.winnability IS DISTINCT FROM OLD.winnability
      WHEN 'previousCloseness' THEN NEW.previous_closeness IS DISTINCT FROM OLD.previous_closeness
      ELSE false
    END;
    IF changed THEN
      NEW.imported_defaults := array_remove(NEW.imported_defaults, f);
    END IF;
  END LOOP;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER accounts_forget_imported_defaults
  BEFORE UPDATE ON accounts
  FOR EACH ROW
  WHEN (cardinality(OLD.imported_defaults) > 0)
  EXECUTE FUNCTION accounts_forget_imported_defaults();
