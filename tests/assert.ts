/** Minimal assertions (Deno's std is not reachable from here). */
import { inspect, isDeepStrictEqual } from "node:util";

/** Thrown when an assertion fails. */
export class AssertionError extends Error {
  override name = "AssertionError";
}

/** Asserts deep equality. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new AssertionError(
      `${msg ? msg + ": " : ""}values differ\n  actual:   ${inspect(actual)}\n  expected: ${
        inspect(expected)
      }`,
    );
  }
}

/** Asserts that a value is truthy. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new AssertionError(msg);
}

/** Asserts that `s` contains `part`. */
export function assertStringIncludes(s: string, part: string, msg?: string): void {
  if (!s.includes(part)) {
    throw new AssertionError(
      `${msg ? msg + ": " : ""}expected ${inspect(s)} to include ${inspect(part)}`,
    );
  }
}

/** Asserts that fn throws (or rejects) an error of class C whose message includes `includes`. */
export async function assertRejects<E extends Error>(
  fn: () => unknown,
  C?: new (...a: never[]) => E,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (e) {
    if (C && !(e instanceof C)) throw new AssertionError(`expected ${C.name}, got ${inspect(e)}`);
    if (includes && !String((e as Error).message).includes(includes)) {
      throw new AssertionError(`error ${inspect((e as Error).message)} lacks ${inspect(includes)}`);
    }
    return e as E;
  }
  throw new AssertionError("expected an error, none was thrown");
}

/** Synchronous variant of assertRejects. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  C?: new (...a: never[]) => E,
  includes?: string,
): E {
  try {
    fn();
  } catch (e) {
    if (C && !(e instanceof C)) throw new AssertionError(`expected ${C.name}, got ${inspect(e)}`);
    if (includes && !String((e as Error).message).includes(includes)) {
      throw new AssertionError(`error ${inspect((e as Error).message)} lacks ${inspect(includes)}`);
    }
    return e as E;
  }
  throw new AssertionError("expected an error, none was thrown");
}
