// The bad-reply corpus as bytes on multipathd's socket, through the socket client and the
// collector: each collection ends as the parser alone says (no throw, one reason per failure), and
// the collector's counters add up.
import { afterAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../src/common/io/log.js';
import { parseMapsReply } from '../../../src/scrape/core/parse-multipathd.js';
import { createCollector } from '../../../src/scrape/io/collector.js';
import { frame, socketClient } from '../../../src/scrape/io/multipathd-client.js';
import { type FakeMultipathd, startFakeMultipathd } from '../../../src/sim/fake-multipathd.js';
import { badReplies, countOutcomes, scrapeOutcome } from '../../support/bad-replies.js';

let fake: FakeMultipathd | undefined;
afterAll(async () => fake?.close());

describe('the bad-reply corpus through the collector', () => {
  it('gives every reply the outcome the parser gives it, and counts each failure once', async () => {
    const corpus = badReplies();
    let current = corpus[0]!.bytes;
    fake = await startFakeMultipathd({
      socket: `@mpe-corpus-${process.pid}`,
      respond: (command) => (command === 'show daemon' ? 'pid 1 idle\n' : { rawFrame: frame(current) }),
    });
    const socket = fake.socket;
    const collector = createCollector({ client: () => socketClient({ socket, timeoutMs: 5000, maxReplyBytes: 32 << 20 }), sysfsRoot: () => '/nonexistent-sysfs', log: memoryLogger() });
    const outcomes: string[] = [];
    for (const { name, bytes } of corpus) {
      current = bytes;
      const snapshot = await collector.collect();
      let outcome: string;
      try {
        outcome = scrapeOutcome(snapshot);
      } catch (err) {
        throw new Error(`${name}: ${(err as Error).message}`);
      }
      // The socket adds nothing and loses nothing: the same outcome as the parser on the bytes.
      const parsed = parseMapsReply(bytes.toString('utf8'));
      const discarded = parsed.ok && [...Object.values(parsed.value.skipped), ...Object.values(parsed.value.dropped)].some((n) => n > 0);
      expect(outcome, name).toBe(parsed.ok ? (discarded ? 'good, some skipped or dropped' : 'good') : `failed: ${parsed.reason}`);
      outcomes.push(outcome);
    }
    const counts = countOutcomes(outcomes);
    console.log(`bad-reply corpus, collector over the socket: ${corpus.length} replies`, counts);
    const failed = outcomes.filter((o) => o.startsWith('failed')).length;
    expect(Object.values(collector.failures()).reduce((a, b) => a + b, 0)).toBe(failed);
    expect(failed).toBeGreaterThan(0);
  });
});
