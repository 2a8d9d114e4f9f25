/**
 * A cache in front of dynalite's expression parsers. dynalite parses every UpdateExpression and
 * ConditionExpression anew with a PEG parser that backtracks on parentheses; the processor's
 * conditional profile update, `(attribute_not_exists(#t0) OR #t0 < :at OR (#t0 = :at AND …)) AND …`,
 * made that parse the costliest step of the whole local stack (about 1 ms a time). The same few
 * expressions come back with other names and values each time, so each is parsed once into a
 * template, and the template is filled in with the next request's names and values.
 *
 * Exact by construction, or not used:
 * - The key is the expression, whether it is a key condition, the names of its attribute-name
 *   placeholders, and the name and DynamoDB type of every attribute value: what a parse depends on
 *   besides the names' meanings and the values' contents.
 * - Names' meanings matter to a parse only through equality (two paths that overlap, an operand
 *   that is not distinct); a template is made and used only when the meanings differ from each
 *   other and from every word of the expression, so equality has nothing to find either way.
 * - Values' contents matter only to BETWEEN (which compares them) and attribute_type (which reads
 *   one): expressions with those words are not cached.
 * - The template is a second parse with stand-in names; it is kept only if, filled in with the
 *   request's own names and values, it is identical to the real parse, and if every value in it is
 *   one of the request's values by reference (nothing derived from one).
 * - Using it is a deep copy with the new names and values, and the "unused" bookkeeping dynalite
 *   keeps is updated as the parse would have done it. A parse that fails is never cached.
 *
 * dynalite is pinned (package.json); this reaches into its db/*Parser.js modules, which it loads
 * with require, so the wrapped `parse` is the one its validations call.
 */

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

const VALUE_TYPES = ['S', 'N', 'B', 'NULL', 'BOOL', 'SS', 'NS', 'BS', 'L', 'M'];
const UNCACHEABLE = /between|attribute_type/i;
const MAX_ENTRIES = 2_000;

/** dynalite's own reading of a value's type. */
function typeOf(value) {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return '?';
  for (const type of VALUE_TYPES) if (value[type] != null) return type;
  return '?';
}

function looksLikeValue(node) {
  return VALUE_TYPES.some((type) => Object.hasOwn(node, type));
}

/** Whether every value-like object in the tree is one of `values` (by reference). */
function onlyReferences(node, values) {
  if (node === null || typeof node !== 'object') return true;
  if (values.has(node)) return true;
  if (!Array.isArray(node) && looksLikeValue(node)) return false;
  for (const child of Array.isArray(node) ? node : Object.values(node)) {
    if (!onlyReferences(child, values)) return false;
  }
  return true;
}

/**
 * A deep copy of a tree in which each value object in `values` becomes its substitute (and is not
 * copied), and each string in `names`, as an element or as a key, becomes its substitute.
 */
function fill(node, values, names) {
  if (typeof node === 'string') return names.get(node) ?? node;
  if (node === null || typeof node !== 'object') return node;
  const value = values.get(node);
  if (value !== undefined) return value;
  if (Array.isArray(node)) return node.map((child) => fill(child, values, names));
  const copy = Object.create(Object.getPrototypeOf(node));
  for (const key of Object.keys(node)) copy[names.get(key) ?? key] = fill(node[key], values, names);
  return copy;
}

/** Whether the names' meanings are all different, and none is a word of the expression. */
function meaningsApart(input, attrNames) {
  const meanings = Object.values(attrNames ?? {});
  if (new Set(meanings).size !== meanings.length) return false;
  const words = new Set(input.match(/[A-Za-z0-9_]+/g) ?? []);
  return meanings.every((meaning) => typeof meaning === 'string' && !words.has(meaning));
}

function keyOf(input, context) {
  let values = '';
  for (const [name, value] of Object.entries(context.attrVals ?? {})) values += `${name}:${typeOf(value)},`;
  return `${context.isKeyCondition ? 'k' : ''}\u0000${input}\u0000${Object.keys(context.attrNames ?? {}).join(',')}\u0000${values}`;
}

/** Stand-ins for the names: strings no expression or attribute name can hold. */
function standIns(attrNames) {
  return Object.fromEntries(Object.keys(attrNames ?? {}).map((name, i) => [name, `\u0000name${i}\u0000`]));
}

function cached(parser) {
  const parse = parser.parse;
  /** key → { tree, standIns: placeholder → stand-in, values: placeholder → the value object the tree holds, usedNames, usedValues } */
  const entries = new Map();

  const use = (entry, context) => {
    const values = new Map();
    for (const [name, value] of entry.values) values.set(value, context.attrVals[name]);
    const names = new Map();
    for (const [name, standIn] of Object.entries(entry.standIns)) names.set(standIn, context.attrNames[name]);
    for (const name of entry.usedNames) delete context.unusedAttrNames?.[name];
    for (const name of entry.usedValues) delete context.unusedAttrVals?.[name];
    return fill(entry.tree, values, names);
  };

  /** Parses again with stand-in names; the template, or undefined when it would not be exact. */
  const template = (input, options, real) => {
    const context = options.context;
    const names = standIns(context.attrNames);
    const probe = {
      ...context,
      attrNames: context.attrNames && names,
      unusedAttrNames: { ...context.unusedAttrNames },
      unusedAttrVals: { ...context.unusedAttrVals },
    };
    let tree;
    try {
      tree = parse(input, { ...options, context: probe });
    } catch {
      return undefined;
    }
    const values = new Map(Object.entries(context.attrVals ?? {}));
    if (!tree || typeof tree !== 'object' || !onlyReferences(tree, new Set(values.values()))) return undefined;
    const entry = {
      // A copy that shares only the values, safe from what dynalite does to the trees it is handed.
      tree: fill(tree, new Map([...values.values()].map((value) => [value, value])), new Map()),
      standIns: names,
      values,
      usedNames: Object.keys(context.unusedAttrNames ?? {}).filter((name) => !Object.hasOwn(probe.unusedAttrNames, name)),
      usedValues: Object.keys(context.unusedAttrVals ?? {}).filter((name) => !Object.hasOwn(probe.unusedAttrVals, name)),
    };
    // The proof: filled in with this request's names and values, it is this request's parse.
    const check = { ...context, unusedAttrNames: { ...context.unusedAttrNames }, unusedAttrVals: { ...context.unusedAttrVals } };
    return isDeepStrictEqual(use(entry, check), real) ? entry : undefined;
  };

  return function cachedParse(input, options) {
    const context = options?.context;
    if (typeof input !== 'string' || !context || UNCACHEABLE.test(input) || !meaningsApart(input, context.attrNames)) {
      return parse(input, options);
    }
    const key = keyOf(input, context);
    const entry = entries.get(key);
    if (entry) return use(entry, context);
    const before = { names: { ...context.unusedAttrNames }, values: { ...context.unusedAttrVals } };
    const real = parse(input, options);
    const made = template(
      input,
      { ...options, context: { ...context, unusedAttrNames: before.names, unusedAttrVals: before.values } },
      real,
    );
    if (made) {
      if (entries.size >= MAX_ENTRIES) entries.clear();
      entries.set(key, made);
    }
    return real;
  };
}

/** Wraps dynalite's condition and update parsers (the projection parser is cheap and value-free). */
export function cacheDynaliteExpressions() {
  const require = createRequire(import.meta.url);
  const db = join(dirname(require.resolve('dynalite')), 'db');
  for (const name of ['conditionParser.js', 'updateParser.js']) {
    const parser = require(join(db, name));
    if (typeof parser.parse !== 'function') throw new Error(`dynalite's ${name} has no parse(); is dynalite still 4.0.0?`);
    parser.parse = cached(parser);
  }
}
