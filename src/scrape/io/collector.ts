// Collects one snapshot from multipathd per scrape. Single-flight: concurrent scrapes share the
// collection in flight, so 50 simultaneous scrapes cause one multipathd request.
import { enrichMaps, sameFacts, type SysfsFacts } from '../core/enrich.js';
import type { DaemonStatus, MapModel, ParsedMaps, ReplyResult } from '../core/parse-multipathd.js';
import { parseDaemonReply, parseMapsReply, parseStatusReply } from '../core/parse-multipathd.js';
import type { Snapshot } from '../core/snapshot.js';
import type { CollectionFailure } from '../core/states.js';
import type { Logger } from '../../common/io/log.js';
import { MultipathdError, type MultipathdClient } from './multipathd-client.js';
import { readSysfsFacts } from './sysfs.js';

export interface Collector {
  collect(): Promise<Snapshot>;
  /** Failed collections since start, per reason (cumulative counters). */
  failures(): Readonly<Record<CollectionFailure, number>>;
}

export function createCollector(opts: {
  client: () => MultipathdClient;
  sysfsRoot: () => string;
  log: Logger;
  now?: () => number;
}): Collector {
  const now = opts.now ?? Date.now;
  const failures: Record<CollectionFailure, number> = {
    daemon_down: 0,
    timeout: 0,
    fail: 0,
    bad_output: 0,
    too_large: 0,
    permission: 0,
  };
  let inFlight: Promise<Snapshot> | undefined;
  /** The message of the last failure logged; undefined while collections succeed. */
  /** The last failure as logged, its numbers masked: a budget's remaining milliseconds vary from scrape to scrape. */
  let lastFailureKey: string | undefined;
  /** Why the last `show status` failed; it fails alone (its series are then absent). */
  let lastStatusFailure: CollectionFailure | undefined;
  // Steady state is the common case: multipathd's reply is byte-identical from one scrape to the
  // next. Reusing the last parse (and enrichment) then skips most of a big scrape's work; any
  // change in the reply or in sysfs recomputes. Returning the same maps array also lets the HTTP
  // layer reuse its rendered map section.
  let lastReply: { text: string; parsed: ReplyResult<ParsedMaps> } | undefined;
  let lastEnriched: { parsed: MapModel[]; facts: SysfsFacts; maps: MapModel[] } | undefined;

  const parseMapsOnce = (text: string): ReplyResult<ParsedMaps> => {
    if (lastReply?.text !== text) lastReply = { text, parsed: parseMapsReply(text) };
    return lastReply.parsed;
  };
  const enrichOnce = (parsed: MapModel[], facts: SysfsFacts): MapModel[] => {
    if (!lastEnriched || lastEnriched.parsed !== parsed || !sameFacts(lastEnriched.facts, facts)) {
      lastEnriched = { parsed, facts, maps: enrichMaps(parsed, facts) };
    }
    return lastEnriched.maps;
  };

  /**
   * `show status`, after the maps (within what the deadline leaves): a daemon that cannot answer it
   * (an error, no time left, a reply this version cannot read) loses only its series. Logged once
   * per reason, not per scrape (a timeout's message names the milliseconds left).
   */
  async function statusOf(send: (command: string) => Promise<string>): Promise<DaemonStatus | undefined> {
    let failure: { reason: CollectionFailure; message: string };
    try {
      const parsed = parseStatusReply(await send('show status'));
      if (parsed.ok) {
        if (lastStatusFailure !== undefined) opts.log.info('show status recovered');
        lastStatusFailure = undefined;
        return parsed.value;
      }
      failure = { reason: parsed.reason, message: `show status: ${parsed.message}` };
    } catch (err) {
      failure = { reason: err instanceof MultipathdError ? err.reason : 'bad_output', message: err instanceof Error ? err.message : String(err) };
    }
    if (lastStatusFailure !== failure.reason) opts.log.warn('show status failed, its series are left out', { reason: failure.reason, error: failure.message });
    lastStatusFailure = failure.reason;
    return undefined;
  }

  async function collectOnce(): Promise<Snapshot> {
    const takenAt = now();
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    const client = opts.client();
    // The configured timeout bounds the whole collection, not each command: every command (the
    // retry included) gets what the ones before it left.
    const deadline = started + client.timeoutMs;
    const send = async (command: string) => {
      try {
        return await client.command(command, deadline);
      } catch (err) {
        if (err instanceof MultipathdError) throw new MultipathdError(err.reason, `${command}: ${err.message}`);
        throw err;
      }
    };
    try {
      const daemonReply = parseDaemonReply(await send('show daemon'));
      if (!daemonReply.ok) throw new MultipathdError(daemonReply.reason, `show daemon: ${daemonReply.message}`);
      let parsed = parseMapsOnce(await send('show maps json'));
      // A map vanishing mid-command makes the whole `show maps json` answer `fail`: retry once.
      if (!parsed.ok && parsed.reason === 'fail') parsed = parseMapsOnce(await send('show maps json'));
      if (!parsed.ok) throw new MultipathdError(parsed.reason, `show maps json: ${parsed.message}`);
      const status = await statusOf(send);
      const facts = await readSysfsFacts(opts.sysfsRoot(), parsed.value.maps);
      return {
        ok: true,
        takenAt,
        durationSeconds: elapsed(),
        daemon: daemonReply.value,
        ...(status ? { status } : {}),
        maps: enrichOnce(parsed.value.maps, facts),
        skipped: parsed.value.skipped,
        dropped: parsed.value.dropped,
      };
    } catch (err) {
      const reason: CollectionFailure = err instanceof MultipathdError ? err.reason : 'bad_output';
      const message = err instanceof Error ? err.message : String(err);
      return { ok: false, takenAt, durationSeconds: elapsed(), reason, message: `${message} [via ${client.describe}]` };
    }
  }

  return {
    collect() {
      if (!inFlight) {
        inFlight = collectOnce().then((snapshot) => {
          inFlight = undefined;
          if (!snapshot.ok) {
            failures[snapshot.reason]++;
            // One line per change of outcome, not one per scrape.
            const key = `${snapshot.reason}: ${snapshot.message.replace(/\d+/g, 'N')}`;
            if (lastFailureKey !== key) opts.log.warn('collection failed', { reason: snapshot.reason, error: snapshot.message });
            lastFailureKey = key;
          } else if (lastFailureKey !== undefined) {
            opts.log.info('collection recovered', { maps: snapshot.maps.length });
            lastFailureKey = undefined;
          }
          return snapshot;
        });
      }
      return inFlight;
    },
    failures: () => ({ ...failures }),
  };
}
