/**
 * Review activities acknowledge in batches: acknowledgements that arrive together go out as one
 * `accountsReviewed` signal per review run, and each activity waits until its batch is sent.
 */
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { reviewAcks } from '../workflows/activities/review-acks.js';
import type { ReviewAck } from '../workflows/types.js';

/** Records the signals a Temporal client would send; `fail` makes the next one throw. */
function recordingClient() {
  const sent: { workflowId: string; name: string; acks: ReviewAck[] }[] = [];
  let fail: Error | null = null;
  const client = {
    workflow: {
      getHandle: (workflowId: string) => ({
        signal: async (def: { name: string }, acks: ReviewAck[]) => {
          await new Promise((r) => setTimeout(r, 5));
          if (fail) throw fail;
          sent.push({ workflowId, name: def.name, acks });
        },
      }),
    },
  } as unknown as Client;
  return { client, sent, failNext: (e: Error) => (fail = e) };
}

const ack = (accountId: string): ReviewAck => ({ accountId, ok: true });

describe('review acknowledgements', () => {
  it('sends the acknowledgements of one moment as one signal per review run', async () => {
    const { client, sent } = recordingClient();
    const acks = reviewAcks();
    await Promise.all([
      acks.send(client, 'review:2026', ack('a')),
      acks.send(client, 'review:2026', ack('b')),
      acks.send(client, 'review:2027', ack('c')),
      acks.send(client, 'review:2026', ack('d')),
    ]);
    expect(sent).toEqual([
      { workflowId: 'review:2026', name: 'accountsReviewed', acks: [ack('a'), ack('b'), ack('d')] },
      { workflowId: 'review:2027', name: 'accountsReviewed', acks: [ack('c')] },
    ]);
    // Later acknowledgements start a new batch.
    await acks.send(client, 'review:2026', ack('e'));
    expect(sent.at(-1)).toEqual({ workflowId: 'review:2026', name: 'accountsReviewed', acks: [ack('e')] });
  });

  it('sends a full batch at once, without waiting for the window', async () => {
    const { client, sent } = recordingClient();
    const acks = reviewAcks();
    const ids = Array.from({ length: 250 }, (_, i) => `acc-${i}`);
    await Promise.all(ids.map((id) => acks.send(client, 'review:2026', ack(id))));
    expect(sent.map((s) => s.acks.length)).toEqual([100, 100, 50]);
    expect(sent.flatMap((s) => s.acks.map((a) => a.accountId))).toEqual(ids);
  });

  it('fails every acknowledgement of a batch whose signal fails', async () => {
    const { client, sent, failNext } = recordingClient();
    const acks = reviewAcks();
    failNext(new Error('workflow execution already completed'));
    const results = await Promise.allSettled([
      acks.send(client, 'review:2026', ack('a')),
      acks.send(client, 'review:2026', ack('b')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(sent).toEqual([]);
  });
});
