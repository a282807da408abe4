/** Config problems, each tied to the JSON path it is about. */
import { DenorayError } from "../core/errors.ts";

/** A JSON path: keys and array indexes from the root. */
export type JsonPath = ReadonlyArray<string | number>;

/** One problem in a config: an error stops the start, a warning is logged. */
export interface ConfigIssue {
  /** Where in the JSON (empty for the whole file). */
  readonly path: JsonPath;
  /** What is wrong, without the path. */
  readonly message: string;
  /** error or warning. */
  readonly severity: "error" | "warning";
  /** The file it is about, when several files were merged and it is about one of them. */
  readonly file?: string;
}

/** `outbounds[0].settings.vnext[0].users[0].id` from a path. */
export function formatPath(path: JsonPath): string {
  let s = "";
  for (const p of path) {
    if (typeof p === "number") s += `[${p}]`;
    else s += s === "" ? p : `.${p}`;
  }
  return s;
}

/** `[file: ]path: message` of an issue, or the message alone at the root. */
export function formatIssue(issue: ConfigIssue): string {
  const p = formatPath(issue.path);
  const at = p === "" ? issue.message : `${p}: ${issue.message}`;
  return issue.file === undefined ? at : `${issue.file}: ${at}`;
}

/** A config that cannot start, with every error found. */
export class ConfigError extends DenorayError {
  /** The errors (and warnings collected so far). */
  readonly issues: readonly ConfigIssue[];
  /** An error listing `issues`, optionally naming the file. */
  constructor(issues: readonly ConfigIssue[], file?: string) {
    const errors = issues.filter((i) => i.severity === "error");
    const where = file ? `${file}: ` : "";
    super(
      "bad-config",
      errors.map((i) => (i.file === undefined ? where : "") + formatIssue(i)).join("\n"),
    );
    this.issues = issues;
  }
}

/** An error issue. */
export function configError(path: JsonPath, message: string): ConfigIssue {
  return { path, message, severity: "error" };
}

/** A warning issue. */
export function configWarning(path: JsonPath, message: string): ConfigIssue {
  return { path, message, severity: "warning" };
}
