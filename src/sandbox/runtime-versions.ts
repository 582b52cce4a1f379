// Reads each runtime's version from its image (label runbox.version, set when the image is
// built from what the image itself reports), so GET /runtimes never shows a typed-in number.
import type Docker from 'dockerode';
import { imageOf, type Runtime } from '../domain/runtimes.js';

export async function readRuntimeVersions(
  docker: Docker,
  catalogue: readonly Runtime[],
  imagePrefix: string,
): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  await Promise.all(
    catalogue.map(async (runtime) => {
      const info = await docker
        .getImage(imageOf(imagePrefix, runtime))
        .inspect()
        .catch(() => undefined);
      const version = info?.Config?.Labels?.['runbox.version'];
      if (version) versions[runtime.language] = version;
    }),
  );
  return versions;
}
