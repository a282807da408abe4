/** JSON with comments as V2Ray reads it (jsonc-parser), with errors that carry line and column. */
import { parse, type ParseError, printParseErrorCode } from "jsonc-parser";
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

/**
 * Parses `text` as JSON with `//`, `#` and block comments (where V2Ray 4.34 sees them); throws
 * ConfigError with line:column.
 */
export function parseJsonc(text: string, file: string): unknown {
  const errors: ParseError[] = [];
  const value = parse(blankComments(text), errors, {
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
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ConfigError([configError([], "the top level must be a JSON object")], file);
  }
  return value;
}
