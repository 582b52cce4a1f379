// The custom runtime images on this worker's host: whether one is here, and removing those of
// runtimes that no longer exist (deleted, or defined again with other instructions), with
// whatever a build of theirs left.
import type Docker from 'dockerode';
import { CUSTOM_RUNTIME_LABEL, SOURCE_HASH_LABEL } from '../domain/custom-runtime.js';
import { statusCodeOf } from './container-lifecycle.js';

export async function hasImage(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (error) {
    if (statusCodeOf(error) === 404) return false;
    throw error;
  }
}

/**
 * Removes every image (tagged or not) of a custom runtime whose name and hash `current` does not
 * name, children first; one a container still uses stays until the next sweep. Returns how many
 * went and how many are left.
 */
export async function removeStaleCustomImages(
  docker: Docker,
  current: (name: string, hash: string) => boolean,
): Promise<{ removed: number; left: number }> {
  const images = await docker.listImages({ all: true, filters: { label: [CUSTOM_RUNTIME_LABEL] } });
  const stale = images
    .filter((image) => !current(image.Labels?.[CUSTOM_RUNTIME_LABEL] ?? '', image.Labels?.[SOURCE_HASH_LABEL] ?? ''))
    .sort((a, b) => b.Created - a.Created);
  let removed = 0;
  for (const image of stale) {
    // Tags first: an image with several tags (never ours) is not forced away.
    const ok = await docker
      .getImage(image.Id)
      .remove({ force: true, noprune: false })
      .then(() => true)
      .catch(() => false);
    if (ok) removed++;
  }
  return { removed, left: stale.length - removed };
}
