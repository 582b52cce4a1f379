// Custom runtimes: an admin's Dockerfile instructions built on top of a built-in runtime's
// image (never an arbitrary base), served like a built-in once a worker has built and checked
// it. Pure: the rules a definition must pass, the Dockerfile the service builds from it, and
// the catalogue entry it becomes.
import { createHash } from 'node:crypto';
import type { Runtime } from './runtimes.js';

/** 2 to 32 characters: lower-case letters, digits and inner dashes (it is part of an image name). */
export const CUSTOM_NAME_PATTERN = '^[a-z][a-z0-9-]{0,30}[a-z0-9]$';
export const DOCKERFILE_MAX_BYTES = 64 * 1024;
export const DOCKERFILE_MAX_INSTRUCTIONS = 200;

/**
 * The instructions a definition may use. FROM (another base), ADD (URLs and archives fetched by
 * the daemon itself, outside the build's network), VOLUME (a host-side writable volume in every
 * sandbox), ENTRYPOINT and CMD (they would wrap or replace the supervisor), ONBUILD,
 * HEALTHCHECK, STOPSIGNAL and EXPOSE are refused; so is COPY --from (another image's files).
 */
export const ALLOWED_INSTRUCTIONS = ['RUN', 'COPY', 'ENV', 'ARG', 'WORKDIR', 'LABEL', 'USER', 'SHELL'] as const;

/** The label every image (and every intermediate image and container) of a custom runtime's build carries. */
export const CUSTOM_RUNTIME_LABEL = 'runbox.custom-runtime';
/** The definition's hash, as a label: an image of an older definition is not this one's. */
export const SOURCE_HASH_LABEL = 'runbox.source-hash';
/** One build's id, as a label: what a failed build leaves is found by it and removed. */
export const BUILD_LABEL = 'runbox.build';

/** The instructions of a Dockerfile text: continuations joined, comments and blank lines left out. */
export function dockerInstructions(text: string): { keyword: string; line: string }[] {
  const instructions: { keyword: string; line: string }[] = [];
  let current = '';
  for (const raw of text.split(/\r?\n/)) {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#')) continue; // comments, also between continued lines
    if (trimmed === '' && current === '') continue;
    const continued = /\\\s*$/.test(raw);
    current += (current ? ' ' : '') + (continued ? raw.replace(/\\\s*$/, '') : raw).trim();
    if (continued) continue;
    if (current.trim() !== '') instructions.push({ keyword: current.trim().split(/\s+/)[0].toUpperCase(), line: current.trim() });
    current = '';
  }
  if (current.trim() !== '') instructions.push({ keyword: current.trim().split(/\s+/)[0].toUpperCase(), line: current.trim() });
  return instructions;
}

/** Why a definition's Dockerfile instructions are refused, or undefined when they are fine. */
export function dockerfileProblem(text: string): string | undefined {
  if (Buffer.byteLength(text) > DOCKERFILE_MAX_BYTES) return `is longer than ${DOCKERFILE_MAX_BYTES} bytes`;
  if (text.includes('\0')) return 'contains a NUL byte';
  const instructions = dockerInstructions(text);
  if (instructions.length === 0) return 'holds no instruction';
  if (instructions.length > DOCKERFILE_MAX_INSTRUCTIONS) return `holds more than ${DOCKERFILE_MAX_INSTRUCTIONS} instructions`;
  for (const { keyword, line } of instructions) {
    if (!(ALLOWED_INSTRUCTIONS as readonly string[]).includes(keyword)) {
      return `uses ${keyword}, which a custom runtime may not (allowed: ${ALLOWED_INSTRUCTIONS.join(', ')}; FROM is the base runtime's image, put there by the service)`;
    }
    if (keyword === 'COPY' && /(^|\s)--from[=\s]/i.test(line))
      return 'uses COPY --from, which would bring in another image; COPY the build files instead';
    // runbox.* labels are the service's: they find a build's layers, tell a runtime's
    // definition, and mark snapshots for the reaper.
    if (keyword === 'LABEL' && /(^|[\s"'])runbox\./i.test(line.slice('LABEL'.length)))
      return 'sets a runbox.* label, which only the service sets';
  }
  return undefined;
}

export interface CustomRuntimeSource {
  dockerfile: string;
  /** Build files, content base64. */
  files: { name: string; content: string }[];
}

/** The hash of a definition: its image's tag, so an image of an older definition is never taken for this one. */
export function definitionHash(base: string, baseImage: string, source: CustomRuntimeSource): string {
  return createHash('sha256')
    .update(JSON.stringify({ base, baseImage, dockerfile: source.dockerfile, files: source.files }))
    .digest('hex')
    .slice(0, 16);
}

/** The image a custom runtime is built as: PREFIX + custom-NAME, tagged with its definition's hash. */
export const customImage = (prefix: string, name: string, hash: string) => `${prefix}custom-${name}:${hash}`;

/**
 * The Dockerfile the service builds: FROM the base runtime's image, labelled so every layer of
 * this build can be found, the admin's instructions as root, then the supervisor copied again
 * from the base (whatever the instructions did to it) and the sandbox's user and work folder.
 */
export function buildDockerfile(o: { baseImage: string; name: string; hash: string; buildId: string; dockerfile: string }): string {
  return [
    `FROM ${o.baseImage}`,
    `LABEL ${CUSTOM_RUNTIME_LABEL}="${o.name}" ${SOURCE_HASH_LABEL}="${o.hash}" ${BUILD_LABEL}="${o.buildId}"`,
    'USER root',
    '# ---- the definition ----',
    // One line per instruction: a trailing backslash cannot join the service's lines to the admin's.
    ...dockerInstructions(o.dockerfile).map((i) => i.line),
    '# ---- runbox: the supervisor, the sandbox user and its work folder ----',
    'USER root',
    `COPY --from=${o.baseImage} /usr/local/bin/runbox-run /usr/local/bin/runbox-run`,
    'WORKDIR /work',
    'USER 1000:1000',
    '',
  ].join('\n');
}

/** A custom runtime as stored: its definition (without the Dockerfile and files) and its state. */
export interface CustomRuntime {
  name: string;
  base: string;
  fileName: string;
  sourceExtension: string;
  compile?: string[];
  run: string[];
  /** The version the admin gave; else the image's, read by the check once built. */
  version?: string;
  status: 'building' | 'ready' | 'failed';
  progress?: string;
  error?: string;
  image: string;
  hash: string;
  createdAt: string;
}

/** The extension of a file name, with its dot ("" when it has none). */
export const extensionOf = (fileName: string) => {
  const name = fileName.slice(fileName.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot) : '';
};

/** The catalogue entry of a custom runtime: its own commands and image, the rest (env, limits, Docker runtime) its base's. */
export function runtimeOfCustom(custom: CustomRuntime, base: Runtime): Runtime {
  return {
    language: custom.name,
    aliases: [],
    fileName: custom.fileName,
    sourceExtension: custom.sourceExtension,
    ...(custom.compile ? { compile: custom.compile } : {}),
    run: custom.run,
    ...(base.env ? { env: base.env } : {}),
    ...(base.limits ? { limits: base.limits } : {}),
    ...(base.compileLimits ? { compileLimits: base.compileLimits } : {}),
    ...(base.sandboxRuntime ? { sandboxRuntime: base.sandboxRuntime } : {}),
    image: custom.image,
  };
}
