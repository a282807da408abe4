/**
 * The wire format of V2Ray's geo data (app/router/config.proto), read and written field by field
 * with @bufbuild/protobuf's BinaryReader / BinaryWriter (its wire layer only: the reflection
 * runtime would cost ~9 MB of memory at start for six small messages).
 *
 *   message GeoIPList   { repeated GeoIP entry = 1; }
 *   message GeoIP       { string country_code = 1; repeated CIDR cidr = 2;
 *                         bool reverse_match = 3; }            // 3: later V2Ray versions
 *   message CIDR        { bytes ip = 1; uint32 prefix = 2; }
 *   message GeoSiteList { repeated GeoSite entry = 1; }
 *   message GeoSite     { string country_code = 1; repeated Domain domain = 2; }
 *   message Domain      { Type type = 1; string value = 2; repeated Attribute attribute = 3; }
 *     enum Type         { Plain = 0; Regex = 1; Domain = 2; Full = 3; }
 *     message Attribute { string key = 1; oneof typed_value { bool bool_value = 2;
 *                                                             int64 int_value = 3; } }
 *
 * Unknown fields are skipped, as protobuf readers do; a known field with the wrong wire type is
 * an error.
 */
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

/** A CIDR message. */
export interface CidrMessage {
  /** Network address, 4 or 16 bytes. */
  readonly ip: Uint8Array;
  /** Prefix length. */
  readonly prefix: number;
}

/** A GeoIP message (one tag of geoip.dat). */
export interface GeoIpMessage {
  /** The tag (country code, "PRIVATE", …). */
  readonly countryCode: string;
  /** Its blocks. */
  readonly cidr: readonly CidrMessage[];
}

/** A Domain message. */
export interface DomainMessage {
  /** Domain.Type: 0 Plain, 1 Regex, 2 Domain, 3 Full. */
  readonly type: number;
  /** Name, keyword or regular expression. */
  readonly value: string;
  /** Attribute keys (their values play no part in `@attr` filters). */
  readonly attributes: readonly string[];
}

/** A GeoSite message (one list of geosite.dat). */
export interface GeoSiteMessage {
  /** The list name. */
  readonly countryCode: string;
  /** Its domains. */
  readonly domain: readonly DomainMessage[];
}

const LEN = WireType.LengthDelimited;
const VARINT = WireType.Varint;

// Reading nested messages in place (one reader, an end position per message) keeps decoding
// free of per-message allocations: a 10,000-block tag is one pass.
function expect(type: WireType, wanted: WireType, no: number): void {
  if (type !== wanted) throw new Error(`field ${no} has wire type ${type}, expected ${wanted}`);
}

function end(r: BinaryReader): number {
  const length = r.uint32();
  if (r.pos + length > r.len) throw new Error("premature EOF");
  return r.pos + length;
}

function done(r: BinaryReader, at: number): void {
  if (r.pos !== at) throw new Error("a field runs past the end of its message");
}

/** Calls `each` with the bytes of every `entry` (field 1) of a GeoIPList or GeoSiteList. */
export function forEachEntry(list: Uint8Array, each: (entry: Uint8Array) => boolean): void {
  const r = new BinaryReader(list);
  while (r.pos < r.len) {
    const [no, type] = r.tag();
    if (no === 1 && type === LEN) {
      if (!each(r.bytes())) return;
    } else r.skip(type, no);
  }
}

/** The country_code (field 1) of a GeoIP or GeoSite message, without decoding the rest. */
export function entryCode(entry: Uint8Array): string {
  const r = new BinaryReader(entry);
  let code = "";
  while (r.pos < r.len) {
    const [no, type] = r.tag();
    if (no === 1) {
      expect(type, LEN, no);
      code = r.string(); // the last one wins, as protobuf readers do
    } else r.skip(type, no);
  }
  return code;
}

function readCidr(r: BinaryReader, at: number): CidrMessage {
  let ip: Uint8Array = new Uint8Array(0), prefix = 0;
  while (r.pos < at) {
    const [no, type] = r.tag();
    if (no === 1) {
      expect(type, LEN, no);
      ip = r.bytes(); // a view: readGeoIp copies what it keeps
    } else if (no === 2) {
      expect(type, VARINT, no);
      prefix = r.uint32();
    } else r.skip(type, no);
  }
  done(r, at);
  return { ip, prefix };
}

// An entry of either list: its country_code (field 1) and its repeated items (field 2).
function decodeEntry<T>(
  bytes: Uint8Array,
  readItem: (r: BinaryReader, at: number) => T,
): { countryCode: string; items: T[] } {
  const r = new BinaryReader(bytes);
  let countryCode = "";
  const items: T[] = [];
  while (r.pos < r.len) {
    const [no, type] = r.tag();
    if (no === 1) {
      expect(type, LEN, no);
      countryCode = r.string();
    } else if (no === 2) {
      expect(type, LEN, no);
      items.push(readItem(r, end(r)));
    } else r.skip(type, no);
  }
  return { countryCode, items };
}

/** Decodes a GeoIP message. */
export function decodeGeoIp(bytes: Uint8Array): GeoIpMessage {
  const { countryCode, items } = decodeEntry(bytes, readCidr);
  return { countryCode, cidr: items };
}

function readAttributeKey(r: BinaryReader, at: number): string {
  let key = "";
  while (r.pos < at) {
    const [no, type] = r.tag();
    if (no === 1) {
      expect(type, LEN, no);
      key = r.string();
    } else r.skip(type, no);
  }
  done(r, at);
  return key;
}

function readDomain(r: BinaryReader, at: number): DomainMessage {
  let type = 0, value = "";
  const attributes: string[] = [];
  while (r.pos < at) {
    const [no, wire] = r.tag();
    if (no === 1) {
      expect(wire, VARINT, no);
      type = r.int32();
    } else if (no === 2) {
      expect(wire, LEN, no);
      value = r.string();
    } else if (no === 3) {
      expect(wire, LEN, no);
      attributes.push(readAttributeKey(r, end(r)));
    } else r.skip(wire, no);
  }
  done(r, at);
  return { type, value, attributes };
}

/** Decodes a GeoSite message. */
export function decodeGeoSite(bytes: Uint8Array): GeoSiteMessage {
  const { countryCode, items } = decodeEntry(bytes, readDomain);
  return { countryCode, domain: items };
}

/** A GeoIPList of `entries`. */
export function encodeGeoIpList(entries: readonly GeoIpMessage[]): Uint8Array {
  const w = new BinaryWriter();
  for (const e of entries) {
    w.tag(1, LEN).fork().tag(1, LEN).string(e.countryCode);
    for (const c of e.cidr) {
      w.tag(2, LEN).fork().tag(1, LEN).bytes(c.ip).tag(2, VARINT).uint32(c.prefix).join();
    }
    w.join();
  }
  return w.finish();
}

/** A GeoSiteList of `entries`; each attribute is written as `key` with bool_value true. */
export function encodeGeoSiteList(entries: readonly GeoSiteMessage[]): Uint8Array {
  const w = new BinaryWriter();
  for (const e of entries) {
    w.tag(1, LEN).fork().tag(1, LEN).string(e.countryCode);
    for (const d of e.domain) {
      w.tag(2, LEN).fork().tag(1, VARINT).int32(d.type).tag(2, LEN).string(d.value);
      for (const key of d.attributes) {
        w.tag(3, LEN).fork().tag(1, LEN).string(key).tag(2, VARINT).bool(true).join();
      }
      w.join();
    }
    w.join();
  }
  return w.finish();
}
