/**
 * The account's own fields the profile form edits (by model name), shared by the form and the
 * server that reads it. `parentId` and `previousCloseness` are not edited here: the hierarchy and
 * the last closeness come from imports and the workflows.
 */
import type { Account } from '../../../../../../engine/model.js';

export const PROFILE_TEXT_INPUTS = ['name', 'industry', 'region', 'ownerId'] as const satisfies readonly (keyof Account)[];
export const PROFILE_NUMBER_INPUTS = [
  'employees',
  'companyRevenue',
  'revenueWithUs',
  'potential',
  'demonstration',
  'winnability',
] as const satisfies readonly (keyof Account)[];
export const PROFILE_INPUTS = [...PROFILE_TEXT_INPUTS, 'status', ...PROFILE_NUMBER_INPUTS, 'competitorsNoneKnown'] as const;
