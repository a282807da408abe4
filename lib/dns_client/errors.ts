/** Why a name could not be resolved. */
import { DenorayError } from "../core/errors.ts";

/**
 * The kinds of lookup failure. "timeout" and "unreachable" let the next server be asked, as do
 * answers outside `expectIps` ("unexpected"); the others are an answer, and end the lookup (4.34).
 */
export const LOOKUP_FAILURES = [
  "timeout",
  "unreachable",
  "unexpected",
  "rcode",
  "empty",
  "invalid",
] as const;

/** A kind of lookup failure. */
export type LookupFailure = (typeof LOOKUP_FAILURES)[number];

/** A name that did not resolve; `code` is "dns-" and the failure kind. */
export class DnsLookupError extends DenorayError {
  /** The failure kind. */
  readonly failure: LookupFailure;
  /** `name` did not resolve because of `failure`, described by `message`. */
  constructor(failure: LookupFailure, message: string, options?: ErrorOptions) {
    super(`dns-${failure}`, message, options);
    this.failure = failure;
  }

  /** Whether 4.34 would go on to the next server after this failure. */
  get tryNext(): boolean {
    return this.failure === "timeout" || this.failure === "unreachable" ||
      this.failure === "unexpected";
  }
}

const RCODE_NAMES: Record<number, string> = {
  1: "FORMERR",
  2: "SERVFAIL",
  3: "NXDOMAIN",
  4: "NOTIMP",
  5: "REFUSED",
};

/** The name of a response code ("NXDOMAIN", or "RCODE 9"). */
export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE ${rcode}`;
}
