/**
 * splitCommand against what keepalived 2.2.7 gave a script that wrote its argv to a file, for the same
 * command text (the config-level token after the lexer; test/netns/script-argv.test.ts reruns the
 * comparison live beside keepalived).
 */
import { describe, expect, test } from "bun:test";
import { splitCommand } from "../../../src/core/command-line.ts";

describe("splitCommand: keepalived 2.2.7's script argv", () => {
  // [command text as the lexer hands it over, argv keepalived 2.2.7 ran]
  const observed: [string, string[]][] = [
    [`/s A1 "a b" c`, ["/s", "A1", "a b", "c"]],
    [`/s B2 'x "y" z' w`, ["/s", "B2", `x "y" z`, "w"]],
    // The case the two old splitters disagreed on: \" inside double quotes is a quote character.
    [`/s C3 "p \\"q\\" r" s`, ["/s", "C3", `p "q" r`, "s"]],
    [`/s D4 e f 'gh' "ij"`, ["/s", "D4", "e", "f", "gh", "ij"]],
    // C escapes are decoded, and a backslash escapes inside single quotes too.
    [`/s E5 "m\\n" 'o\\p' q\\r`, ["/s", "E5", "m\n", "op", "q\r"]],
    [`/s F6 "t\\\\u" 'v w'x"y z"`, ["/s", "F6", "t\\u", "v wxy z"]],
  ];
  for (const [line, argv] of observed) {
    test(line, () => expect(splitCommand(line)).toEqual(argv));
  }

  test("hex, control and octal escapes", () => {
    expect(splitCommand(`a\\x41\\x42 \\cA \\101\\0612`)).toEqual(["aAB", "\x01", "A12"]);
  });

  test("whitespace only gives no words; an empty quoted word is kept", () => {
    expect(splitCommand(" \t ")).toEqual([]);
    expect(splitCommand(`x '' ""`)).toEqual(["x", "", ""]);
  });
});
