import { useApp, useResource } from '../app-context.ts';
import { Chart, type Plot } from '../components/chart.tsx';
import { ModelView } from '../components/model.tsx';
import { type Columns, DataTable } from '../components/table.tsx';
import { ErrorNotice, Loading, PageTitle, Section, Stat } from '../components/ui.tsx';
import { listingUnsupported, OVERVIEW_LIST_CAP, recentCustomers } from '../customer-list.ts';
import { rfmName } from '../i18n/index.ts';
import { Link } from '../router.tsx';
import { readRuns } from '../session.ts';
import { tierName } from '../shop.ts';
import type { Liability, ProgramDocument, Run, Segments } from '../types.ts';
import { NoCustomers } from './customers.tsx';

const DAY_MS = 86_400_000;

export function OverviewPage() {
  const { api, t, fmt, shop } = useApp();
  const liability = useResource(() => api.get<Liability>('/v1/loyalty/liability'), []);
  const segments = useResource(() => api.get<Segments>('/v1/segments'), []);
  const program = useResource(() => api.get<ProgramDocument>('/v1/program'), []);
  // A shop small enough is read whole (revenue per segment); a larger one only as far back as 90 days.
  const total = liability.data?.customers;
  const customers = useResource(
    () => (total === undefined ? new Promise<never>(() => undefined) : recentCustomers(api, total <= OVERVIEW_LIST_CAP)),
    [total],
  );
  const runId = readRuns()[0] ?? segments.data?.runId ?? null;
  const run = useResource(() => (runId ? api.get<Run>(`/v1/runs/${runId}`) : Promise.resolve(null)), [runId]);

  if (liability.loading) return <Loading />;
  if (liability.error) return <ErrorNotice error={liability.error} onRetry={liability.reload} />;
  const owed = liability.data as Liability;

  if (owed.customers === 0) {
    return (
      <>
        <PageTitle>{t.overview.title}</PageTitle>
        <NoCustomers shopId={shop.shopId} />
      </>
    );
  }

  return (
    <>
      <PageTitle>{t.overview.title}</PageTitle>
      <dl class="stats">
        <Stat label={t.overview.customers} value={fmt.number(owed.customers)} />
        <BuyerStats sample={customers.data} error={customers.error} loading={customers.loading} days={30} label={t.overview.buyers30} />
        <BuyerStats sample={customers.data} error={customers.error} loading={customers.loading} days={90} label={t.overview.buyers90} />
        <Stat
          label={t.overview.pointsOutstanding}
          value={fmt.number(owed.points.outstanding)}
          detail={t.overview.pointsDetail(fmt.number(owed.points.pending), fmt.number(owed.points.spendable))}
        />
        <Stat
          label={t.overview.pointsValue}
          value={fmt.moneyOf(owed.value)}
          detail={t.overview.pointsValueDetail(fmt.moneyOf(owed.pointValue))}
        />
      </dl>
      <div class="grid-2">
        <Section title={t.overview.tiers}>
          {segments.error ? (
            <ErrorNotice error={segments.error} />
          ) : !segments.data || program.loading ? (
            <Loading />
          ) : segments.data.runId === null ? (
            <p class="muted">{t.overview.noRun}</p>
          ) : (
            <TierChart segments={segments.data} program={program.data} />
          )}
        </Section>
        <Section title={t.overview.revenue}>
          <RevenueBySegment segments={segments.data} sample={customers} />
        </Section>
      </div>
      <Section title={t.overview.lastRun}>
        {!runId ? (
          <p class="muted">
            {t.overview.noRun} <Link href="/runs">{t.pages.runs}</Link>
          </p>
        ) : run.error ? (
          <ErrorNotice error={run.error} />
        ) : !run.data ? (
          <Loading />
        ) : (
          <>
            <p>
              <Link href={`/runs/${run.data.runId}`}>{run.data.runId}</Link> ·{' '}
              <span class={`badge badge-${run.data.status}`}>{t.runs.statuses[run.data.status] ?? run.data.status}</span> ·{' '}
              {fmt.dateTime(run.data.finishedAt ?? run.data.requestedAt)}
            </p>
            {run.data.model && (
              <>
                <h3>{t.model.title}</h3>
                <p class="muted">{t.model.intro}</p>
                <ModelView model={run.data.model} />
              </>
            )}
          </>
        )}
      </Section>
    </>
  );
}

function BuyerStats({
  sample,
  error,
  loading,
  days,
  label,
}: {
  sample: Awaited<ReturnType<typeof recentCustomers>> | undefined;
  error: unknown;
  loading: boolean;
  days: number;
  label: string;
}) {
  const { t, fmt } = useApp();
  if (loading) return <Stat label={label} value="…" />;
  if (error || !sample) return <Stat label={label} value="—" detail={listingUnsupported(error) ? t.overview.noBuyersData : undefined} />;
  const since = Date.now() - days * DAY_MS;
  const count = sample.rows.filter((row) => row.lastOrderAt && Date.parse(row.lastOrderAt) >= since).length;
  const last = sample.rows.at(-1)?.lastOrderAt;
  const exact = sample.complete || (last !== undefined && last !== null && Date.parse(last) < since);
  return <Stat label={label} value={exact ? fmt.number(count) : t.overview.atLeast(fmt.number(count))} />;
}

interface TierRow {
  id: string;
  name: string;
  customers: number;
}

function TierChart({ segments, program }: { segments: Segments; program: ProgramDocument | undefined }) {
  const { t, fmt, language } = useApp();
  const rows: TierRow[] = segments.segments
    .filter((s) => s.kind === 'tier')
    .map((s) => {
      const id = s.id.slice('tier:'.length);
      return { id, name: tierName(program?.program, id, language), customers: s.customers };
    });
  const draw = (plot: Plot, data: TierRow[], width: number) =>
    plot.plot({
      width,
      height: 240,
      marginLeft: 48,
      style: { fontSize: '12px' },
      x: { label: null, domain: data.map((d) => d.name) },
      y: { label: t.segments.customers, grid: true, tickFormat: (v: number) => fmt.number(v) },
      marks: [
        plot.barY(data, { x: 'name', y: 'customers', fill: '#1f5f5b', title: (d: TierRow) => `${d.name}: ${fmt.number(d.customers)}` }),
        plot.text(data, { x: 'name', y: 'customers', text: (d: TierRow) => fmt.number(d.customers), dy: -8, fill: 'currentColor' }),
        plot.ruleY([0]),
      ],
    });
  const columns: Columns<TierRow> = [
    { accessorKey: 'name', header: t.customers.tier },
    { accessorKey: 'customers', header: t.segments.customers, cell: (c) => fmt.number(c.getValue<number>()), meta: { numeric: true } },
  ];
  return (
    <>
      <p class="muted">{t.overview.tiersCaption(fmt.dateTime(segments.asOf))}</p>
      <Chart title={t.overview.tiers} data={rows} draw={draw} captionHidden />
      <details>
        <summary>{t.overview.tiers}</summary>
        <DataTable caption={t.overview.tiers} columns={columns} data={rows} rowKey={(row) => row.id} />
      </details>
    </>
  );
}

interface RevenueRow {
  segment: string;
  customers: number;
  revenue: number;
}

function RevenueBySegment({
  segments,
  sample,
}: {
  segments: Segments | undefined;
  sample: { data?: Awaited<ReturnType<typeof recentCustomers>> | undefined; error: unknown; loading: boolean };
}) {
  const { t, fmt } = useApp();
  let rows: RevenueRow[] | undefined;
  let note: string | undefined;
  const rfm = segments?.segments.filter((s) => s.kind === 'rfm') ?? [];
  if (rfm.length > 0 && rfm.every((s) => s.revenue)) {
    rows = rfm.map((s) => ({ segment: rfmName(t, s.name), customers: s.customers, revenue: s.revenue?.amount ?? 0 }));
  } else if (sample.loading) {
    return <Loading />;
  } else if (sample.error || !sample.data) {
    return <p class="muted">{listingUnsupported(sample.error) ? t.overview.revenueNeedsList : String(sample.error)}</p>;
  } else if (!sample.data.complete) {
    return <p class="muted">{t.overview.revenueUnavailable}</p>;
  } else {
    const bySegment = new Map<string, RevenueRow>();
    for (const row of sample.data.rows) {
      if (!row.rfmSegment) continue;
      const entry = bySegment.get(row.rfmSegment) ?? { segment: rfmName(t, row.rfmSegment), customers: 0, revenue: 0 };
      entry.customers++;
      entry.revenue += row.totalSpent.amount;
      bySegment.set(row.rfmSegment, entry);
    }
    rows = [...bySegment.values()];
    note = t.overview.revenueFromList(fmt.number(sample.data.rows.length));
  }
  rows = rows.filter((row) => row.customers > 0).sort((a, b) => b.revenue - a.revenue);
  if (rows.length === 0) return <p class="muted">{t.overview.noRun}</p>;
  const draw = (plot: Plot, data: RevenueRow[], width: number) =>
    plot.plot({
      width,
      height: 40 + data.length * 28,
      marginLeft: 130,
      marginRight: 24,
      style: { fontSize: '12px' },
      x: { label: null, grid: true, tickFormat: (v: number) => fmt.moneyShort(v), ticks: 4 },
      y: { label: null, domain: data.map((d) => d.segment) },
      marks: [
        plot.barX(data, {
          y: 'segment',
          x: (d: RevenueRow) => fmt.toMajor(d.revenue),
          fill: '#c98b2b',
          title: (d: RevenueRow) => `${d.segment}: ${fmt.money(d.revenue)}`,
        }),
        plot.ruleX([0]),
      ],
    });
  const columns: Columns<RevenueRow> = [
    { accessorKey: 'segment', header: t.segments.segment },
    { accessorKey: 'customers', header: t.segments.customers, cell: (c) => fmt.number(c.getValue<number>()), meta: { numeric: true } },
    { accessorKey: 'revenue', header: t.segments.revenue, cell: (c) => fmt.money(c.getValue<number>()), meta: { numeric: true } },
  ];
  return (
    <>
      {note && <p class="muted">{note}</p>}
      <Chart title={t.overview.revenue} data={rows} draw={draw} captionHidden />
      <details>
        <summary>{t.overview.revenue}</summary>
        <DataTable caption={t.overview.revenue} columns={columns} data={rows} rowKey={(row) => row.segment} />
      </details>
    </>
  );
}
