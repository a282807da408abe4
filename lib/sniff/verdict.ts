/** What a sniffer says about the first bytes of a connection. */

/** The protocols the sniffers recognise, named as V2Ray 4.34 names them for routing. */
export const SNIFFED_PROTOCOLS = ["http1", "tls", "bittorrent"] as const;

/** A protocol a sniffer recognised. */
export type SniffedProtocol = (typeof SNIFFED_PROTOCOLS)[number];

/** The bytes are this protocol; `domain` is the name they carry (null when none or invalid). */
export interface SniffFound {
  /** "found". */
  readonly kind: "found";
  /** Which protocol. */
  readonly protocol: SniffedProtocol;
  /** The Host header's or the SNI's name (a valid domain or IP literal), or null. */
  readonly domain: string | null;
}

/** The verdict on the bytes seen so far: found, need more bytes to tell, or not this protocol. */
export type SniffVerdict = SniffFound | { readonly kind: "need-more" } | {
  readonly kind: "not-this";
};

/** The "need more bytes" verdict. */
export const NEED_MORE: SniffVerdict = { kind: "need-more" };
/** The "not this protocol" verdict. */
export const NOT_THIS: SniffVerdict = { kind: "not-this" };

/** A pure sniffer: judges a prefix of a stream (never more than the caller has read). */
export type Sniffer = (bytes: Uint8Array) => SniffVerdict;
