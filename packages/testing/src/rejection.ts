/** Assertion helpers for actions that must fail. */
import { isKitError, type KitError } from '@recovery-kit/sdk';

/** What `p` rejects with; throws when it resolves instead. */
export async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a failure, but it succeeded');
    },
    (e: unknown) => e,
  );
}

/** The KitError `p` rejects with; rethrows any other error, throws when it resolves. */
export async function kitErrorOf(p: Promise<unknown>): Promise<KitError> {
  const e = await rejectionOf(p);
  if (isKitError(e)) return e;
  throw e;
}
