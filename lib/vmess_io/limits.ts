/** Sizes that keep us compatible with V2Ray 4.34 peers. */

/**
 * Largest datagram we put in one VMess UDP chunk: V2Ray 4.34 drops response chunks over 2048
 * bytes and then loses its SHAKE sync (spec §6.1), so larger datagrams are dropped, not sent.
 */
export const MAX_UDP_PAYLOAD = 1900;
