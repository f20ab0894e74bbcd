import mongoose from 'mongoose';

export interface RetryPolicy {
  attempts: number;
  /** Wait before attempt n+1 is `baseDelayMs × n`. */
  baseDelayMs: number;
}

export const STARTUP_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 3_000 };

export type Probe = (uri: string) => Promise<void>;

/** Connects, pings and disconnects: proves the server answers before the app relies on it. */
export const pingProbe: Probe = async (uri) => {
  const connection = mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5_000 });
  try {
    await connection.asPromise();
    await connection.db!.admin().ping();
  } finally {
    await connection.close().catch(() => undefined);
  }
};

export class DatabaseStartupError extends Error {}

/** Tries the first connection with linear backoff, reporting each failure with its reason. */
export async function waitForDatabase(
  uri: string,
  onFailure: (attempt: number, reason: string, retryInMs?: number) => void,
  policy: RetryPolicy = STARTUP_RETRY,
  probe: Probe = pingProbe,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((done) => setTimeout(done, ms)),
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await probe(uri);
      return;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (attempt >= policy.attempts) {
        onFailure(attempt, reason);
        throw new DatabaseStartupError(
          `MongoDB did not answer after ${attempt} attempts; last error: ${reason}`,
        );
      }
      const delay = policy.baseDelayMs * attempt;
      onFailure(attempt, reason, delay);
      await sleep(delay);
    }
  }
}
