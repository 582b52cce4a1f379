// Snapshots as images: a sandbox's work folder (a tmpfs, which `docker commit` does not see) is
// collected through runbox-run as data, then written into a fresh container of the same runtime
// image by another runbox-run, under a folder of the image that no sandbox mounts over, and that
// container is committed. A sandbox opened on the image loads the folder back into its work
// folder (runbox-run's load). The host never unpacks an archive or follows a path of the
// sandbox's: the files travel as frames both ways, as every run's do.
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { buildSnapshotWriterSpec, SNAPSHOT_EXPIRES_LABEL, SNAPSHOT_FOLDER, SNAPSHOT_LABEL, type SandboxProfile } from './container-spec.js';
import { createContainerLifecycle, statusCodeOf, SandboxFault } from './container-lifecycle.js';
import { createRunnerChannel } from './runner-channel.js';
import { KEY_BYTES } from './runner-protocol.js';
import { sandboxName } from './sandbox-names.js';
import type { WorkFolder } from './work-folder.js';

/** How long a writer may take before the reaper may remove it (a crashed worker's). */
const WRITER_LIFETIME_MS = 10 * 60_000;
/** How long a writer that was asked to quit may take to stop before the commit. */
const STOP_WAIT_MS = 10_000;

export interface SnapshotImagesOptions {
  docker: Docker;
  log: Logger;
  /** Snapshot images are `<repo>:<snapshot id>`. */
  repo: string;
}

export interface CreateSnapshotOptions {
  snapshotId: string;
  /** The runtime image the work folder came from. */
  image: string;
  folder: WorkFolder;
  /** When the reaper may remove the image (its label). */
  expiresAtMs: number;
}

export function createSnapshotImages({ docker, log, repo }: SnapshotImagesOptions) {
  const lifecycle = createContainerLifecycle({ docker });
  const imageOf = (snapshotId: string) => `${repo}:${snapshotId}`;

  async function waitStopped(container: { inspect(): Promise<{ running: boolean } | undefined> }): Promise<void> {
    const deadline = Date.now() + STOP_WAIT_MS;
    for (;;) {
      const state = await container.inspect();
      if (!state?.running) return;
      if (Date.now() > deadline) throw new SandboxFault('the snapshot writer did not stop', 'running');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Makes the image of a snapshot from a work folder; returns its name. Nothing is left behind when it fails. */
  async function create({ snapshotId, image, folder, expiresAtMs }: CreateSnapshotOptions): Promise<string> {
    const name = sandboxName(Date.now() + WRITER_LIFETIME_MS, 'snapshot', randomBytes(4).toString('hex'));
    const profile: SandboxProfile = {
      image,
      runtime: 'runc',
      limits: { memoryMb: 256, cpus: 1, pids: 16, diskMb: 0 },
      network: false,
      root: false,
    };
    const container = await lifecycle.launchSpec(buildSnapshotWriterSpec({ image, name, snapshotId, expiresAtMs }), profile);
    try {
      const channel = createRunnerChannel(container.stream, randomBytes(KEY_BYTES));
      await channel.start();
      await channel.putFiles(folder, SNAPSHOT_FOLDER);
      await channel.quit();
      await channel.ended;
      await waitStopped(container);
      await container.commit(repo, snapshotId);
      return imageOf(snapshotId);
    } finally {
      await container.remove().catch((error) => log.warn({ err: error, container: container.id }, 'could not remove a snapshot writer'));
    }
  }

  /** Removes a snapshot's image; false when a sandbox still uses it (the reaper takes it at its expiry). */
  async function remove(snapshotId: string): Promise<boolean> {
    try {
      await docker.getImage(imageOf(snapshotId)).remove({ force: false });
      return true;
    } catch (error) {
      const status = statusCodeOf(error);
      if (status === 404) return true;
      if (status === 409) return false;
      throw error;
    }
  }

  /** Removes every snapshot image past its expiry that no sandbox uses; returns how many. */
  async function reapExpired(now = Date.now()): Promise<number> {
    const images = await docker.listImages({ filters: { label: [SNAPSHOT_EXPIRES_LABEL] } });
    let removed = 0;
    for (const image of images) {
      const expires = Number(image.Labels?.[SNAPSHOT_EXPIRES_LABEL]);
      const id = image.Labels?.[SNAPSHOT_LABEL];
      if (!id || !(expires < now)) continue;
      if (await remove(id).catch(() => false)) removed++;
    }
    if (removed > 0) log.info({ removed }, 'reaper removed expired snapshot images');
    return removed;
  }

  async function exists(snapshotId: string): Promise<boolean> {
    return docker
      .getImage(imageOf(snapshotId))
      .inspect()
      .then(
        () => true,
        () => false,
      );
  }

  return { create, remove, reapExpired, exists, imageOf };
}

export type SnapshotImages = ReturnType<typeof createSnapshotImages>;
