// One collection from multipathd, as plain data. Every scrape renders exactly one snapshot.
import type { DaemonReply, DaemonStatus, MapModel } from './parse-multipathd.js';
import type { CollectionFailure, DroppedEntry, SkipReason } from './states.js';

export type DaemonInfo = DaemonReply;

interface SnapshotBase {
  /** Epoch milliseconds when the collection started. */
  takenAt: number;
  durationSeconds: number;
}

export interface GoodSnapshot extends SnapshotBase {
  ok: true;
  daemon?: DaemonInfo;
  /** `show status` of the same collection; absent when it failed (older daemon, error, no time left). */
  status?: DaemonStatus;
  maps: MapModel[];
  /** Maps of the reply that are not exported, by reason. */
  skipped: Readonly<Record<SkipReason, number>>;
  /** Path groups and paths dropped as repeats within their map. */
  dropped: Readonly<Record<DroppedEntry, number>>;
}

export interface FailedSnapshot extends SnapshotBase {
  ok: false;
  reason: CollectionFailure;
  message: string;
}

export type Snapshot = GoodSnapshot | FailedSnapshot;
