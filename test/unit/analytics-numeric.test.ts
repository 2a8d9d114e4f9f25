import { describe, expect, it } from 'vitest';
import { CsvFormatError, formatCsv, parseCsv, readCsvTable } from '#shared/analytics/csv.ts';
import {
  goldenSection,
  hyp2f1,
  innerProbabilities,
  isoDay,
  isoOfDay,
  logAddExp,
  logGamma,
  minimizeWithRestarts,
  nelderMead,
  quantileType7,
} from '#shared/analytics/numeric.ts';

const logFactorial = (n: number) => {
  let sum = 0;
  for (let k = 2; k <= n; k++) sum += Math.log(k);
  return sum;
};

describe('logGamma', () => {
  it('is ln((n-1)!) at whole numbers, to ~1e-14 relative', () => {
    for (const n of [1, 2, 3, 5, 10, 11, 20, 50, 100, 170]) {
      const expected = logFactorial(n - 1);
      expect(Math.abs(logGamma(n) - expected)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(expected)));
    }
  });

  it('is exact at half-integers: Γ(n + ½) = (2n)! √π / (4ⁿ n!)', () => {
    for (const n of [0, 1, 2, 4, 9, 15, 40]) {
      const expected = logFactorial(2 * n) + 0.5 * Math.log(Math.PI) - n * Math.log(4) - logFactorial(n);
      expect(Math.abs(logGamma(n + 0.5) - expected)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(expected)));
    }
  });

  it('keeps Γ(x+1) = x Γ(x) for small and fractional x', () => {
    for (const x of [1e-8, 0.001, 0.243, 0.5, 0.793, 2.426, 4.414, 9.99, 10.01, 1234.5]) {
      expect(Math.abs(logGamma(x + 1) - Math.log(x) - logGamma(x))).toBeLessThan(2e-14 * Math.max(1, Math.abs(logGamma(x))));
    }
  });

  it('knows its values near the minimum and for large arguments', () => {
    expect(logGamma(1.461632144968362)).toBeCloseTo(-0.12148629053584936, 14);
    expect(logGamma(1e6)).toBeCloseTo(12815504.569147611, 6);
  });
});

describe('the other numerical pieces', () => {
  it('logAddExp neither overflows nor underflows', () => {
    expect(logAddExp(1000, 1000)).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logAddExp(-1000, -1001)).toBeCloseTo(-1000 + Math.log1p(Math.exp(-1)), 12);
    expect(logAddExp(Number.NEGATIVE_INFINITY, 3)).toBe(3);
  });

  it('hyp2f1 matches closed forms', () => {
    for (const z of [0.1, 0.5, 0.9, 0.99]) {
      // ₂F₁(1, 1; 2; z) = −ln(1−z)/z, ₂F₁(a, b; b; z) = (1−z)^−a
      expect(hyp2f1(1, 1, 2, z)).toBeCloseTo(-Math.log(1 - z) / z, 12);
      expect(hyp2f1(0.7, 2.5, 2.5, z)).toBeCloseTo((1 - z) ** -0.7, 10);
      // ₂F₁(½, 1; 3/2; z²) = atanh(z)/z
      expect(hyp2f1(0.5, 1, 1.5, z * z)).toBeCloseTo(Math.atanh(z) / z, 12);
    }
  });

  it("quantileType7 matches R's quantile(type = 7)", () => {
    const x = [1, 3, 7, 15];
    // quantile(c(1, 3, 7, 15), seq(0, 1, 0.2)) in R: 1.0 2.2 3.8 6.2 10.2 15.0
    expect([0, ...innerProbabilities(5), 1].map((p) => quantileType7(x, p))).toEqual(
      [1, 2.2, 3.8, 6.2, 10.2, 15].map((v, i) => (i === 0 || i === 5 ? v : expect.closeTo(v, 12))),
    );
    // quantile(1:10, 0.2) = 2.8; ties: quantile(c(5, 5, 5, 9), 0.4) = 5
    expect(quantileType7([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.2)).toBeCloseTo(2.8, 12);
    expect(quantileType7([5, 5, 5, 9], 0.4)).toBe(5);
    // R's seq(0, 1, length.out = 6): 3 * 0.2 is 0.6000000000000001, and R uses exactly that
    expect(innerProbabilities(5)).toEqual([0.2, 0.4, 0.6000000000000001, 0.8]);
  });

  it('nelderMead finds the minimum of the Rosenbrock valley', () => {
    const rosenbrock = ([x = 0, y = 0]: number[]) => (1 - x) ** 2 + 100 * (y - x * x) ** 2;
    const result = minimizeWithRestarts(rosenbrock, [[-1.2, 1]], { xTolerance: 1e-10, fTolerance: 1e-16 });
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 6);
    expect(result.x[1]).toBeCloseTo(1, 6);
  });

  it('nelderMead treats NaN as +∞ and reports when it runs out of iterations', () => {
    const walled = ([x = 0]: number[]) => (x < 0 ? Number.NaN : (x - 2) ** 2);
    expect(nelderMead(walled, [0.5]).x[0]).toBeCloseTo(2, 6);
    expect(nelderMead(([x = 0]) => -x, [0], { maxIterations: 50 }).converged).toBe(false);
  });

  it('goldenSection finds a one-dimensional minimum', () => {
    expect(goldenSection((x) => (x - 1.234) ** 2, -10, 10, 1e-10).x).toBeCloseTo(1.234, 8);
  });

  it('reads calendar dates as day numbers, rejecting impossible ones', () => {
    expect(isoDay('1970-01-02')).toBe(1);
    expect(isoDay('1997-09-30') - isoDay('1997-01-01')).toBe(272);
    expect(isoDay('2024-02-29T10:00:00Z')).toBe(isoDay('2024-02-29'));
    expect(isoDay('2023-02-29')).toBeNaN();
    expect(isoDay('30/09/1997')).toBeNaN();
    expect(isoOfDay(isoDay('1998-06-30'))).toBe('1998-06-30');
  });
});

describe('csv', () => {
  it('reads quotes, doubled quotes, commas and line breaks inside quotes, CRLF and a BOM', () => {
    expect(parseCsv('\ufeffa,b,c\r\n"x, ""y""",,""\n"two\nlines",2,\n')).toEqual([
      ['a', 'b', 'c'],
      ['x, "y"', '', ''],
      ['two\nlines', '2', ''],
    ]);
    expect(parseCsv('a,b\n1,2')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('refuses what is not CSV', () => {
    expect(() => parseCsv('"open')).toThrow(CsvFormatError);
    expect(() => parseCsv('"a"b,c')).toThrow(CsvFormatError);
    expect(() => readCsvTable('x,y\n1,2\n', ['customer_id'])).toThrow(/missing column\(s\) customer_id/);
  });

  it('writes what it reads', () => {
    const rows = [
      ["O'Reilly, Abbey", 'say "hi"', 3],
      ['plain', '', 4.5],
    ];
    const text = formatCsv(['name', 'note', 'n'], rows);
    expect(parseCsv(text)).toEqual([['name', 'note', 'n'], ...rows.map((row) => row.map(String))]);
  });
});
