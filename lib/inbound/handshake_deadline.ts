/** Bounds a handshake in time: the connection is closed if it has not finished by the deadline. */

/** Runs `fn` and closes `conn` if it takes longer than `ms`; the rejection of fn then surfaces. */
export async function withDeadline<T>(
  conn: Deno.Conn,
  ms: number,
  fn: () => Promise<T>,
): Promise<T> {
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }, ms);
  try {
    return await fn();
  } finally {
    clearTimeout(timer);
  }
}
