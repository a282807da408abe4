/** Checking a user/password pair against configured SOCKS or HTTP accounts. */
import { constantTimeEqual, utf8 } from "../core/bytes.ts";

/** Whether (user, pass) is one of `accounts`; every account is compared, so timing tells nothing. */
export function accountMatches(
  accounts: readonly { readonly user: string; readonly pass: string }[],
  user: string,
  pass: string,
): boolean {
  let ok = false;
  for (const a of accounts) {
    const match = constantTimeEqual(utf8(a.user), utf8(user)) &&
      constantTimeEqual(utf8(a.pass), utf8(pass));
    ok = match || ok;
  }
  return ok;
}
