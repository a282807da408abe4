/**
 * JSON with comments as V2Ray reads it, with errors that carry line and column. Comments are
 * blanked first; what is left is parsed by JSON.parse, and only text it refuses goes to
 * jsonc-parser, for the offset of every error (and the few things it reads that JSON.parse does
 * not: a byte-order mark and other Unicode spaces between tokens). jsonc-parser is imported only
 * then: it is a CommonJS package, which brings Deno's Node compatibility layer with it (~8 MB of
 * a process's memory when running from source), and a valid config does not need it.
 */
import type { ParseError } from "jsonc-parser";
import { blankComments } from "./comments.ts";
import { ConfigError, configError } from "./issues.ts";

function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1, start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/** Nesting no V2Ray config comes near; deeper input is refused before the parser recurses into it. */
export const MAX_NESTING = 512;

// The offset of the bracket that opens level MAX_NESTING + 1, or -1 (strings are skipped).
function tooDeep(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) { // a string: to its closing quote, past escapes
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) {
        if (text.charCodeAt(i) === 0x5c) i++;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_NESTING) return i;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--; // stray closers buy no depth
  }
  return -1;
}

/**
 * Parses `text` as JSON with `//`, `#` and block comments (where V2Ray 4.34 sees them); rejects
 * with ConfigError with line:column.
 */
export async function parseJsonc(text: string, file: string): Promise<unknown> {
  const blanked = blankComments(text);
  const deep = tooDeep(blanked);
  if (deep >= 0) {
    const { line, column } = lineCol(text, deep);
    throw new ConfigError(
      [configError(
        [],
        `nesting deeper than ${MAX_NESTING} levels at line ${line}, column ${column}`,
      )],
      file,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(blanked);
  } catch {
    value = await parseLeniently(text, blanked, file);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ConfigError([configError([], "the top level must be a JSON object")], file);
  }
  return value;
}

// jsonc-parser on what JSON.parse refused: its value, or ConfigError with every error's place.
async function parseLeniently(text: string, blanked: string, file: string): Promise<unknown> {
  const { parse, printParseErrorCode } = await import("jsonc-parser");
  const errors: ParseError[] = [];
  const value = parse(blanked, errors, {
    allowTrailingComma: false,
    disallowComments: true,
  });
  if (errors.length > 0) {
    throw new ConfigError(
      errors.map((e) => {
        const { line, column } = lineCol(text, e.offset);
        return configError(
          [],
          `bad JSON at line ${line}, column ${column}: ${printParseErrorCode(e.error)}`,
        );
      }),
      file,
    );
  }
  return value;
}

/**
 * The byte offset of the first byte of `bytes` that is not part of valid UTF-8, or -1. (V2Ray
 * reads such bytes as U+FFFD without a word; we say where they are.)
 */
export function invalidUtf8At(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    const n = b < 0x80
      ? 1
      : b >= 0xc2 && b <= 0xdf
      ? 2
      : b >= 0xe0 && b <= 0xef
      ? 3
      : b >= 0xf0 && b <= 0xf4
      ? 4
      : 0;
    if (n === 0 || i + n > bytes.length) return i;
    for (let k = 1; k < n; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i;
    // Overlong 3- and 4-byte forms, surrogates, and code points past U+10FFFF.
    if (n === 3 && ((b === 0xe0 && bytes[i + 1] < 0xa0) || (b === 0xed && bytes[i + 1] >= 0xa0))) {
      return i;
    }
    if (n === 4 && ((b === 0xf0 && bytes[i + 1] < 0x90) || (b === 0xf4 && bytes[i + 1] >= 0x90))) {
      return i;
    }
    i += n;
  }
  return -1;
}

/** Line and column (1-based, in bytes) of byte `offset` of `bytes`. */
export function byteLineCol(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1, start = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}
