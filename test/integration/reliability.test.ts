import { expect, it } from 'vitest';
import { runReliability } from '#test/support/reliability.ts';

/**
 * The reliability suite (issue 11): a random history through the real local runtime with 10 % of
 * every AWS call failing (test/support/reliability.ts says how it is checked). The seed is printed;
 * RELIABILITY_SEED replays a run, RELIABILITY_CUSTOMERS sizes it.
 *
 * In `npm test` the seed is fixed, so CI judges every change on the same history; new histories are
 * drawn by `npm run bench -- reliability` and by RELIABILITY_SEED=random. Seed 456687412 is the
 * history that showed tiers following arrival order (a tier reached on a state that a late,
 * earlier-dated cancellation supersedes was kept); tiers are now judged by event time
 * (loyalty/plan.ts tierFromEvents), and it passes like the others.
 */
const SEED_IN_CI = 20261203;
const asked = process.env.RELIABILITY_SEED;
const seed = asked === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(asked ?? SEED_IN_CI);
const customers = Number(process.env.RELIABILITY_CUSTOMERS ?? 12);

it(`loses nothing, counts nothing twice and sends no email twice with 10 % of AWS calls failing (seed ${seed})`, async () => {
  const { figures, mismatches } = await runReliability({
    seed,
    faults: '0.1',
    customers,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`reliability: ${JSON.stringify(figures)}\n`);
  expect(mismatches).toEqual([]);
  expect(figures.faultsInjected).toBeGreaterThan(0);
  expect({ lost: figures.lost, doubles: figures.doubles, emailsSentTwice: figures.emailsSentTwice }).toEqual({
    lost: 0,
    doubles: 0,
    emailsSentTwice: 0,
  });
}, 600_000);
