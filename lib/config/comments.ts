/**
 * V2Ray 4.34's comment filter (infra/conf/json/reader.go), reproduced state for state: `//`, `#`
 * and `/* … *\/` outside quoted strings are comments. Removed characters become spaces (newlines
 * stay), so a JSON parser's offsets still point at the right line and column of the file.
 */

const enum State {
  Content,
  Escape,
  DoubleQuote,
  DoubleQuoteEscape,
  SingleQuote,
  SingleQuoteEscape,
  Comment,
  Slash,
  MultilineComment,
  MultilineCommentStar,
}

/** `text` with its comments blanked out, as V2Ray reads a config file. */
export function blankComments(text: string): string {
  const out = text.split("");
  const blank = (i: number) => {
    if (out[i] !== "\n") out[i] = " ";
  };
  let state = State.Content;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    switch (state) {
      case State.Content:
        if (c === '"') state = State.DoubleQuote;
        else if (c === "'") state = State.SingleQuote;
        else if (c === "\\") state = State.Escape;
        else if (c === "#") {
          state = State.Comment;
          blank(i);
        } else if (c === "/") state = State.Slash;
        break;
      case State.Escape:
        // The character after a backslash is taken as is, whatever it is.
        state = State.Content;
        break;
      case State.DoubleQuote:
        if (c === '"') state = State.Content;
        else if (c === "\\") state = State.DoubleQuoteEscape;
        break;
      case State.DoubleQuoteEscape:
        state = State.DoubleQuote;
        break;
      case State.SingleQuote:
        if (c === "'") state = State.Content;
        else if (c === "\\") state = State.SingleQuoteEscape;
        break;
      case State.SingleQuoteEscape:
        state = State.SingleQuote;
        break;
      case State.Comment:
        if (c === "\n") state = State.Content;
        else blank(i);
        break;
      case State.Slash:
        if (c === "/" || c === "*") {
          blank(i - 1);
          blank(i);
          state = c === "/" ? State.Comment : State.MultilineComment;
        } else state = State.Content; // both characters kept; `c` itself is not interpreted
        break;
      case State.MultilineComment:
        blank(i);
        if (c === "*") state = State.MultilineCommentStar;
        break;
      case State.MultilineCommentStar:
        blank(i);
        // As in 4.34, a newline keeps this state: "*", newline, "/" still ends the comment.
        if (c === "/") state = State.Content;
        else if (c !== "*" && c !== "\n") state = State.MultilineComment;
        break;
    }
  }
  // A lone "/" at the very end is dropped by V2Ray's filter.
  if (state === State.Slash) blank(text.length - 1);
  return out.join("");
}
