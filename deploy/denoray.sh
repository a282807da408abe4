#!/bin/sh
# denoray launcher (release directory): runs the bundle beside it on the Deno runtime beside it,
# offline, with the permissions denoray needs: the network (with UDP), reading config files,
# writing log files and its replay state, the environment variables its command-line library
# reads and DENORAY_STATE_DIR (where the replay state is kept across restarts, if set).
#   ./denoray run -c config.json     ./denoray test -c config.json     ./denoray --help
set -eu
here=$(dirname "$(readlink -f "$0")")
# Deno colours its own messages (an uncaught error) even into a file; not when it is not a terminal.
[ -t 2 ] || export NO_COLOR=1
export DENO_NO_UPDATE_CHECK=1
exec "$here/bin/deno" run --no-config --no-lock --no-remote --no-npm --no-prompt \
  --unstable-net --allow-net --allow-read --allow-write --allow-ffi \
  --allow-env=NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,DENORAY_STATE_DIR,STATE_DIRECTORY,DENORAY_CRYPTO,DENORAY_LIBCRYPTO,V2RAY_LOCATION_ASSET,V2RAY_LOCATION_CONFDIR \
  "$here/lib/denoray.js" "$@"
