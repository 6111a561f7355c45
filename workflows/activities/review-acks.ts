/**
 * Acknowledgements to a review run, sent in batches. The accounts of a review window finish within
 * milliseconds of each other; one `accountsReviewed` signal carrying a batch costs the server one
 * history event, and the review workflow one task, where one signal per account cost one each.
 */
import type { Client } from '@temporalio/client';
import { accountsReviewedSignal } from '../messages.js';
import type { ReviewAck } from '../types.js';

/** How long the first acknowledgement of a batch waits for others, and the most a batch holds. */
const BATCH_WINDOW_MS = 20;
const MAX_BATCH = 100;

interface Batch {
  client: Client;
  acks: ReviewAck[];
  settle: { resolve: () => void; reject: (error: unknown) => void }[];
  timer: NodeJS.Timeout;
}

export interface ReviewAcks {
  /**
   * Resolves once the batch holding `ack` is in the review run's history, so an activity that
   * returns has been acknowledged (a worker that dies before that retries the activity, which
   * acknowledges again; the review ignores repeats).
   */
  send(client: Client, reviewWorkflowId: string, ack: ReviewAck): Promise<void>;
}

export function reviewAcks(): ReviewAcks {
  const batches = new Map<string, Batch>();

  function flush(workflowId: string): void {
    const batch = batches.get(workflowId);
    if (!batch) return;
    batches.delete(workflowId);
    clearTimeout(batch.timer);
    batch.client.workflow
      .getHandle(workflowId)
      .signal(accountsReviewedSignal, batch.acks)
      .then(
        () => batch.settle.forEach((s) => s.resolve()),
        (error: unknown) => batch.settle.forEach((s) => s.reject(error)),
      );
  }

  return {
    send(client, workflowId, ack) {
      return new Promise<void>((resolve, reject) => {
        let batch = batches.get(workflowId);
        if (!batch) {
          batch = { client, acks: [], settle: [], timer: setTimeout(() => flush(workflowId), BATCH_WINDOW_MS) };
          batches.set(workflowId, batch);
        }
        batch.acks.push(ack);
        batch.settle.push({ resolve, reject });
        if (batch.acks.length >= MAX_BATCH) flush(workflowId);
      });
    },
  };
}
