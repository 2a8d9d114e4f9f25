/**
 * A tier's rule as a small expression over what the customer did in the tier window and what the
 * scheduled run predicts of them, e.g. `spend >= 5000000 or (orders >= 6 and predictedValue12m >= 3000000)`.
 * A grammar of its own (recursive descent, no eval, no Function): numbers, five names, comparisons,
 * and/or/not, parentheses — nothing that can loop, call or read anything else. Typed while parsed: a
 * comparison compares two numbers, and/or/not combine comparisons, so `spend and orders` or a bare
 * `spend` is refused with its position rather than given a meaning.
 *
 *   expression := or
 *   or         := and ("or" and)*
 *   and        := not ("and" not)*
 *   not        := "not" not | "(" or ")" | operand comparator operand
 *   operand    := number | name
 *   comparator := ">=" | ">" | "<=" | "<" | "==" | "!="
 *   number     := digits ("_" digits)* ("." digits)?
 *   name       := spend | orders | points | predictedValue12m | pAlive
 */

/** The facts a rule reads (rules.ts windowFacts): the window's figures and the last run's CLV. */
export const TIER_FACTS = ['spend', 'orders', 'points', 'predictedValue12m', 'pAlive'] as const;
export type TierFact = (typeof TIER_FACTS)[number];
export type TierFacts = Record<TierFact, number>;

export const COMPARATORS = ['>=', '>', '<=', '<', '==', '!='] as const;
export type Comparator = (typeof COMPARATORS)[number];

export type Operand = { kind: 'number'; value: number } | { kind: 'fact'; name: TierFact };
export type TierExpression =
  | { kind: 'compare'; op: Comparator; left: Operand; right: Operand }
  | { kind: 'and' | 'or'; left: TierExpression; right: TierExpression }
  | { kind: 'not'; operand: TierExpression };

/** Long enough for any rule a shop writes by hand, short enough that parsing costs nothing. */
export const MAX_EXPRESSION_LENGTH = 500;

/** A rule that does not parse; `position` is the 1-based character where the parser gave up. */
export class TierExpressionError extends Error {
  constructor(
    readonly position: number,
    readonly reason: string,
  ) {
    super(`at character ${position}: ${reason}`);
    this.name = 'TierExpressionError';
  }
}

type Token =
  | { type: 'number'; value: number; text: string; at: number }
  | { type: 'word'; text: string; at: number }
  | { type: 'op'; text: Comparator; at: number }
  | { type: '(' | ')'; text: string; at: number }
  | { type: 'end'; text: ''; at: number };

const KEYWORDS = new Set(['and', 'or', 'not']);
const isFact = (word: string): word is TierFact => (TIER_FACTS as readonly string[]).includes(word);

/**
 * The tokens of a rule, read one at a time as the parser asks for them, so the error reported is
 * the first one from the left whatever kind it is (a misspelt name before a stray "=").
 */
function tokenizer(source: string): () => Token {
  let i = 0;
  return () => {
    while (i < source.length && /\s/.test(source[i] as string)) i++;
    if (i >= source.length) return { type: 'end', text: '', at: source.length };
    const ch = source[i] as string;
    const rest = source.slice(i);
    const at = i;
    const number = /^\d+(?:_\d+)*(?:\.\d+)?/.exec(rest);
    if (number) {
      const text = number[0];
      const value = Number(text.replaceAll('_', ''));
      if (!Number.isSafeInteger(Math.floor(value))) throw new TierExpressionError(at + 1, `${text} is too large`);
      if (/^[A-Za-z_]/.test(source.slice(at + text.length)))
        throw new TierExpressionError(at + text.length + 1, 'a number runs into a name');
      i += text.length;
      return { type: 'number', value, text, at };
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (word) {
      i += word[0].length;
      return { type: 'word', text: word[0], at };
    }
    const op = COMPARATORS.find((candidate) => rest.startsWith(candidate));
    if (op) {
      i += op.length;
      return { type: 'op', text: op, at };
    }
    if (ch === '(' || ch === ')') {
      i++;
      return { type: ch, text: ch, at };
    }
    const hint =
      ch === '='
        ? ' (write == to compare)'
        : ch === '&' || ch === '|'
          ? ' (write and, or)'
          : ch === '!'
            ? ' (write not, or != to compare)'
            : ch === '-' || ch === '+' || ch === '*' || ch === '/'
              ? ' (rules compare figures; they do no arithmetic)'
              : '';
    throw new TierExpressionError(at + 1, `unexpected "${ch}"${hint}`);
  };
}

/** Letters to insert, delete or change to turn one word into the other: how a misspelt name finds the one meant. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (previous[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length] as number;
}

const describe = (token: Token) => (token.type === 'end' ? 'the end of the rule' : `"${token.text}"`);

/** Parses a rule, or throws TierExpressionError naming the position. */
export function parseTierExpression(source: string): TierExpression {
  if (source.length > MAX_EXPRESSION_LENGTH)
    throw new TierExpressionError(MAX_EXPRESSION_LENGTH + 1, `a rule is at most ${MAX_EXPRESSION_LENGTH} characters`);
  const next = tokenizer(source);
  let ahead: Token | undefined;
  let previous: Token | undefined;
  let last: Token | undefined;
  const peek = () => {
    ahead ??= next();
    return ahead;
  };
  const take = () => {
    const token = peek();
    ahead = undefined;
    previous = last;
    last = token;
    return token;
  };
  const fail = (token: Token, expected: string): never => {
    throw new TierExpressionError(token.at + 1, `expected ${expected}, found ${describe(token)}`);
  };
  const isWord = (token: Token, word: string) => token.type === 'word' && token.text === word;

  const operand = (): Operand => {
    const token = take();
    if (token.type === 'number') return { kind: 'number', value: token.value };
    if (token.type === 'word' && isFact(token.text)) return { kind: 'fact', name: token.text };
    if (token.type === 'word' && !KEYWORDS.has(token.text)) {
      const near = TIER_FACTS.find((fact) => editDistance(fact.toLowerCase(), token.text.toLowerCase()) <= 2);
      throw new TierExpressionError(
        token.at + 1,
        `unknown name "${token.text}"${near ? ` (did you mean ${near}?)` : ''}: a rule reads ${TIER_FACTS.join(', ')}`,
      );
    }
    return fail(token, `a number or one of ${TIER_FACTS.join(', ')}`);
  };

  const unary = (): TierExpression => {
    const token = peek();
    if (isWord(token, 'not')) {
      take();
      return { kind: 'not', operand: unary() };
    }
    if (token.type === '(') {
      take();
      const inner = or();
      const close = take();
      if (close.type !== ')') fail(close, `")" to close the "(" at character ${token.at + 1}`);
      return inner;
    }
    const left = operand();
    const op = take();
    if (op.type !== 'op') return fail(op, `a comparison (${COMPARATORS.join(' ')}) after ${describe(previous as Token)}`);
    const right = operand();
    const next = peek();
    if (next.type === 'op') fail(next, 'and, or or ")": comparisons do not chain (write a < spend and spend < b)');
    return { kind: 'compare', op: op.text, left, right };
  };

  const and = (): TierExpression => {
    let left = unary();
    while (isWord(peek(), 'and')) {
      take();
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  };

  const or = (): TierExpression => {
    let left = and();
    while (isWord(peek(), 'or')) {
      take();
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };

  if (peek().type === 'end') throw new TierExpressionError(1, 'the rule is empty');
  const expression = or();
  const rest = peek();
  if (rest.type !== 'end') fail(rest, 'and, or, or the end of the rule');
  return expression;
}

const PRECEDENCE = { or: 1, and: 2, not: 3, compare: 4 } as const;

const printOperand = (operand: Operand) => (operand.kind === 'fact' ? operand.name : String(operand.value));

/**
 * The rule written back in its canonical form: single spaces, plain numbers, parentheses only where
 * the tree needs them (and/or group to the left, so a right-hand operand of the same operator keeps
 * its own), so parsing what this prints gives the same tree.
 */
export function printTierExpression(expression: TierExpression): string {
  const wrap = (child: TierExpression, min: number) => {
    const text = printTierExpression(child);
    return PRECEDENCE[child.kind] < min ? `(${text})` : text;
  };
  switch (expression.kind) {
    case 'compare':
      return `${printOperand(expression.left)} ${expression.op} ${printOperand(expression.right)}`;
    case 'not':
      return `not ${wrap(expression.operand, PRECEDENCE.not)}`;
    case 'and':
    case 'or': {
      const own = PRECEDENCE[expression.kind];
      return `${wrap(expression.left, own)} ${expression.kind} ${wrap(expression.right, own + 1)}`;
    }
  }
}

const figureOf = (operand: Operand, facts: TierFacts) => (operand.kind === 'number' ? operand.value : facts[operand.name]);

function compare(op: Comparator, a: number, b: number): boolean {
  switch (op) {
    case '>=':
      return a >= b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '<':
      return a < b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}

export function evaluateTierExpression(expression: TierExpression, facts: TierFacts): boolean {
  switch (expression.kind) {
    case 'compare':
      return compare(expression.op, figureOf(expression.left, facts), figureOf(expression.right, facts));
    case 'not':
      return !evaluateTierExpression(expression.operand, facts);
    case 'and':
      return evaluateTierExpression(expression.left, facts) && evaluateTierExpression(expression.right, facts);
    case 'or':
      return evaluateTierExpression(expression.left, facts) || evaluateTierExpression(expression.right, facts);
  }
}

/** Every comparison of a rule, for the figures it reads. */
function comparisons(expression: TierExpression): Array<Extract<TierExpression, { kind: 'compare' }>> {
  switch (expression.kind) {
    case 'compare':
      return [expression];
    case 'not':
      return comparisons(expression.operand);
    default:
      return [...comparisons(expression.left), ...comparisons(expression.right)];
  }
}

/**
 * The least increase of one integer fact (spend in minor units, orders, points) that makes the rule
 * hold, the other facts as they are: 0 when it holds already, undefined when no amount of that fact
 * alone does (the rule needs another fact, or only ever holds below it). Exact: as the fact grows, a
 * comparison can change its answer only at ceil(c) or floor(c)+1 of a figure c it is compared with,
 * so the rule is tried at the present value and at each such point above it.
 */
export function shortfallOf(expression: TierExpression, facts: TierFacts, fact: TierFact): number | undefined {
  const at = (value: number) => evaluateTierExpression(expression, { ...facts, [fact]: value });
  const current = facts[fact];
  if (at(current)) return 0;
  const points = new Set<number>();
  for (const { left, right } of comparisons(expression)) {
    for (const [self, other] of [
      [left, right],
      [right, left],
    ] as const) {
      if (self.kind !== 'fact' || self.name !== fact) continue;
      const c = figureOf(other, facts);
      points.add(Math.ceil(c));
      points.add(Math.floor(c) + 1);
    }
  }
  const above = [...points].filter((value) => value > current).sort((a, b) => a - b);
  const reached = above.find(at);
  return reached === undefined ? undefined : reached - current;
}

const parsed = new Map<string, TierExpression>();

/**
 * A saved program's rule, parsed once per container: tiers are judged at every instant of an
 * order's history, and the program's few rules are the same strings each time. A rule that does not
 * parse never reaches here (the program schema refuses it), so this throws only on a programming error.
 */
export function compiledTierExpression(source: string): TierExpression {
  let expression = parsed.get(source);
  if (!expression) {
    expression = parseTierExpression(source);
    // Programs change rarely; a container that has seen this many rules starts its cache afresh.
    if (parsed.size >= 1000) parsed.clear();
    parsed.set(source, expression);
  }
  return expression;
}
