/**
 * Splits a configured command line into argv by keepalived 2.2.7's rule for scripts (notify scripts,
 * vrrp_script, MISC_CHECK misc_path, startup/shutdown scripts) and include patterns: whitespace
 * separates words; single and double quotes group and are removed, and quoted parts join the text
 * around them (`a'b c'd` is one word); a backslash escapes the next character everywhere, inside
 * either kind of quote too, so `"p \"q\" r"` is the one word `p "q" r` and `'o\p'` is `op`.
 * The C escapes `\a \b \E \f \n \r \t \v`, `\xHH...`, `\cX` (control-X) and up to three octal digits
 * stand for the character they name. Established by running keepalived 2.2.7 on the same lines
 * (test/netns/script-argv.test.ts). keepalived refuses an unterminated quote or a trailing backslash;
 * here the open quote runs to the end of the line and a trailing backslash stands for itself.
 */

/** The one-letter C escapes keepalived decodes (in script lines and in quoted config strings). */
export const NAMED_ESCAPES: Readonly<Record<string, string>> = {
  a: "\x07",
  b: "\b",
  E: "\x1b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const isOctal = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "7";

/** Decodes the escape whose first character (after the backslash) is at `i`: [text, next index]. */
function decodeEscape(s: string, i: number): [string, number] {
  const c = s[i]!;
  if (c === "x" && isHex(s[i + 1])) {
    let j = i + 1, v = 0;
    while (isHex(s[j])) v = ((v << 4) | parseInt(s[j++]!, 16)) & 0xff;
    return [String.fromCharCode(v), j];
  }
  if (c === "c" && i + 1 < s.length) return [String.fromCharCode(s.charCodeAt(i + 1) & 0x1f), i + 2];
  if (isOctal(c)) {
    let j = i, v = 0;
    while (j < i + 3 && isOctal(s[j])) v = (v << 3) + Number(s[j++]);
    return [String.fromCharCode(v & 0xff), j];
  }
  return [NAMED_ESCAPES[c] ?? c, i + 1];
}

/** Splits `cmd` into words by keepalived's script rule (see the file header). */
export function splitCommand(cmd: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < cmd.length;) {
    const c = cmd[i]!;
    if (c === "\\" && i + 1 < cmd.length) {
      const [text, next] = decodeEscape(cmd, i + 1);
      cur += text;
      inWord = true;
      i = next;
      continue;
    }
    i++;
    if (quote) {
      if (c === quote) quote = null;
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}
