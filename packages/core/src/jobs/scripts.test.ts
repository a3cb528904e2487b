import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SCRIPT_NAMES, jobScriptSource } from './scripts.js';

const KEYWORDS = new Set(
  'and break do else elseif end false for function if in local nil not or repeat return then true until while'.split(
    ' ',
  ),
);
// What Redis gives a script: anything else unknown is a helper of an include the script lacks (Redis
// reports that only when the line runs, as "attempt to access nonexistent global variable").
const GLOBALS = new Set(
  'redis cjson KEYS ARGV tonumber tostring string table math ipairs pairs unpack type error pcall select next'.split(
    ' ',
  ),
);

/** The script with comments and string literals blanked out (same length, so positions hold). */
function code(lua: string): string {
  return lua.replace(/--\[\[[\s\S]*?\]\]|--[^\n]*|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"/g, (match) =>
    match.replace(/[^\n]/g, ' '),
  );
}

/**
 * Names a script uses before any declaration of them: a helper whose include is missing or comes later.
 * Declarations: `local a, b`, `local function f`, function parameters and `for` variables. Fields
 * (`x.name`, `x:name`) and table constructor keys (`{ key = ... }`) are not names.
 */
function undeclaredNames(lua: string): string[] {
  const text = code(lua);
  const declared = new Set<string>();
  const missing = new Set<string>();
  const declare = (list: string): void => {
    for (const name of list.split(',')) if (name.trim()) declared.add(name.trim());
  };
  for (const match of text.matchAll(
    /local\s+function\s+(\w+)\s*\(([^)]*)\)|local\s+([\w\s,]+?)\s*(?==|\n)|function\s*[\w.:]*\s*\(([^)]*)\)|for\s+([\w\s,]+?)\s+(?:in|=)|([A-Za-z_]\w*)/g,
  )) {
    const [, localFunction, localParams, locals, params, loopVars, name] = match;
    if (localFunction) {
      declared.add(localFunction);
      declare(localParams ?? '');
    } else if (locals) declare(locals);
    else if (params !== undefined) declare(params);
    else if (loopVars) declare(loopVars);
    else if (name && !KEYWORDS.has(name) && !GLOBALS.has(name) && !declared.has(name)) {
      const before = text.slice(0, match.index).trimEnd();
      const after = text.slice(match.index + name.length);
      const isField = before.endsWith('.') || before.endsWith(':');
      const isTableKey = /^\s*=[^=]/.test(after) && (before.endsWith('{') || before.endsWith(','));
      if (!isField && !isTableKey) missing.add(name);
    }
  }
  return [...missing];
}

describe('jobs Lua scripts', () => {
  for (const name of SCRIPT_NAMES) {
    it(`${name}: every name it uses is declared first (its includes are all there, in order)`, () => {
      assert.deepEqual(undeclaredNames(jobScriptSource(name)), []);
    });
  }

  it('the check finds a helper used without its include', () => {
    assert.deepEqual(undeclaredNames('local a = 1\nlocal function f(x) return trim(KC, x) end\nreturn f(a)'), [
      'trim',
      'KC',
    ]);
    assert.deepEqual(undeclaredNames("local t = { b = 1, c = 'x' }\nreturn t.b + string.len(t.c)"), []);
  });
});
