import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import { useApp } from '../app-context.ts';
import { Chart, type Plot } from '../components/chart.tsx';
import { ErrorNotice } from '../components/ui.tsx';
import { tierName } from '../shop.ts';
import { TRIGGERS } from '../triggers.ts';
import type { Backtest, BacktestReport, Program, ProgramOutcome, TierMove } from '../types.ts';

/**
 * "Backtest" before "Save": the draft replayed on the shop's own history by the API
 * (POST /v1/program/backtests), followed while it runs, then its report beside the program in
 * force. Every figure is the API's own, shown as it comes (formatted, never recomputed), so the
 * console, the CLI and the API say the same thing.
 */

/** How often the page asks how the backtest is going: often enough to feel live, rarely enough to cost nothing. */
const POLL_MS = 800;

/** The row of the editor's buttons, "Backtest" first, then `children` (Save), and the backtest's progress and report below it. */
export function BacktestRow({
  draft,
  disabled,
  onRefused,
  children,
}: {
  draft: Program;
  disabled: boolean;
  /** A 400: the editor marks the field it names, as for a save. */
  onRefused: (error: ApiError | null) => void;
  children: ComponentChildren;
}) {
  const { api, t } = useApp();
  const [started, setStarted] = useState<string | null>(null);
  const [backtest, setBacktest] = useState<Backtest | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [starting, setStarting] = useState(false);
  // The draft the report is about: an edit after it makes the report stale, and the page says so.
  const [tested, setTested] = useState<string | null>(null);
  const current = JSON.stringify(draft);

  const start = async () => {
    setStarting(true);
    setFailure(null);
    setBacktest(null);
    onRefused(null);
    try {
      const answer = await api.send<{ backtestId: string }>('POST', '/v1/program/backtests', { body: { program: draft } });
      setTested(current);
      setStarted(answer.backtestId);
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) onRefused(error);
      else setFailure(error);
    } finally {
      setStarting(false);
    }
  };

  // Follows the backtest until it has an answer; a new one (or leaving the page) stops the old poll.
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    if (!started) return;
    let stopped = false;
    const poll = async () => {
      try {
        const read = await api.get<Backtest>(`/v1/program/backtests/${encodeURIComponent(started)}`);
        if (stopped) return;
        setBacktest(read);
        if (read.status === 'queued' || read.status === 'running') timer.current = setTimeout(poll, POLL_MS);
      } catch (error) {
        if (!stopped) setFailure(error);
      }
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer.current);
    };
  }, [started, api]);

  const running =
    starting || backtest?.status === 'queued' || backtest?.status === 'running' || (started !== null && !backtest && !failure);
  return (
    <>
      <div class="button-row">
        <button type="button" class="button-secondary" disabled={disabled || running} onClick={start}>
          {running ? t.backtest.running : t.backtest.button}
        </button>
        {children}
      </div>
      <div class="backtest-slot">
        {failure ? <ErrorNotice error={failure} /> : null}
        {backtest && running && <BacktestProgress backtest={backtest} />}
        {backtest?.status === 'failed' && (
          <p class="notice notice-error" role="alert">
            {t.backtest.failed(backtest.error ?? '')}
          </p>
        )}
        {backtest?.status === 'succeeded' && backtest.report && (
          <BacktestReportView backtestId={backtest.backtestId} report={backtest.report} draft={draft} stale={tested !== current} />
        )}
      </div>
    </>
  );
}

function BacktestProgress({ backtest }: { backtest: Backtest }) {
  const { t, fmt } = useApp();
  const { shardsDone, shards, customers } = backtest.progress;
  return (
    <div class="backtest-progress" role="status">
      <progress max={shards} value={shardsDone} aria-label={t.backtest.progressLabel} />
      <span class="muted">{backtest.status === 'queued' ? t.backtest.queued : t.backtest.progress(fmt.number(customers))}</span>
    </div>
  );
}

function BacktestReportView({
  backtestId,
  report,
  draft,
  stale,
}: {
  backtestId: string;
  report: BacktestReport;
  draft: Program;
  stale: boolean;
}) {
  const { t, fmt, language } = useApp();
  const { current, proposed } = report;
  const money = (minor: number) => fmt.money(minor, report.currency);
  const signed = (n: number, show: (n: number) => string) => (n === 0 ? '0' : n > 0 ? `+${show(n)}` : `−${show(-n)}`);
  const count = (n: number) => fmt.number(n);
  const tierIds = [...new Set([...current.tiers.map((tier) => tier.id), ...proposed.tiers.map((tier) => tier.id)])];
  const customersIn = (outcome: ProgramOutcome, id: string) => outcome.tiers.find((tier) => tier.id === id)?.customers ?? 0;
  /** A figure of both programs: in force, the draft, and the change between them. */
  const compared = (key: string, label: string, pick: (outcome: ProgramOutcome) => number, show: (n: number) => string) => {
    const [a, b] = [pick(current), pick(proposed)];
    return { key, label, cells: [show(a), show(b), signed(b - a, show)] };
  };
  const figure = (label: string, pick: (outcome: ProgramOutcome) => number, show = count) => compared(label, label, pick, show);
  // The emails either program sends, by the names the other pages give them, in the engine's order.
  const triggers = TRIGGERS.filter((trigger) => trigger in current.emails || trigger in proposed.emails);
  return (
    <section class="backtest-report" aria-label={t.backtest.reportTitle}>
      <h3>{t.backtest.reportTitle}</h3>
      <p class="muted">
        {t.backtest.summary(fmt.dateTime(report.asOf), count(report.customers), count(report.orders))}{' '}
        <span class="mono">{backtestId}</span>
      </p>
      {stale && (
        <p class="notice" role="status">
          {t.backtest.stale}
        </p>
      )}
      <div class="backtest-grid">
        <CompareTable
          caption={t.backtest.tiersCaption}
          head={t.backtest.tier}
          change
          rows={tierIds.map((id) => compared(id, tierName(draft, id, language), (outcome) => customersIn(outcome, id), count))}
        />
        <CompareTable
          caption={t.backtest.pointsCaption}
          head={t.backtest.figure}
          change
          rows={[
            figure(t.backtest.issued, (o) => o.points.issued),
            figure(t.backtest.redeemed, (o) => o.points.redeemed),
            figure(t.backtest.blocked, (o) => o.points.blocked.redemptions),
            figure(t.backtest.expired, (o) => o.points.expired),
            figure(t.backtest.outstanding, (o) => o.points.outstanding),
            figure(t.backtest.liability, (o) => o.liability.value, money),
            figure(t.backtest.rewardsCost, (o) => o.rewardsCost, money),
            {
              key: 'breakage',
              label: t.backtest.breakage,
              cells: [fmt.percent(current.breakageRate, 2), fmt.percent(proposed.breakageRate, 2), ''],
            },
          ]}
        />
      </div>

      <LiabilityChart report={report} />

      <h4>{t.backtest.movesTitle}</h4>
      <p class="muted">
        {t.backtest.movesSummary(count(report.moves.up.count), count(report.moves.down.count), count(report.moves.unchanged))}
      </p>
      <div class="backtest-grid">
        <MovesTable
          caption={t.backtest.movesUp(count(report.moves.up.count))}
          moves={report.moves.up}
          cap={report.moves.listCap}
          draft={draft}
        />
        <MovesTable
          caption={t.backtest.movesDown(count(report.moves.down.count))}
          moves={report.moves.down}
          cap={report.moves.listCap}
          draft={draft}
        />
      </div>

      {triggers.length > 0 && (
        <CompareTable
          caption={t.backtest.emailsCaption}
          head={t.backtest.trigger}
          rows={triggers.map((trigger) => ({
            key: trigger,
            label: t.triggers[trigger],
            cells: [count(current.emails[trigger] ?? 0), count(proposed.emails[trigger] ?? 0)],
          }))}
        />
      )}

      <p class="muted">
        {report.projection.label}{' '}
        {t.backtest.projection(
          money(report.projection.current.pointsIssuedValue),
          money(report.projection.proposed.pointsIssuedValue),
          report.projection.holdout?.relativeError == null ? t.backtest.noHoldout : fmt.percent(report.projection.holdout.relativeError, 1),
        )}
      </p>
    </section>
  );
}

/** One figure per row, the program in force beside the draft (and the change, where it means something). */
function CompareTable({
  caption,
  head,
  change = false,
  rows,
}: {
  caption: string;
  head: string;
  change?: boolean;
  rows: Array<{ key: string; label: ComponentChildren; cells: string[] }>;
}) {
  const { t } = useApp();
  const columns = [t.backtest.current, t.backtest.proposed, ...(change ? [t.backtest.change] : [])];
  return (
    <div class="table-wrap">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{head}</th>
            {columns.map((column) => (
              <th key={column} scope="col" class="numeric">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">{row.label}</th>
              {row.cells.map((cell, i) => (
                <td key={columns[i]} class="numeric">
                  {cell}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function MovesTable({
  caption,
  moves,
  cap,
  draft,
}: {
  caption: string;
  moves: { count: number; customers: TierMove[] };
  cap: number;
  draft: Program;
}) {
  const { t, language } = useApp();
  return (
    <div class="table-wrap">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t.backtest.customer}</th>
            <th scope="col">{t.backtest.from}</th>
            <th scope="col">{t.backtest.to}</th>
          </tr>
        </thead>
        <tbody>
          {moves.customers.length === 0 ? (
            <tr>
              <td colSpan={3} class="muted">
                {t.backtest.nobody}
              </td>
            </tr>
          ) : (
            moves.customers.map((move) => (
              <tr key={move.customerId}>
                <td>
                  <a href={`/customers/${encodeURIComponent(move.customerId)}`} class="mono">
                    {move.customerId}
                  </a>
                </td>
                <td>{tierName(draft, move.from, language)}</td>
                <td>{tierName(draft, move.to, language)}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
      {moves.count > moves.customers.length && <p class="muted">{t.backtest.listCapped(String(cap))}</p>}
    </div>
  );
}

interface LiabilityBar {
  program: string;
  measure: string;
  value: number;
}

/** The outstanding points' value, and the next 12 months' issue projected, program in force against the proposal. */
function LiabilityChart({ report }: { report: BacktestReport }) {
  const { t, fmt } = useApp();
  const money = (minor: number) => fmt.money(minor, report.currency);
  const rows: LiabilityBar[] = [
    { program: t.backtest.current, measure: t.backtest.liabilityNow, value: report.current.liability.value },
    { program: t.backtest.proposed, measure: t.backtest.liabilityNow, value: report.proposed.liability.value },
    { program: t.backtest.current, measure: t.backtest.liabilityNext, value: report.projection.current.pointsIssuedValue },
    { program: t.backtest.proposed, measure: t.backtest.liabilityNext, value: report.projection.proposed.pointsIssuedValue },
  ];
  const draw = (plot: Plot, data: LiabilityBar[], width: number) =>
    plot.plot({
      width,
      height: 260,
      marginLeft: 70,
      style: { fontSize: '12px' },
      fx: { label: null, domain: [t.backtest.liabilityNow, t.backtest.liabilityNext] },
      x: { label: null, axis: null, domain: [t.backtest.current, t.backtest.proposed] },
      y: { label: report.currency, grid: true, tickFormat: (v: number) => fmt.moneyShort(fmt.toMajor(v, report.currency)) },
      color: { domain: [t.backtest.current, t.backtest.proposed], range: ['#8a8f98', '#1f5f5b'], legend: true },
      marks: [
        plot.barY(data, {
          fx: 'measure',
          x: 'program',
          y: 'value',
          fill: 'program',
          title: (d: LiabilityBar) => `${d.program}: ${money(d.value)}`,
        }),
        plot.text(data, {
          fx: 'measure',
          x: 'program',
          y: 'value',
          text: (d: LiabilityBar) => money(d.value),
          dy: -8,
          fill: 'currentColor',
        }),
        plot.ruleY([0]),
      ],
    });
  return <Chart title={t.backtest.liabilityChart} data={rows} draw={draw} />;
}
