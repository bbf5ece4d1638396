// Hundreds of bad multipathd replies through the parser and the exposition: nothing throws, and
// every one is either a good scrape (valid, unique series) or a failure with exactly one reason.
import { describe, expect, it } from 'vitest';
import { badReplies, countOutcomes, scrapeOutcome } from '../../support/bad-replies.js';
import { snapshotOfReply } from '../../support/scrape.js';

describe('the bad-reply corpus through the parser', () => {
  it('never throws; every reply is a valid good scrape or a failure with one reason', () => {
    const corpus = badReplies();
    expect(corpus.length).toBeGreaterThanOrEqual(366);
    const outcomes = corpus.map(({ name, bytes }) => {
      try {
        return scrapeOutcome(snapshotOfReply(bytes.toString('utf8')));
      } catch (err) {
        throw new Error(`${name}: ${(err as Error).message}`);
      }
    });
    const counts = countOutcomes(outcomes);
    console.log(`bad-reply corpus, parser: ${corpus.length} replies`, counts);
    // The corpus exercises both sides: replies that still give maps and ones that cannot.
    expect(counts.good).toBeGreaterThan(0);
    expect(counts['good, some skipped or dropped']).toBeGreaterThan(0);
    expect(counts['failed: bad_output']).toBeGreaterThan(0);
  });
});
