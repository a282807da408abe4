/**
 * Routing's `attrs` (lib/attrs): the Starlark expressions V2Ray 4.34 evaluates over a request's
 * attributes, with Starlark's results for what rules write, and false for a runtime error.
 */
import fc from "fast-check";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { fuzzParams } from "./helpers/fuzz.ts";
import { AttrsSyntaxError, compileAttrs } from "../lib/attrs/mod.ts";

const ATTRS = new Map([
  [":method", "GET"],
  [":path", "/api/v1/items"],
  ["accept", "text/html, application/json"],
  ["user-agent", "curl/8.5.0"],
]);

const holds = (code: string) => compileAttrs(code)(ATTRS);

Deno.test("attrs: the expressions rules use", () => {
  const truths = [
    "attrs[':method'] == 'GET'",
    'attrs[":path"].startswith("/api/")',
    "attrs[':path'].startswith(('/x', '/api'))",
    "attrs[':path'].endswith('items')",
    "'json' in attrs['accept']",
    "'accept' in attrs",
    "attrs[':method'] in ['GET', 'HEAD']",
    "attrs[':method'] != 'POST' and not attrs.get('cookie')",
    "attrs.get('cookie', 'none') == 'none'",
    "attrs['user-agent'].lower().startswith('curl/')",
    "len(attrs[':path']) > 5",
    "attrs[':path'].split('/')[1] == 'api'",
    "attrs[':path'].find('v1') == 5",
    "(attrs[':method'] == 'PUT') or (attrs[':method'] == 'GET')",
    "'yes' if attrs[':method'] == 'GET' else ''",
    "attrs[':method'] + '!' == 'GET!'",
    "attrs[':path'][-1] == 's'",
    "str(len(attrs)) == '4'",
  ];
  for (const c of truths) assert(holds(c), `${c} should hold`);
  const falsehoods = [
    "attrs[':method'] == 'POST'",
    "'xml' in attrs['accept']",
    "attrs[':method'] not in ['GET']",
    "not attrs[':path']",
    "attrs.get('cookie')",
    "''",
    "0",
    "None",
    "[]",
  ];
  for (const c of falsehoods) assert(!holds(c), `${c} should not hold`);
});

Deno.test("attrs: a runtime error makes the rule not match, as 4.34", () => {
  for (
    const c of [
      "attrs['cookie'] == 'x'", // KeyError
      "attrs[':method'] < 1", // comparing a string with an int
      "attrs[':method'].nosuchmethod()",
      "undefined_name",
      "attrs[':path'][100] == 'x'",
      "len(1)",
      "not attrs['cookie']",
    ]
  ) assert(!holds(c), `${c} should not hold`);
});

Deno.test("attrs: no attributes map means no match for any expression", () => {
  assert(!compileAttrs("attrs[':method'] == 'GET'")(new Map()));
  assert(compileAttrs("len(attrs) == 0")(new Map()));
});

Deno.test("attrs: syntax errors are AttrsSyntaxError with where", () => {
  for (
    const [code, want] of [
      ["attrs[", "at character 7"],
      ["a < b < c", "comparisons do not chain"],
      ["'open", "unterminated string"],
      ["attrs[':m'] = 'GET'", "unexpected"],
      ["1 +", "expected a value"],
      ["x if y", 'expected "else"'],
      ["'\\q'", "unknown escape"],
      ["(".repeat(200) + "1" + ")".repeat(200), "nested too deeply"],
      ["not ".repeat(200) + "1", "nested too deeply"],
    ] as const
  ) {
    const e = assertThrows(() => compileAttrs(code), AttrsSyntaxError);
    assert(e.message.includes(want), `${code}: ${e.message}`);
  }
});

Deno.test("attrs (property): any text compiles or is a syntax error; evaluation never throws", () => {
  const pieces = fc.constantFrom(
    "attrs",
    "[",
    "]",
    "(",
    ")",
    "'a'",
    '":path"',
    ".",
    "get",
    "startswith",
    "lower",
    "==",
    "!=",
    "<",
    " in ",
    " not ",
    " and ",
    " or ",
    " if ",
    " else ",
    ",",
    "1",
    "-",
    "+",
    "len",
    "True",
    "None",
  );
  const code = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.array(pieces, { maxLength: 20 }).map((p) => p.join("")),
  );
  const attrs = fc.array(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })), {
    maxLength: 4,
  }).map((kv) => new Map([[":path", "/a"], ...kv]));
  fc.assert(
    fc.property(code, attrs, (c, a) => {
      let predicate;
      try {
        predicate = compileAttrs(c);
      } catch (e) {
        assert(e instanceof AttrsSyntaxError, `${JSON.stringify(c)}: ${e}`);
        return;
      }
      assertEquals(typeof predicate(a), "boolean");
    }),
    fuzzParams(),
  );
});
