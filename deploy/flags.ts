/**
 * The Deno flags denoray runs with outside the project directory, in one place: the compiled
 * binaries take them from here, and tests check that the launcher (deploy/denoray.sh) and the
 * systemd unit (which scopes reading and writing to its directories) say the same.
 */

/**
 * Permissions: the network, config files, log files and the replay state file, OpenSSL's
 * libcrypto through FFI (the fast crypto backend), and the variables denoray reads: colour
 * (NO_COLOR, FORCE_COLOR, CLICOLOR_FORCE), where the state file goes (DENORAY_STATE_DIR, or
 * systemd's STATE_DIRECTORY), the crypto backend (DENORAY_CRYPTO, DENORAY_LIBCRYPTO) and V2Ray's
 * asset and config directories (V2RAY_LOCATION_ASSET, V2RAY_LOCATION_CONFDIR).
 */
export const PERMISSION_FLAGS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-ffi",
  "--allow-env=NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,DENORAY_STATE_DIR,STATE_DIRECTORY,DENORAY_CRYPTO,DENORAY_LIBCRYPTO,V2RAY_LOCATION_ASSET,V2RAY_LOCATION_CONFDIR",
] as const;

/** UDP sockets (Deno.listenDatagram) are still behind this flag in Deno 2.9. */
export const UNSTABLE_FLAGS = ["--unstable-net"] as const;

/** The targets a release compiles for: linux x64/arm64, macOS x64/arm64, Windows x64. */
export const RELEASE_TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/** A target Deno can compile for (of the release's). */
export type ReleaseTarget = typeof RELEASE_TARGETS[number];
