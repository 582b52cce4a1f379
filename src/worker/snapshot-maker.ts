// Makes a snapshot of a sandbox's work folder: collected through runbox-run (data only, within
// the work folder's size), admitted into its owner's snapshot quota and recorded, then written
// into an image (snapshot-images.ts). Used by runs with `snapshot: true` and by sessions. A
// snapshot that cannot be made leaves neither a record nor an image.
import type { Logger } from 'pino';
import { CommandErrorCode, type CommandError } from '../domain/session-command.js';
import type { SnapshotRecord } from '../domain/session-record.js';
import type { SnapshotImages } from '../sandbox/snapshot-images.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import type { SessionPort } from './sandbox-port.js';

export interface SnapshotMakerOptions {
  images: Pick<SnapshotImages, 'create' | 'imageOf'>;
  store: Pick<SnapshotStore, 'reserve' | 'remove'>;
  /** The Docker engine the images are made on (workers on it can open sessions on them). */
  engine: string;
  retentionSeconds: number;
  log: Logger;
}

export interface SnapshotRequest {
  snapshotId: string;
  session: Pick<SessionPort, 'collect'>;
  /** Most bytes the work folder may hold (its disk limit). */
  budgetBytes: number;
  language: string;
  /** The runtime image the sandbox runs. */
  image: string;
  owner: string;
  label: string;
  source: SnapshotRecord['source'];
}

export type SnapshotOutcome = { made: true; record: SnapshotRecord } | { made: false; error: CommandError };

export function createSnapshotMaker({ images, store, engine, retentionSeconds, log }: SnapshotMakerOptions) {
  return async function make(request: SnapshotRequest): Promise<SnapshotOutcome> {
    const { folder, collected, error } = await request.session.collect(request.budgetBytes);
    try {
      if (error) return { made: false, error: { code: CommandErrorCode.internalError, message: `cannot read the work folder: ${error}` } };
      if (collected.exceeded) {
        return {
          made: false,
          error: { code: CommandErrorCode.payloadTooLarge, message: `the work folder holds more than its ${request.budgetBytes} bytes` },
        };
      }
      const now = Date.now();
      const record: SnapshotRecord = {
        id: request.snapshotId,
        label: request.label,
        language: request.language,
        sizeBytes: collected.bytes,
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + retentionSeconds * 1000).toISOString(),
        source: request.source,
      };
      const admission = await store.reserve({ record, owner: request.owner, engine, image: images.imageOf(request.snapshotId) });
      if (!admission.admitted) {
        return {
          made: false,
          error: {
            code: CommandErrorCode.snapshotQuotaExceeded,
            message:
              admission.refusal === 'count'
                ? 'this key keeps as many snapshots as it may (SNAPSHOT_MAX_PER_KEY); delete one or wait until one expires'
                : `this key's snapshots would hold more than SNAPSHOT_KEY_MAX_BYTES with this one of ${collected.bytes} bytes`,
            retryAfterSeconds: admission.retryAfterMs / 1000,
          },
        };
      }
      try {
        await images.create({ snapshotId: record.id, image: request.image, folder, expiresAtMs: Date.parse(record.expiresAt) });
      } catch (failure) {
        await store
          .remove(record.id, request.owner)
          .catch((cause) => log.error({ err: cause }, 'could not remove the record of a failed snapshot'));
        throw failure;
      }
      log.info({ snapshotId: record.id, sizeBytes: record.sizeBytes, source: record.source }, 'snapshot made');
      return { made: true, record };
    } finally {
      folder.dispose();
    }
  };
}

export type SnapshotMaker = ReturnType<typeof createSnapshotMaker>;
