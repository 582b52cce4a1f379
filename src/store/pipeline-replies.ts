// A pipeline answers each command's error beside its reply instead of rejecting. Read through
// this, a command that failed (Redis away, a restart) rejects the read with its error, which
// the API answers 503; it is never taken for an empty or missing value.
import type { ChainableCommander } from 'ioredis';

/** The replies of `pipeline`'s commands, in order; rejects with the first command's error. */
export async function pipelineReplies(pipeline: ChainableCommander): Promise<unknown[]> {
  const replies = (await pipeline.exec()) ?? [];
  const failed = replies.find(([error]) => error);
  if (failed?.[0]) throw failed[0];
  return replies.map(([, reply]) => reply);
}
