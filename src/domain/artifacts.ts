// A run's artifacts: the regular files of its work folder that matched the run's globs and
// were kept after it ended (bounded in count and bytes), what was left out and why, and the
// content type each is served with. The schema is the one source for validation, types and
// openapi.yaml.
import { Type, type Static } from '@sinclair/typebox';

/** Most globs a run (or one test) may give. */
export const ARTIFACT_GLOBS_MAX = 16;
/** Most entries of `omitted` a record lists; past it, `omittedMore` counts the rest. */
export const OMITTED_LISTED_MAX = 100;

export const ArtifactFileSchema = Type.Object({
  path: Type.String({ description: 'path in the work folder' }),
  size: Type.Integer({ minimum: 0, description: 'bytes' }),
  contentType: Type.String({ description: 'served with GET /runs/{id}/artifacts/{path}, chosen by the extension' }),
  test: Type.Optional(Type.Integer({ minimum: 0, description: 'judge mode: the index of the test after which it was kept (?test=N)' })),
});
export type ArtifactFile = Static<typeof ArtifactFileSchema>;

export const OmissionReason = {
  notRegularFile: 'not_a_regular_file',
  countLimit: 'count_limit',
  sizeLimit: 'size_limit',
} as const;
export type OmissionReason = (typeof OmissionReason)[keyof typeof OmissionReason];

export const OmittedArtifactSchema = Type.Object({
  path: Type.String(),
  reason: Type.Union(
    [Type.Literal(OmissionReason.notRegularFile), Type.Literal(OmissionReason.countLimit), Type.Literal(OmissionReason.sizeLimit)],
    {
      description:
        'not_a_regular_file: a symbolic link (never followed), a folder of that name is not kept (match its files: name/**), or a device; count_limit: ARTIFACTS_MAX_FILES were kept already; size_limit: it would pass ARTIFACTS_MAX_BYTES',
    },
  ),
  test: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type OmittedArtifact = Static<typeof OmittedArtifactSchema>;

export const ArtifactListingSchema = Type.Object(
  {
    files: Type.Array(ArtifactFileSchema),
    omitted: Type.Array(OmittedArtifactSchema, {
      description: `files that matched but were not kept (at most ${OMITTED_LISTED_MAX} listed)`,
    }),
    omittedMore: Type.Optional(Type.Integer({ minimum: 1, description: 'omitted files beyond those listed' })),
    error: Type.Optional(
      Type.String({
        description:
          'why part or all of the work folder could not be read back (the sandbox ended with the program, or the folder holds more than limits.diskMb)',
      }),
    ),
  },
  {
    description:
      'with artifacts in the request, once the run has ended: the files of its work folder it kept (GET /runs/{id}/artifacts/{path}) and those it left out',
  },
);
export type ArtifactListing = Static<typeof ArtifactListingSchema>;

export const emptyListing = (): ArtifactListing => ({ files: [], omitted: [] });

/** Bytes an artifact listing keeps in storage: its files' data. */
export const artifactBytes = (listing: ArtifactListing | undefined) => (listing?.files ?? []).reduce((sum, f) => sum + f.size, 0);

const contentTypes: Record<string, string> = {
  txt: 'text/plain; charset=utf-8',
  log: 'text/plain; charset=utf-8',
  out: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  tsv: 'text/tab-separated-values; charset=utf-8',
  json: 'application/json',
  xml: 'application/xml',
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  mp4: 'video/mp4',
};

/** The content type of a path, by its extension; unknown ones are application/octet-stream. */
export function contentTypeOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return (dot > 0 && contentTypes[name.slice(dot + 1).toLowerCase()]) || 'application/octet-stream';
}

/**
 * Whether a browser may show it in place: passive formats only. Anything that can carry script
 * (HTML, SVG, XML, PDF) or is unknown is served as a download.
 */
export function servedInline(contentType: string): boolean {
  return /^(text\/plain|text\/csv|text\/tab-separated-values|text\/markdown|application\/json|image\/(png|jpeg|gif|webp|bmp)|audio\/|video\/)/.test(
    contentType,
  );
}
