/** A QR code for a terminal: two modules per character with half blocks, ECC level Q as v2rayN. */
import qrcode from "qrcode-generator";

/** How the code is drawn. */
export interface QrOptions {
  /** Dark modules as blocks, for a terminal with a light background (default: light as blocks). */
  readonly darkOnLight?: boolean;
  /** Light modules around the code (the standard asks for 4; 2 scans well on screens). */
  readonly quietZone?: number;
}

/** `text` as a QR code drawn with "█", "▀", "▄" and spaces, one line per two rows of modules. */
export function renderQr(text: string, opts: QrOptions = {}): string {
  const qr = qrcode(0, "Q");
  qr.addData(text, "Byte");
  qr.make();
  const n = qr.getModuleCount();
  const q = opts.quietZone ?? 2;
  // Ink marks one colour of module; a scanner needs dark modules darker than light ones.
  const ink = (r: number, c: number): boolean => {
    const inside = r >= 0 && c >= 0 && r < n && c < n;
    const dark = inside && qr.isDark(r, c);
    return opts.darkOnLight ? dark : !dark;
  };
  const lines: string[] = [];
  for (let r = -q; r < n + q; r += 2) {
    let line = "";
    for (let c = -q; c < n + q; c++) {
      const top = ink(r, c), bottom = ink(r + 1, c);
      line += top && bottom ? "█" : top ? "▀" : bottom ? "▄" : " ";
    }
    lines.push(line);
  }
  return lines.join("\n");
}
