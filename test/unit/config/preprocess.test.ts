/** Tests for src/config/lexer.ts, preprocess.ts, sequence.ts and glob.ts (keepalived.conf(5) language). */
import { describe, expect, test } from "bun:test";
import { DiagSink, exitCodeFor } from "../../../src/config/diag.ts";
import { expandBraces } from "../../../src/config/glob.ts";
import { splitCommand } from "../../../src/core/command-line.ts";
import { stripComment, tokenize } from "../../../src/config/lexer.ts";
import { type Line, preprocess } from "../../../src/config/preprocess.ts";
import { type Files, memOptions } from "../../support/config/helpers.ts";

const MAIN = "/etc/keepalived/keepalived.conf";

function pp(text: string, more: Files = {}, configId = "main"): { lines: Line[]; diags: DiagSink } {
  const files = { [MAIN]: text, ...more };
  const o = memOptions(files);
  const diags = new DiagSink();
  const lines = preprocess(MAIN, { configId, readFile: o.readFile!, listDir: o.listDir!, randomSeed: 7 }, diags) ?? [];
  return { lines, diags };
}

const words = (lines: Line[]): string[] => lines.map((l) => l.tokens.map((t) => t.text).join(" "));

describe("lexer", () => {
  test("comments start with ! or # outside quotes; \\! and \\# escape them", () => {
    expect(stripComment("router_id a # c")).toBe("router_id a ");
    expect(stripComment("x ! c")).toBe("x ");
    expect(stripComment('x "a#b" # c')).toBe('x "a#b" ');
    expect(tokenize(stripComment("x a\\#b \\!c")).map((t) => t.text)).toEqual(["x", "a#b", "!c"]);
  });
  test("quotes keep whitespace and adjacent pieces join", () => {
    expect(tokenize(`abcd" efg h jkl "mnop`).map((t) => t.text)).toEqual(["abcd efg h jkl mnop"]);
    expect(tokenize(`abcd "efg h jkl" mnop`).map((t) => t.text)).toEqual(["abcd", "efg h jkl", "mnop"]);
    expect(tokenize(`'a "b" c'`)[0]).toEqual({ text: 'a "b" c', quoted: true });
  });
  test("escapes inside quotes", () => {
    const t = tokenize(`"\\a\\b\\E\\f\\n\\r\\t\\v|\\101\\x41\\cA|\\\\\\"q"`)[0]!.text;
    expect(t).toBe('\x07\b\x1b\f\n\r\t\v|AA\x01|\\"q');
  });
  test("{ and } are tokens of their own", () => {
    expect(tokenize("virtual_ipaddress{10.0.0.1}").map((t) => t.text)).toEqual([
      "virtual_ipaddress",
      "{",
      "10.0.0.1",
      "}",
    ]);
    expect(tokenize('x "{"')[1]).toEqual({ text: "{", quoted: true });
  });
  test("script strings re-split with single quotes keeping spaces", () => {
    expect(splitCommand("bash -c '</dev/tcp/127.0.0.1/80'")).toEqual([
      "bash",
      "-c",
      "</dev/tcp/127.0.0.1/80",
    ]);
    expect(splitCommand("/bin/x  a   b")).toEqual(["/bin/x", "a", "b"]);
  });
});

describe("line splitting and positions", () => {
  test("one keyword per line: braces split lines, line numbers kept", () => {
    const { lines } = pp("a {\n  virtual_ipaddress { 10.0.0.1/24 }\n}\n");
    expect(words(lines)).toEqual(["a {", "virtual_ipaddress {", "10.0.0.1/24", "}", "}"]);
    expect(lines.map((l) => l.line)).toEqual([1, 2, 2, 2, 3]);
    expect(lines.every((l) => l.file === MAIN)).toBe(true);
  });
});

describe("include", () => {
  test("relative to the including file, glob and csh braces, sorted", () => {
    const { lines } = pp("include conf.d/*.conf\ninclude {x,y}.inc\n", {
      "/etc/keepalived/conf.d/b.conf": "b_kw\n",
      "/etc/keepalived/conf.d/a.conf": "a_kw\ninclude ../sub/z\n",
      "/etc/keepalived/sub/z": "z_kw\n",
      "/etc/keepalived/x.inc": "x_kw\n",
      "/etc/keepalived/y.inc": "y_kw\n",
    });
    expect(words(lines)).toEqual(["a_kw", "z_kw", "b_kw", "x_kw", "y_kw"]);
    expect(lines[1]).toMatchObject({ file: "/etc/keepalived/sub/z", line: 1 });
  });
  test("a missing file is not an error for plain include: a notice, exit code unchanged", () => {
    const { diags } = pp("include nothing/*.conf\ninclude missing.conf\n");
    expect(diags.list.map((d) => [d.line, d.severity, d.message])).toEqual([
      [1, "notice", "no configuration file matches '/etc/keepalived/nothing/*.conf'"],
      [2, "notice", "configuration file '/etc/keepalived/missing.conf' is missing"],
    ]);
    expect(exitCodeFor(diags.list)).toBe(0);
  });
  test("strict variants report missing files as fatal with file:line", () => {
    const { diags } = pp("x\nincludea missing.conf\nincluder gone/*.conf\nincludew gone/*.conf\n");
    expect(diags.list.map((d) => [d.line, d.severity])).toEqual([[2, "fatal"], [3, "notice"], [4, "fatal"]]);
  });
  test("includeb reports a brace alternative that matches nothing", () => {
    const { diags } = pp("includeb {a,b}.conf\n", { "/etc/keepalived/a.conf": "a\n" });
    expect(diags.list).toHaveLength(1);
    expect(diags.list[0]!.message).toContain("b.conf");
  });
  test("brace expansion nests", () => {
    expect(expandBraces("{foo/{,cat,dog},bar}")).toEqual(["foo/", "foo/cat", "foo/dog", "bar"]);
  });
});

describe("conditional lines", () => {
  test("@ID keeps on match, @^ID keeps on mismatch", () => {
    const text = "@main router_id m\n@backup router_id b\n@^main x_not_main\n@^backup x_not_backup\n";
    expect(words(pp(text).lines)).toEqual(["router_id m", "x_not_backup"]);
    expect(words(pp(text, {}, "backup").lines)).toEqual(["router_id b", "x_not_main"]);
  });
});

describe("definitions", () => {
  test("$NAME and ${NAME}, recursive at use time, undefined stays literal", () => {
    const text =
      "$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}\n$ADDRESS_BASE_SUB=0\n${ADDRESS_BASE}.100/32\n$ADDRESS_BASE_SUB=10\n${ADDRESS_BASE}.100/32\nx ${UNDEF} $UNDEF\n";
    expect(words(pp(text).lines)).toEqual(["10.2.0.100/32", "10.2.10.100/32", "x ${UNDEF} $UNDEF"]);
  });
  test("$NAME needs whitespace or end of line after it", () => {
    expect(words(pp("$A=1\nx $A $Ab ${A}b\n").lines)).toEqual(["x 1 $Ab 1b"]);
  });
  test("definitions combine with conditionals", () => {
    expect(words(pp("@main $P=240\n@backup $P=200\npriority $P\n$IF=@main\n$IF y\n").lines)).toEqual([
      "priority 240",
      "y",
    ]);
  });
  test("multi-line definitions expand to several lines, nest and may hold @ and $X= lines", () => {
    const text = "$RS= \\\n rs ${N} { \\\n  @main w 1 \\\n  @backup w 2 \\\n }\n$VS= \\\n vs { \\\n $N=1 \\\n $RS \\\n $N=2 \\\n $RS \\\n }\n$VS\n";
    expect(words(pp(text).lines)).toEqual(["vs {", "rs 1 {", "w 1", "}", "rs 2 {", "w 1", "}", "}"]);
  });
  test("a backslash outside a definition is not a continuation", () => {
    expect(words(pp("router_id \\\nnext\n").lines)).toEqual(["router_id \\", "next"]);
  });
  test("predefined names", () => {
    const { lines } = pp("a ${_PWD} ${_INSTANCE} ${_HASH}${_BANG}\nr ${_RANDOM 5 5} ${_RANDOM}\n");
    expect(words(lines)[0]).toBe("a /etc/keepalived main #!");
    const r = words(lines)[1]!.split(" ");
    expect(r[1]).toBe("5");
    expect(Number(r[2])).toBeGreaterThanOrEqual(0);
    expect(Number(r[2])).toBeLessThanOrEqual(32767);
  });
  test("self-referencing definitions stop with a diagnostic", () => {
    const { diags } = pp("$A=${A}x\ny ${A}\n");
    expect(diags.list[0]).toMatchObject({ line: 2, severity: "error" });
  });
});

describe("~SEQ and ~LST", () => {
  test("~SEQ counts with default step; start may be omitted", () => {
    expect(words(pp("~SEQ(S, 0, 3) ip 10.0.${S}.1\n").lines)).toEqual([
      "ip 10.0.0.1",
      "ip 10.0.1.1",
      "ip 10.0.2.1",
      "ip 10.0.3.1",
    ]);
    expect(words(pp("~SEQ(S,2) n${S}\n").lines)).toEqual(["n1", "n2"]);
    expect(words(pp("~SEQ(S,3,1) n${S}\n").lines)).toEqual(["n3", "n2", "n1"]);
  });
  test("~SEQx formats hex and nests", () => {
    expect(words(pp("~SEQx(A, 0x90, 0x10, 0xc0) ~SEQx(B, 0x12, -1, 0x11) fe81::${A}:${B}\n").lines)).toEqual([
      "fe81::90:12",
      "fe81::90:11",
      "fe81::a0:12",
      "fe81::a0:11",
      "fe81::b0:12",
      "fe81::b0:11",
      "fe81::c0:12",
      "fe81::c0:11",
    ]);
  });
  test("~LST single and multi variable, combined with ~SEQ", () => {
    expect(words(pp("~LST(IP, 1, 2) ~LST(IP1, 5,6) 192.169.${IP}.${IP1}\n").lines)).toEqual([
      "192.169.1.5",
      "192.169.1.6",
      "192.169.2.5",
      "192.169.2.6",
    ]);
    expect(words(pp("~LST({IP, IP1}, {10,1},{20,4}) ~SEQ(X,168,2,170) 192.${X}.${IP}.${IP1}\n").lines))
      .toEqual([
        "192.168.10.1",
        "192.170.10.1",
        "192.168.20.4",
        "192.170.20.4",
      ]);
  });
  test("a bad block is reported with its line", () => {
    const { lines, diags } = pp("ok\n~SEQ(S, 1, 0, 5) x\n~SEQ(S, 1 x\n");
    expect(words(lines)).toEqual(["ok"]);
    expect(diags.list.map((d) => d.line)).toEqual([2, 3]);
  });
});
