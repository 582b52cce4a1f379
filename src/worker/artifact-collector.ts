// A run's artifacts on the worker: after the program (in judge mode, after each test that
// asked), the work folder is read back through runbox-run inside the sandbox, as data only
// (the host never opens a path of the sandbox, and runbox-run never follows a link); the
// regular files that match the run's globs are kept, up to ARTIFACTS_MAX_FILES and
// ARTIFACTS_MAX_BYTES for the whole run, and written to the run's artifact hash. What matched
// but was not kept is listed with the reason.
import {
  contentTypeOf,
  emptyListing,
  OMITTED_LISTED_MAX,
  OmissionReason,
  type ArtifactListing,
  type OmittedArtifact,
} from '../domain/artifacts.js';
import { compileGlob, matchGlob, MatchBudgetExceeded, type Glob, type MatchBudget } from '../domain/glob.js';
import { S_IFDIR, S_IFMT, S_IFREG, type WorkFolder } from '../sandbox/work-folder.js';
import type { ArtifactStore } from '../store/artifact-store.js';
import type { SessionPort } from './sandbox-port.js';

/** Glob steps one run's collections may take together (about a tenth of a second of matching). */
export const MATCH_STEPS = 20_000_000;

export interface ArtifactLimits {
  /** Files kept per run, all tests together. */
  maxFiles: number;
  /** Bytes kept per run, all tests together. */
  maxBytes: number;
}

export interface ArtifactCollectorOptions {
  runId: string;
  limits: ArtifactLimits;
  /** What a collect may read back: the work folder's size (limits.diskMb). */
  folderBytes: number;
  store: Pick<ArtifactStore, 'write'>;
}

/** A kept file's bytes, its holes filled with zeros. */
function contentOf(folder: WorkFolder, entry: WorkFolder['entries'][number]): Buffer {
  const data = Buffer.alloc(entry.size);
  for (const piece of entry.pieces)
    folder.read(piece).copy(data, piece.offset, 0, Math.max(0, Math.min(piece.length, entry.size - piece.offset)));
  return data;
}

export function createArtifactCollector(o: ArtifactCollectorOptions) {
  const listing: ArtifactListing = emptyListing();
  const budget: MatchBudget = { steps: MATCH_STEPS };
  let keptFiles = 0;
  let keptBytes = 0;

  const note = (error: string) => {
    listing.error ??= error;
  };
  const omit = (omitted: OmittedArtifact) => {
    if (listing.omitted.length < OMITTED_LISTED_MAX) listing.omitted.push(omitted);
    else listing.omittedMore = (listing.omittedMore ?? 0) + 1;
  };

  /**
   * Keeps the files of `session`'s work folder that match `patterns` (`test`: the test they
   * follow, in judge mode). Never throws for the sandbox: what could not be read is said in
   * the listing's `error`.
   */
  async function collect(session: SessionPort, patterns: readonly string[], test?: number): Promise<void> {
    if (patterns.length === 0) return;
    const where = test === undefined ? '' : ` after test ${test}`;
    if (!session.usable) {
      note(`the sandbox ended with the program${where} (killed at a limit or cancelled): its work folder could not be read back`);
      return;
    }
    const globs: Glob[] = patterns.map(compileGlob);
    const at = (path: string) => (test === undefined ? { path } : { path, test });
    const keep = ({ path, mode, size }: { path: string; mode: number; size: number }): boolean => {
      let matched: boolean;
      try {
        matched = budget.steps > 0 && globs.some((glob) => matchGlob(glob, path, budget));
      } catch (error) {
        if (!(error instanceof MatchBudgetExceeded)) throw error;
        matched = false;
      }
      if (budget.steps <= 0) note(`matching the globs stopped after ${MATCH_STEPS} steps: files past that point were not looked at`);
      if (!matched || (mode & S_IFMT) === S_IFDIR) return false;
      if ((mode & S_IFMT) !== S_IFREG) {
        omit({ ...at(path), reason: OmissionReason.notRegularFile });
        return false;
      }
      if (keptFiles >= o.limits.maxFiles) {
        omit({ ...at(path), reason: OmissionReason.countLimit });
        return false;
      }
      if (keptBytes + size > o.limits.maxBytes) {
        omit({ ...at(path), reason: OmissionReason.sizeLimit });
        return false;
      }
      keptFiles++;
      keptBytes += size;
      return true;
    };

    const before = { keptFiles, keptBytes };
    let outcome;
    try {
      outcome = await session.collect(o.folderBytes, keep);
    } catch (error) {
      ({ keptFiles, keptBytes } = before);
      note(`the work folder could not be read back${where}: ${(error as Error).message}`);
      return;
    }
    const { folder, collected } = outcome;
    try {
      if (outcome.error) note(`part of the work folder could not be read${where}: ${outcome.error}`);
      if (collected.exceeded)
        note(`the work folder${where} holds more than limits.diskMb with 512 bytes per entry: only part of it was read`);
      const files = folder.entries.map((entry) => ({ ...at(entry.path), data: contentOf(folder, entry) }));
      await o.store.write(o.runId, files);
      for (const file of files) listing.files.push({ ...at(file.path), size: file.data.length, contentType: contentTypeOf(file.path) });
    } finally {
      folder.dispose();
    }
  }

  return {
    collect,
    /** What has been kept and left out so far. */
    listing: (): ArtifactListing => listing,
  };
}
export type ArtifactCollector = ReturnType<typeof createArtifactCollector>;
