/**
 * Execution (stage 8): what people log while the account runs — visits, actions done, and
 * opportunities handed off to the sales pipeline through the outbox.
 */
import { ApplicationFailure } from '@temporalio/common';
import { getAccountWithState } from '../../db/repositories/accounts.js';
import { listActions, markActionDone, reopenAction } from '../../db/repositories/actions.js';
import { getPlan } from '../../db/repositories/plans.js';
import {
  getOutboxRow,
  createOpportunityOnce,
  markHandoffDelivered,
  markHandoffFailed,
} from '../../db/repositories/opportunities.js';
import { addVisitOnce } from '../../db/repositories/visits.js';
import { isCalendarDate } from '../../engine/calendar-date.js';
import type { Track } from '../../engine/index.js';
import {
  ACTION_UNDO_WINDOW_MS,
  type CompleteActionResult,
  type HandoffResult,
  type LogOpportunityResult,
  type LogVisitResult,
  type OpenAction,
} from '../types.js';
import { guarded, idempotencyKey, NonRetryable, uuidFromKey, type Shared } from './deps.js';

export function executionActivities(s: Shared) {
  return {
    async logVisit(input: {
      accountId: string;
      date: string;
      contactId?: string | null;
      note?: string | null;
      by?: string | null;
    }): Promise<LogVisitResult> {
      return guarded(async () => {
        if (!isCalendarDate(input.date))
          throw new NonRetryable(`visit date "${input.date}" is not a YYYY-MM-DD date`, 'ValidationError');
        const { visit } = await addVisitOnce(s.db, {
          accountId: input.accountId,
          date: input.date,
          contactId: input.contactId ?? null,
          note: input.note ?? null,
          by: input.by ?? null,
        });
        return { visitId: visit.id, lastVisit: visit.date };
      });
    },

    async completeAction(input: {
      accountId: string;
      actionId: number;
      at: string;
      by?: string | null;
      note?: string | null;
    }): Promise<CompleteActionResult> {
      return guarded(async () => {
        const actions = await listActions(s.db, { accountId: input.accountId });
        if (!actions.some((a) => a.id === input.actionId))
          throw new NonRetryable(`action ${input.actionId} is not an action of account "${input.accountId}"`, 'NotFound');
        const note = input.note?.trim() || null;
        await markActionDone(s.db, input.actionId, new Date(input.at), { by: input.by ?? null, note });
        const open = actions.filter((a) => a.id !== input.actionId && !a.doneAt).length;
        return { actionId: input.actionId, openActions: open };
      });
    },

    /**
     * Opens a done action again when the person who marked it asks within the undo window and its
     * plan is still in force; otherwise says why, as a refusal code for the workflow to send back.
     */
    async reopenAction(input: {
      accountId: string;
      actionId: number;
      by: string;
      at: string;
    }): Promise<
      { ok: true; action: OpenAction } | { ok: false; code: 'actionNotDone' | 'actionUndoNotYours' | 'actionUndoExpired' }
    > {
      return guarded(async () => {
        const action = (await listActions(s.db, { accountId: input.accountId })).find((a) => a.id === input.actionId);
        const plan = action ? await getPlan(s.db, action.planId) : undefined;
        if (!action || !action.doneAt || plan?.status !== 'approved') return { ok: false, code: 'actionNotDone' } as const;
        if (action.doneBy !== input.by) return { ok: false, code: 'actionUndoNotYours' } as const;
        if (new Date(input.at).getTime() - action.doneAt.getTime() > ACTION_UNDO_WINDOW_MS)
          return { ok: false, code: 'actionUndoExpired' } as const;
        const row = await reopenAction(s.db, action.id);
        return { ok: true, action: { id: row.id, title: row.title, owner: row.owner, dueDate: row.dueDate } } as const;
      });
    },

    /** Records the opportunity on the account's track and queues its hand-off, in one transaction. */
    async logOpportunity(input: {
      accountId: string;
      title: string;
      estimatedValue?: number | null;
      track: Track;
      owner?: string | null;
    }): Promise<LogOpportunityResult & { deliver: boolean }> {
      return guarded(async () => {
        if (!(await getAccountWithState(s.db, input.accountId)))
          throw new NonRetryable(`account "${input.accountId}" does not exist`, 'AccountNotFound');
        const { opportunity, outbox } = await createOpportunityOnce(s.db, {
          id: uuidFromKey(idempotencyKey()),
          accountId: input.accountId,
          title: input.title,
          estimatedValue: input.estimatedValue ?? null,
          track: input.track,
          owner: input.owner ?? null,
          status: 'open',
          source: 'workflow',
        });
        return { opportunityId: opportunity.id, outboxId: outbox.id, track: input.track, deliver: s.handoff !== null };
      });
    },

    /**
     * POSTs one outbox message to the pipeline. Delivery is at least once: the receiver dedupes by
     * the `Idempotency-Key` header (the opportunity id). 4xx answers other than 408/429 will not
     * get better by retrying.
     */
    async deliverHandoff(input: { outboxId: number }): Promise<HandoffResult> {
      const row = await guarded(async () => {
        const found = await getOutboxRow(s.db, input.outboxId);
        if (!found) throw new NonRetryable(`hand-off ${input.outboxId} does not exist`, 'NotFound');
        return found;
      });
      if (row.deliveredAt) return { delivered: true, reason: 'already delivered' };
      const target = s.handoff;
      if (!target) return { delivered: false, reason: 'ESP_HANDOFF_URL is not set; the hand-off stays in the outbox' };
      const doFetch = target.fetch ?? fetch;
      let response: Response;
      try {
        response = await doFetch(target.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': row.opportunityId,
            ...target.headers,
          },
          body: JSON.stringify(row.payload),
          signal: AbortSignal.timeout(target.timeoutMs ?? 10_000),
        });
      } catch (error) {
        await markHandoffFailed(s.db, row.id, (error as Error).message);
        throw error;
      }
      if (response.ok) {
        await markHandoffDelivered(s.db, row.id);
        return { delivered: true, status: response.status };
      }
      const text = (await response.text().catch(() => '')).slice(0, 500);
      const message = `hand-off ${row.id} to ${target.url}: HTTP ${response.status}${text ? `: ${text}` : ''}`;
      await markHandoffFailed(s.db, row.id, message);
      const permanent = response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429;
      throw ApplicationFailure.create({ message, type: `HTTP ${response.status}`, nonRetryable: permanent });
    },
  };
}
