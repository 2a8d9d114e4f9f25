import { useEffect, useState } from 'preact/hooks';
import { useApp, useResource } from '../app-context.ts';
import { ModelView } from '../components/model.tsx';
import { type Columns, DataTable } from '../components/table.tsx';
import { ErrorNotice, Facts, Field, Loading, PageTitle, Section } from '../components/ui.tsx';
import { Link, navigate } from '../router.tsx';
import { readRuns, rememberRun } from '../session.ts';
import type { Run, Segments } from '../types.ts';

const POLL_MS = 1000;
const DONE = new Set(['succeeded', 'failed']);

export function RunsPage({ params }: { params: Record<string, string> }) {
  const { api, t } = useApp();
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<unknown>(null);
  const [openId, setOpenId] = useState('');
  const segments = useResource(() => api.get<Segments>('/v1/segments'), []);
  const runId = params.runId;
  const started = readRuns();
  const lastFinished = segments.data?.runId ?? null;

  const start = async () => {
    setStarting(true);
    setStartError(null);
    try {
      const answer = await api.send<{ runId: string }>('POST', '/v1/runs');
      rememberRun(answer.runId);
      navigate(`/runs/${answer.runId}`);
    } catch (error) {
      setStartError(error);
    } finally {
      setStarting(false);
    }
  };

  return (
    <>
      <PageTitle
        actions={
          <button type="button" onClick={start} disabled={starting}>
            {starting ? t.runs.starting : t.runs.start}
          </button>
        }
      >
        {t.runs.title}
      </PageTitle>
      <p class="muted">{t.runs.intro}</p>
      {startError ? <ErrorNotice error={startError} /> : null}
      {runId && <RunView key={runId} runId={runId} />}
      <div class="grid-2">
        <Section title={t.runs.recent}>
          {started.length === 0 ? (
            <p class="muted">{t.runs.none}</p>
          ) : (
            <ul class="plain-list">
              {started.map((id) => (
                <li key={id}>
                  <Link href={`/runs/${id}`} class="mono" aria-current={id === runId ? 'page' : undefined}>
                    {id}
                  </Link>
                </li>
              ))}
            </ul>
          )}
          {lastFinished && (
            <p>
              {t.runs.lastFinished}:{' '}
              <Link href={`/runs/${lastFinished}`} class="mono">
                {lastFinished}
              </Link>
            </p>
          )}
        </Section>
        <Section title={t.runs.open}>
          <form
            class="toolbar"
            onSubmit={(event) => {
              event.preventDefault();
              if (openId.trim()) navigate(`/runs/${encodeURIComponent(openId.trim())}`);
            }}
          >
            <Field label={t.runs.runId}>
              {(props) => <input {...props} class="mono" value={openId} onInput={(e) => setOpenId(e.currentTarget.value)} />}
            </Field>
            <button type="submit" class="button-secondary">
              {t.runs.openButton}
            </button>
          </form>
        </Section>
      </div>
    </>
  );
}

/** One run, polled every second until it has finished. */
function RunView({ runId }: { runId: string }) {
  const { api, t, fmt } = useApp();
  const run = useResource(() => api.get<Run>(`/v1/runs/${encodeURIComponent(runId)}`), [runId]);
  const status = run.data?.status;
  useEffect(() => {
    if (!status || DONE.has(status)) return;
    const timer = window.setTimeout(run.reload, POLL_MS);
    return () => window.clearTimeout(timer);
  }, [run.data, status, run.reload]);

  if (run.loading && !run.data) return <Loading />;
  if (run.error && !run.data) return <ErrorNotice error={run.error} onRetry={run.reload} />;
  const r = run.data as Run;
  const progress = r.progress;
  const fraction = progress.shards ? progress.shardsDone / progress.shards : 0;
  const totals = Object.entries(r.totals ?? {}).filter(([, value]) => typeof value === 'number' || typeof value === 'boolean');
  const columns: Columns<[string, unknown]> = [
    { id: 'counter', header: t.runs.counter, accessorFn: ([name]) => name, cell: (c) => <code>{c.getValue<string>()}</code> },
    {
      id: 'value',
      header: t.runs.value,
      accessorFn: ([, value]) => value,
      cell: (c) => {
        const value = c.getValue<unknown>();
        return typeof value === 'number' ? fmt.number(value) : value ? t.app.yes : t.app.no;
      },
      meta: { numeric: true },
    },
  ];
  return (
    <Section title={t.runs.run(r.runId)}>
      <Facts
        rows={[
          [t.runs.status, <span class={`badge badge-${r.status}`}>{t.runs.statuses[r.status] ?? r.status}</span>],
          [t.runs.requested, fmt.dateTime(r.requestedAt)],
          [t.runs.finished, fmt.dateTime(r.finishedAt)],
          ...(r.error ? ([[t.runs.error, r.error]] as Array<[string, string]>) : []),
        ]}
      />
      <div class="progress-block">
        <label>
          {t.runs.progress}
          <progress max={1} value={r.status === 'succeeded' ? 1 : fraction} />
        </label>
        <p class="muted" aria-live="polite">
          {t.runs.shards(fmt.number(progress.shardsDone), fmt.number(progress.shards))}
          {progress.customers !== null && ` · ${t.runs.customersRead(fmt.number(progress.customersRead), fmt.number(progress.customers))}`}
          {!DONE.has(r.status) && ` · ${t.runs.watching}`}
        </p>
      </div>
      {totals.length > 0 && (
        <>
          <h3>{t.runs.totals}</h3>
          <DataTable caption={t.runs.totals} columns={columns} data={totals} rowKey={([name]) => name} />
        </>
      )}
      {r.model && (
        <>
          <h3>{t.model.title}</h3>
          <ModelView model={r.model} />
        </>
      )}
    </Section>
  );
}
