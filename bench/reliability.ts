import { runCrash } from '#test/support/crash.ts';
import { runReliability } from '#test/support/reliability.ts';
import type { BenchResult } from './report.ts';

/**
 * `npm run bench -- reliability`: the figures of the two reliability tests (issue 11), recorded under
 * `reliability` in results.json — the fault suite (a random history at 10 % injected faults on every
 * AWS call, checked against the same history without faults) and the SIGKILL crash test. Sizes:
 * RELIABILITY_CUSTOMERS (default 40) and RELIABILITY_SEED (default random, printed).
 */
export async function benchReliability(): Promise<BenchResult> {
  const seed = Number(process.env.RELIABILITY_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const customers = Number(process.env.RELIABILITY_CUSTOMERS ?? 40);
  const faults = await runReliability({ seed, faults: '0.1', customers, log: (line) => process.stderr.write(`bench: ${line}\n`) });
  const { output: _output, ...crash } = await runCrash({ orders: 400, killAfter: 250 });
  const wrong = faults.mismatches.length;
  return {
    figures: { faults: { ...faults.figures, mismatches: faults.mismatches.slice(0, 20) }, crash },
    rows: [
      {
        key: 'reliability.faults.faultsInjected',
        label: `faults injected (seed ${seed}, ${customers} customers)`,
        value: faults.figures.faultsInjected,
        unit: '',
      },
      { key: 'reliability.faults.redriven', label: 'dead letters redriven', value: faults.figures.redriven, unit: '' },
      {
        key: 'reliability.faults.lost',
        label: 'events lost under faults',
        value: faults.figures.lost,
        unit: '',
        target: { op: '<=', value: 0 },
      },
      {
        key: 'reliability.faults.doubles',
        label: 'orders counted twice under faults',
        value: faults.figures.doubles,
        unit: '',
        target: { op: '<=', value: 0 },
      },
      {
        key: 'reliability.faults.emailsSentTwice',
        label: 'emails sent twice under faults',
        value: faults.figures.emailsSentTwice,
        unit: '',
        target: { op: '<=', value: 0 },
      },
      {
        key: 'reliability.faults.mismatches',
        label: 'customers differing from the oracle',
        value: wrong,
        unit: '',
        target: { op: '<=', value: 0 },
      },
      { key: 'reliability.crash.accepted', label: 'orders answered 202 before the SIGKILL', value: crash.accepted, unit: '' },
      {
        key: 'reliability.crash.lost',
        label: 'accepted orders lost to the SIGKILL',
        value: crash.lost,
        unit: '',
        target: { op: '<=', value: 0 },
      },
      {
        key: 'reliability.crash.doubles',
        label: 'orders counted twice after the restart',
        value: crash.doubles,
        unit: '',
        target: { op: '<=', value: 0 },
      },
    ],
    notes: [
      `fault suite: ${faults.figures.events} events, ${faults.figures.requests} requests (${faults.figures.retried} answered non-2xx and sent again), ${faults.figures.faultsInjected} faults ${JSON.stringify(faults.figures.faultsByKind)}, ${faults.figures.unknownEmailOutcomes} email(s) whose send SES never answered (kept at most once), ${faults.figures.seconds} s; replay with RELIABILITY_SEED=${seed}`,
      `crash test: ${crash.accepted} accepted, ${crash.restored} message(s) back from the journal, all found ${crash.recoverSeconds} s after the restart`,
    ],
  };
}
