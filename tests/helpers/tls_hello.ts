/** TLS ClientHello bytes built in tests: any SNI, extensions around it, any record fragmentation. */

/** What a built ClientHello contains. */
export interface HelloSpec {
  /** The host_name to send, or null for no SNI extension. */
  readonly sni: string | null;
  /** Legacy session id (0–32 bytes). */
  readonly sessionId?: Uint8Array;
  /** Cipher suites. */
  readonly suites?: readonly number[];
  /** Extensions (type, data) before the SNI one. */
  readonly before?: readonly (readonly [number, Uint8Array])[];
  /** Extensions (type, data) after the SNI one. */
  readonly after?: readonly (readonly [number, Uint8Array])[];
}

function u16(n: number): number[] {
  return [n >> 8, n & 0xff];
}

function ext(type: number, data: Uint8Array | number[]): number[] {
  return [...u16(type), ...u16(data.length), ...data];
}

/** The handshake message (type 1, 24-bit length, body) of a ClientHello. */
export function clientHelloMessage(spec: HelloSpec): Uint8Array {
  const sid = spec.sessionId ?? new Uint8Array(32).fill(7);
  const suites = spec.suites ?? [0x1301, 0x1302, 0xc02f];
  const exts: number[] = [];
  for (const [t, d] of spec.before ?? []) exts.push(...ext(t, d));
  if (spec.sni !== null) {
    const name = [...new TextEncoder().encode(spec.sni)];
    const entry = [0, ...u16(name.length), ...name];
    exts.push(...ext(0, [...u16(entry.length), ...entry]));
  }
  for (const [t, d] of spec.after ?? []) exts.push(...ext(t, d));
  const body = [
    3,
    3,
    ...new Array(32).fill(0x42),
    sid.length,
    ...sid,
    ...u16(suites.length * 2),
    ...suites.flatMap(u16),
    1,
    0,
    ...u16(exts.length),
    ...exts,
  ];
  return new Uint8Array([
    1,
    body.length >> 16,
    (body.length >> 8) & 0xff,
    body.length & 0xff,
    ...body,
  ]);
}

/** `message` in TLS handshake records whose payloads have the given sizes (the last takes the rest). */
export function inRecords(message: Uint8Array, sizes: readonly number[] = []): Uint8Array {
  const out: number[] = [];
  let o = 0;
  for (let i = 0; o < message.length; i++) {
    const n = Math.min(message.length - o, Math.max(1, sizes[i] ?? message.length));
    out.push(0x16, 3, 1, ...u16(n), ...message.subarray(o, o + n));
    o += n;
  }
  return new Uint8Array(out);
}
