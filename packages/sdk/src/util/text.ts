/**
 * Text from programs, made safe to show and to store: a command's stderr may hold binary
 * bytes (a core dump notice, a crashed program's garbage), terminal escapes or NUL bytes.
 */

/**
 * `text` with every control character other than newline and tab (terminal escapes, NUL, DEL,
 * C1 controls) and every undecodable byte (U+FFFD after UTF-8 decoding) written as `?`, runs
 * of them collapsed to one; then trimmed and cut to its last `max` characters (default 300,
 * prefixed with `...` when cut).
 */
export function printable(text: string | Buffer, max = 300): string {
  const s = typeof text === 'string' ? text : text.toString('utf8');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  const clean = s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]+/g, '?').trim();
  return clean.length > max ? `...${clean.slice(-max)}` : clean;
}
