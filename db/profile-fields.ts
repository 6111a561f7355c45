/**
 * The account's profile: the fields that people and imports set (every other column of an
 * account is computed by the workflows). The one list that the imports, the export and the
 * repositories derive their columns from, in the export's column order.
 */
export const PROFILE_FIELDS = [
  'name',
  'industry',
  'region',
  'status',
  'ownerId',
  'parentId',
  'employees',
  'companyRevenue',
  'revenueWithUs',
  'potential',
  'demonstration',
  'winnability',
  'competitorsNoneKnown',
  'previousCloseness',
  'solution',
  'businessValue',
] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];
