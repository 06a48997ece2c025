// A run id names consumer groups, transactional ids and record ids, so it is kept to characters
// that are safe in all of them.

const RUN_ID = /^[A-Za-z0-9._-]{1,100}$/;

/** Throws unless `runId` is 1–100 letters, digits, '.', '_' or '-'; `what` names it in the message. */
export function checkRunId(runId: string, what = 'run id'): void {
  if (!RUN_ID.test(runId)) {
    throw new Error(`${what} must be 1–100 letters, digits, '.', '_' or '-', got ${JSON.stringify(runId)}`);
  }
}
