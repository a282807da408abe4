/**
 * RFC 6455 frames, read as gorilla/websocket 1.4.2 (V2Ray 4.34) reads them and written as it
 * writes them. The decoder takes bytes in any split and gives data (text, binary and continuation
 * payloads as one byte stream), pings, pongs and a close; anything malformed is a ProtocolError.
 */
import { ProtocolError } from "../core/errors.ts";

/** Frame opcodes. */
export const Opcode = {
  continuation: 0,
  text: 1,
  binary: 2,
  close: 8,
  ping: 9,
  pong: 10,
} as const;

/** A frame opcode. */
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** Which end of the connection we are: a server reads masked frames, a client unmasked ones. */
export type WsRole = "server" | "client";

/** Close codes we send. */
export const CloseCode = {
  normal: 1000,
  protocolError: 1002,
  messageTooBig: 1009,
} as const;

/** What the decoder found, in order. */
export type WsEvent =
  | { readonly kind: "data"; readonly bytes: Uint8Array }
  | { readonly kind: "ping"; readonly payload: Uint8Array }
  | { readonly kind: "pong"; readonly payload: Uint8Array }
  | { readonly kind: "close"; readonly code: number | null; readonly reason: string };

/** Largest control payload (RFC 6455 §5.5). */
export const MAX_CONTROL_PAYLOAD = 125;

/**
 * Default bound on one data frame's length. Payloads are passed on as they arrive (never held
 * whole), so this only rejects absurd lengths; gorilla itself has no limit.
 */
export const DEFAULT_MAX_FRAME_PAYLOAD = 16 * 1024 * 1024;

/** Bytes of a frame header for a payload of `length`, with or without a mask key. */
export function frameHeaderLength(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * One whole frame (FIN set unless `fin` is false). With `maskKey` (4 bytes) the payload is masked,
 * as a client must send; without, it is sent as is, as a server does.
 */
export function encodeFrame(
  opcode: Opcode,
  payload: Uint8Array,
  maskKey?: Uint8Array,
  fin = true,
): Uint8Array {
  if (maskKey !== undefined && maskKey.length !== 4) throw new RangeError("mask key is 4 bytes");
  const n = payload.length;
  const h = frameHeaderLength(n, maskKey !== undefined);
  const out = new Uint8Array(h + n);
  out[0] = (fin ? 0x80 : 0) | opcode;
  const maskBit = maskKey ? 0x80 : 0;
  let o = 2;
  if (n < 126) out[1] = maskBit | n;
  else if (n < 65536) {
    out[1] = maskBit | 126;
    out[2] = n >> 8;
    out[3] = n & 0xff;
    o = 4;
  } else {
    out[1] = maskBit | 127;
    // Lengths stay below 2^53; the top bytes are zero.
    const hi = Math.floor(n / 0x1_0000_0000);
    new DataView(out.buffer).setUint32(2, hi);
    new DataView(out.buffer).setUint32(6, n >>> 0);
    o = 10;
  }
  if (maskKey) {
    out.set(maskKey, o);
    o += 4;
  }
  out.set(payload, o);
  if (maskKey) applyMask(out.subarray(o), maskKey, 0);
  return out;
}

/**
 * XORs `data` in place with the 4-byte `key`, starting at key byte `pos` (0..3); returns the key
 * position after the last byte. Whole aligned words go four bytes at a time.
 */
export function applyMask(data: Uint8Array, key: Uint8Array, pos = 0): number {
  const n = data.length;
  let i = 0;
  let p = pos & 3;
  // Bytes up to a 4-byte boundary of the underlying buffer.
  while (i < n && ((data.byteOffset + i) & 3) !== 0) data[i++] ^= key[p++ & 3];
  const words = (n - i) >>> 2;
  if (words > 0) {
    const k = new Uint8Array(4);
    for (let j = 0; j < 4; j++) k[j] = key[(p + j) & 3];
    const word = new Uint32Array(k.buffer)[0];
    const view = new Uint32Array(data.buffer, data.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w] ^= word;
    i += words * 4;
  }
  while (i < n) data[i++] ^= key[p++ & 3];
  return p & 3;
}

/** A close frame's payload: the code and a reason (empty payload for no code). */
export function closePayload(code: number | null, reason = ""): Uint8Array {
  if (code === null) return new Uint8Array(0);
  const text = new TextEncoder().encode(reason).subarray(0, MAX_CONTROL_PAYLOAD - 2);
  const out = new Uint8Array(2 + text.length);
  out[0] = code >> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}

// gorilla's isValidReceivedCloseCode.
function validCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999);
}

const utf8Strict = new TextDecoder("utf-8", { fatal: true });

/** Options of a FrameDecoder. */
export interface FrameDecoderOptions {
  /** Largest data frame payload accepted (default DEFAULT_MAX_FRAME_PAYLOAD). */
  readonly maxFramePayload?: number;
}

/** Incremental frame reader for one direction of a connection. */
export class FrameDecoder {
  readonly #expectMask: boolean;
  readonly #maxPayload: number;
  // Frame header being assembled (at most 14 bytes).
  readonly #head = new Uint8Array(14);
  #headLen = 0;
  // Current frame: payload bytes left, its opcode, mask key and position in it.
  #remaining = -1;
  #opcode = 0;
  #mask: Uint8Array | null = null;
  #maskPos = 0;
  // Control payload being gathered.
  #control: Uint8Array | null = null;
  #controlLen = 0;
  // Whether the last data frame had FIN (so a new message may start).
  #messageDone = true;
  #closed = false;
  #failure: ProtocolError | null = null;

  /** A decoder for frames sent to `role` (a server expects masked frames, a client unmasked). */
  constructor(role: WsRole, options: FrameDecoderOptions = {}) {
    this.#expectMask = role === "server";
    this.#maxPayload = options.maxFramePayload ?? DEFAULT_MAX_FRAME_PAYLOAD;
  }

  /** Whether a close frame arrived (later bytes are ignored). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether the bytes so far end inside a frame or a fragmented message. */
  get partial(): boolean {
    return this.#headLen > 0 || this.#remaining >= 0 || !this.#messageDone;
  }

  /**
   * Decodes `chunk`. Data events are views of `chunk` when frames are unmasked (valid while the
   * caller keeps `chunk` as it is) and new arrays when masked. Throws ProtocolError (code
   * "ws-frame") on a malformed frame, and the same error on every later call.
   */
  push(chunk: Uint8Array): WsEvent[] {
    if (this.#failure) throw this.#failure;
    const events: WsEvent[] = [];
    try {
      this.#decode(chunk, events);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.#failure = e;
      throw e;
    }
    return events;
  }

  #decode(chunk: Uint8Array, events: WsEvent[]): void {
    let i = 0;
    while (i < chunk.length && !this.#closed) {
      if (this.#remaining < 0) {
        i = this.#readHeader(chunk, i);
        if (this.#remaining < 0) return;
        if (this.#remaining === 0) this.#finishFrame(events);
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - i);
      const piece = chunk.subarray(i, i + take);
      i += take;
      this.#remaining -= take;
      if (this.#control) {
        this.#control.set(this.#unmask(piece), this.#controlLen);
        this.#controlLen += take;
      } else if (take > 0) {
        events.push({ kind: "data", bytes: this.#unmask(piece) });
      }
      if (this.#remaining === 0) this.#finishFrame(events);
    }
  }

  #unmask(piece: Uint8Array): Uint8Array {
    const key = this.#mask;
    if (!key) return piece;
    const out = piece.slice();
    this.#maskPos = applyMask(out, key, this.#maskPos);
    return out;
  }

  // Gathers header bytes from chunk[i..]; when complete, validates it and sets up the frame.
  #readHeader(chunk: Uint8Array, i: number): number {
    const head = this.#head;
    const need = () => {
      if (this.#headLen < 2) return 2;
      const len7 = head[1] & 0x7f;
      return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + ((head[1] & 0x80) ? 4 : 0);
    };
    while (i < chunk.length && this.#headLen < need()) {
      head[this.#headLen++] = chunk[i++];
      if (this.#headLen === 2) this.#checkFirstBytes();
    }
    if (this.#headLen < need()) return i;
    const len7 = head[1] & 0x7f;
    let length = len7, o = 2;
    if (len7 === 126) {
      length = (head[2] << 8) | head[3];
      o = 4;
    } else if (len7 === 127) {
      const view = new DataView(head.buffer, 2, 8);
      const hi = view.getUint32(0), lo = view.getUint32(4);
      if (hi & 0x8000_0000) throw fail("64-bit length with the top bit set");
      length = hi * 0x1_0000_0000 + lo;
      o = 10;
    }
    const control = this.#opcode >= 8;
    if (!control && length > this.#maxPayload) {
      throw fail(`frame of ${length} bytes is over the ${this.#maxPayload}-byte limit`);
    }
    this.#mask = (head[1] & 0x80) ? head.slice(o, o + 4) : null;
    this.#maskPos = 0;
    this.#control = control ? new Uint8Array(length) : null;
    this.#controlLen = 0;
    this.#remaining = length;
    this.#headLen = 0;
    return i;
  }

  // The checks gorilla makes on the first two bytes, in its order.
  #checkFirstBytes(): void {
    const b0 = this.#head[0], b1 = this.#head[1];
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if (b0 & 0x70) throw fail(`unexpected reserved bits 0x${(b0 & 0x70).toString(16)}`);
    switch (opcode) {
      case Opcode.close:
      case Opcode.ping:
      case Opcode.pong:
        if ((b1 & 0x7f) > MAX_CONTROL_PAYLOAD) throw fail("control frame length > 125");
        if (!fin) throw fail("control frame not final");
        break;
      case Opcode.text:
      case Opcode.binary:
        if (!this.#messageDone) throw fail("message start before final message frame");
        this.#messageDone = fin;
        break;
      case Opcode.continuation:
        if (this.#messageDone) throw fail("continuation after final message frame");
        this.#messageDone = fin;
        break;
      default:
        throw fail(`unknown opcode ${opcode}`);
    }
    if (((b1 & 0x80) !== 0) !== this.#expectMask) throw fail("incorrect mask flag");
    this.#opcode = opcode;
  }

  #finishFrame(events: WsEvent[]): void {
    this.#remaining = -1;
    const payload = this.#control;
    this.#control = null;
    if (!payload) return;
    if (this.#opcode === Opcode.ping) events.push({ kind: "ping", payload });
    else if (this.#opcode === Opcode.pong) events.push({ kind: "pong", payload });
    else {
      // gorilla: fewer than 2 bytes means no status code.
      let code: number | null = null, reason = "";
      if (payload.length >= 2) {
        code = (payload[0] << 8) | payload[1];
        if (!validCloseCode(code)) throw fail("invalid close code");
        try {
          reason = utf8Strict.decode(payload.subarray(2));
        } catch {
          throw fail("invalid utf8 payload in close frame");
        }
      }
      this.#closed = true;
      events.push({ kind: "close", code, reason });
    }
  }
}

function fail(message: string): ProtocolError {
  return new ProtocolError("ws-frame", `websocket: ${message}`);
}

/**
 * The frame to send back for a control event, as gorilla does by default: a pong with the ping's
 * payload, a close echoing the code (no reason); null for a pong or data. Masked for a client.
 */
export function controlReply(event: WsEvent, maskKey?: Uint8Array): Uint8Array | null {
  if (event.kind === "ping") return encodeFrame(Opcode.pong, event.payload, maskKey);
  if (event.kind === "close") return encodeFrame(Opcode.close, closePayload(event.code), maskKey);
  return null;
}

/** The close frame gorilla sends on a protocol error: code 1002 and the reason. */
export function protocolErrorClose(error: ProtocolError, maskKey?: Uint8Array): Uint8Array {
  const reason = error.message.replace(/^websocket: /, "");
  return encodeFrame(Opcode.close, closePayload(CloseCode.protocolError, reason), maskKey);
}
