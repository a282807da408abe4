/** Bounds a handshake in time: the stream is closed if it has not finished by the deadline. */
import type { ByteStream } from "../core/stream.ts";

/** Runs `fn` and closes `stream` if it takes longer than `ms`; the rejection of fn then surfaces. */
export async function withDeadline<T>(
  stream: Pick<ByteStream, "close">,
  ms: number,
  fn: () => Promise<T>,
): Promise<T> {
  const timer = setTimeout(() => stream.close(), ms);
  try {
    return await fn();
  } finally {
    clearTimeout(timer);
  }
}
