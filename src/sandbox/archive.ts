// Packs a run's files into the tar that runbox-run unpacks inside the sandbox. The host
// only ever writes this archive; it never opens a path inside a sandbox.
import { pack } from 'tar-stream';

export interface SandboxFile {
  name: string;
  content: Buffer;
  executable?: boolean;
}

export async function packFiles(files: readonly SandboxFile[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    archive.on('end', resolve);
    archive.on('error', reject);
  });
  const mtime = new Date();
  for (const file of files) {
    archive.entry({ name: file.name, size: file.content.length, mode: file.executable ? 0o755 : 0o644, mtime }, file.content);
  }
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}
