import { useApp } from '../app-context.ts';
import type { Holdout, RunModel } from '../types.ts';
import { Chart, type Plot } from './chart.tsx';
import { type Columns, DataTable } from './table.tsx';
import { Facts } from './ui.tsx';

/**
 * The glass box: the CLV model a run fitted (its parameters, or why it fell back to historical
 * averages) and its holdout check — predicted against actual purchases per customer in the last
 * 26 weeks, by how many repeat purchases the customers had made before them.
 */
export function ModelView({ model }: { model: RunModel }) {
  const { t, fmt } = useApp();
  const clv = model.clv;
  if (!clv) return <p class="muted">{t.model.noModel}</p>;
  const fit = clv.fit;
  const digits = (value: number) => fmt.number(value, 4);
  return (
    <div class="model">
      <Facts
        rows={[
          [t.model.kind, fit.model === 'bgnbd-gg' ? t.model.bgnbd : t.model.historical],
          ...(fit.model === 'historical' ? ([[t.model.fallbackReason, fit.reason]] as Array<[string, string]>) : []),
          [t.model.customers, fmt.number(fit.customers)],
          [t.model.repeatCustomers, fmt.number(fit.repeatCustomers)],
        ]}
      />
      {fit.model === 'bgnbd-gg' ? (
        <div class="columns">
          <div>
            <h3>{t.model.purchaseModel}</h3>
            <Facts
              rows={[
                ['r', digits(fit.bgnbd.params.r)],
                ['α', digits(fit.bgnbd.params.alpha)],
                ['a', digits(fit.bgnbd.params.a)],
                ['b', digits(fit.bgnbd.params.b)],
                [t.model.logLikelihood, fmt.number(fit.bgnbd.logLikelihood, 2)],
                [t.model.converged, fit.bgnbd.converged ? t.app.yes : t.app.no],
              ]}
            />
          </div>
          <div>
            <h3>{t.model.spendModel}</h3>
            <Facts
              rows={[
                ['p', digits(fit.gammaGamma.params.p)],
                ['q', digits(fit.gammaGamma.params.q)],
                ['v', digits(fit.gammaGamma.params.v)],
                [t.model.logLikelihood, fmt.number(fit.gammaGamma.logLikelihood, 2)],
                [t.model.converged, fit.gammaGamma.converged ? t.app.yes : t.app.no],
              ]}
            />
          </div>
        </div>
      ) : (
        <Facts
          rows={[
            [t.model.repeatRate, digits(fit.repeatRate)],
            [t.model.meanSpend, fmt.money(fit.meanSpend)],
          ]}
        />
      )}
      <p class="muted">{t.model.horizon(fmt.number(clv.horizon))}</p>
      <h3>{t.model.holdout}</h3>
      {model.holdout ? <HoldoutView holdout={model.holdout} /> : <p class="muted">{t.model.holdoutNone}</p>}
    </div>
  );
}

interface BucketRow {
  frequency: string;
  customers: number;
  predicted: number;
  actual: number;
}

function HoldoutView({ holdout }: { holdout: Holdout }) {
  const { t, fmt } = useApp();
  const columns: Columns<BucketRow> = [
    { accessorKey: 'frequency', header: t.model.frequency },
    { accessorKey: 'customers', header: t.model.bucketCustomers, cell: (c) => fmt.number(c.getValue<number>()), meta: { numeric: true } },
    { accessorKey: 'predicted', header: t.model.predicted, cell: (c) => fmt.number(c.getValue<number>(), 2), meta: { numeric: true } },
    { accessorKey: 'actual', header: t.model.actual, cell: (c) => fmt.number(c.getValue<number>(), 2), meta: { numeric: true } },
  ];
  const series = { predicted: t.model.predicted, actual: t.model.actual };
  const draw = (plot: Plot, buckets: BucketRow[], width: number) => {
    const rows = buckets.flatMap((b) => [
      { frequency: b.frequency, series: series.predicted, value: b.predicted },
      { frequency: b.frequency, series: series.actual, value: b.actual },
    ]);
    return plot.plot({
      width,
      height: 300,
      marginLeft: 52,
      marginBottom: 44,
      style: { fontSize: '12px' },
      fx: { label: t.model.frequency, domain: buckets.map((b) => b.frequency), axis: 'bottom', padding: 0.15 },
      x: { axis: null, domain: [series.predicted, series.actual], padding: 0.1 },
      y: { label: t.model.perCustomer, grid: true, tickFormat: (v: number) => fmt.number(v, 2) },
      color: { domain: [series.predicted, series.actual], range: ['#9cc5c0', '#1f5f5b'], legend: true },
      marks: [
        plot.barY(rows, {
          fx: 'frequency',
          x: 'series',
          y: 'value',
          fill: 'series',
          title: (d: { series: string; value: number }) => `${d.series}: ${fmt.number(d.value, 2)}`,
        }),
        plot.ruleY([0]),
      ],
    });
  };
  return (
    <>
      <p>{t.model.holdoutIntro(fmt.date(holdout.from), fmt.date(holdout.to))}</p>
      <Facts
        rows={[
          [t.model.bucketCustomers, fmt.number(holdout.customers)],
          [t.model.predictedTotal, fmt.number(holdout.predictedPurchases, 1)],
          [t.model.actualTotal, fmt.number(holdout.actualPurchases)],
          [t.model.mae, fmt.number(holdout.meanAbsoluteError, 3)],
        ]}
      />
      <Chart title={t.model.chartTitle} data={holdout.byFrequency} draw={draw} />
      <DataTable caption={t.model.chartTitle} columns={columns} data={holdout.byFrequency} rowKey={(row) => row.frequency} />
    </>
  );
}
