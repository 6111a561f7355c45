/**
 * The facts of one account as rules see them, every catalogue fact (`json-rules/facts.ts`) declared
 * up front: one object shape for all accounts keeps property reads in the compiled rules
 * monomorphic (the hot path of evaluation). Facts of later stages hold neutral values until their
 * stage sets them; the validator ensures no rule reads a fact before the list that knows it.
 * `reset` makes one object serve account after account (the decision-only path).
 */
import type { Account, Flag } from './model.js';

const NO_FLAGS: readonly Flag[] = Object.freeze([]);

export class AccountFacts {
  industry = '';
  region = '';
  status = '';
  employees = 0;
  companyRevenue = 0;
  revenueWithUs = 0;
  potential = 0;
  demonstration = 0;
  winnability = 0;
  score = 0;
  tier = '';
  revenueScore = 0;
  potentialScore = 0;
  demonstrationScore = 0;
  winnabilityScore = 0;
  class = '';
  contributionLevel = '';
  potentialLevel = '';
  contactCount = 0;
  championCount = 0;
  supporterCount = 0;
  opponentCount = 0;
  keyContactCount = 0;
  decisionMakersWithCompetitor = 0;
  coldKeyContacts = 0;
  competitorCount = 0;
  closeness = 0;
  maxCompetitorCloseness = 0;
  advantage = 0;
  closenessDrop = 0;
  flags: readonly Flag[] = NO_FLAGS;
  strategy = '';
  planStrategy = '';
  closenessDropSincePlan = 0;
  overdueVisits = 0;
  openActions = 0;
  overdueActions = 0;

  /** The account record's facts; the later stages' facts back to their neutral values. */
  reset(a: Account): void {
    this.industry = a.industry ?? '';
    this.region = a.region ?? '';
    this.status = a.status ?? '';
    this.employees = a.employees ?? 0;
    this.companyRevenue = a.companyRevenue ?? 0;
    this.revenueWithUs = a.revenueWithUs ?? 0;
    this.potential = a.potential ?? 0;
    this.demonstration = a.demonstration ?? 0;
    this.winnability = a.winnability ?? 0;
    this.flags = NO_FLAGS;
    this.strategy = '';
    this.planStrategy = '';
    this.closenessDropSincePlan = 0;
    this.overdueVisits = 0;
    this.openActions = 0;
    this.overdueActions = 0;
  }
}
