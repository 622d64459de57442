/**
 * Text from data files (labels, column names, cells, paths) made safe to print on a
 * terminal: control characters are shown as visible escapes instead of being obeyed.
 * - C0 controls, DEL and C1 controls (U+0080-U+009F; U+009B is a one-character CSI) become
 *   `\xNN` (`\t`, `\n`, `\r` for the common three), so `\u001b[31m` prints as `\x1b[31m`;
 * - characters that reorder or break a line (bidi embeddings, overrides and isolates,
 *   LRM/RLM/ALM, U+2028/U+2029) and lone surrogates become `\uNNNN`.
 * Everything else, backslashes included, is left as written: this is for display, not a
 * reversible encoding. Use it wherever data reaches a terminal (`aelab data inspect`,
 * progress lines, error messages).
 */
export function printable(text: string): string {
  let out = '';
  let kept = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // fast path: printable ASCII and most of the BMP
    if ((code >= 0x20 && code < 0x7f) || (code > 0x9f && code < 0x061c)) continue;
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++; // a well-formed surrogate pair (emoji etc.)
        continue;
      }
    }
    const escape = escapeOf(code);
    if (escape === undefined) continue;
    out += text.slice(kept, i) + escape;
    kept = i + 1;
  }
  return kept === 0 ? text : out + text.slice(kept);
}

const hex = (code: number, digits: number) => code.toString(16).padStart(digits, '0');

function escapeOf(code: number): string | undefined {
  if (code === 0x09) return '\\t';
  if (code === 0x0a) return '\\n';
  if (code === 0x0d) return '\\r';
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return `\\x${hex(code, 2)}`;
  const reorders =
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x2028 && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069);
  // any surrogate that reaches here is unpaired
  if (reorders || (code >= 0xd800 && code <= 0xdfff)) return `\\u${hex(code, 4)}`;
  return undefined;
}
