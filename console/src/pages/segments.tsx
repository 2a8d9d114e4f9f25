import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, download, isMissingRoute } from '../api.ts';
import { useApp, useResource } from '../app-context.ts';
import { awaitsRun, CountNow, forgetSaved, useCounting } from '../components/segment-count.tsx';
import { RFM_SEGMENTS, ruleSegmentsOf, withSegment } from '../components/segment-rule.ts';
import { type Columns, DataTable } from '../components/table.tsx';
import { Dialog, ErrorNotice, Loading, Pager, PageTitle, Section } from '../components/ui.tsx';
import { rfmName } from '../i18n/index.ts';
import { Link, navigate, useLocation } from '../router.tsx';
import { tierName } from '../shop.ts';
import type { DiffLine, Page, Profile, ProgramDocument, Segment, SegmentMember, Segments } from '../types.ts';
import { DiffTable } from './program.tsx';
import { SegmentEditorPage } from './segment-editor.tsx';

/**
 * /segments: the RFM grid, the tiers and the rule segments, with their counts as of the last run;
 * /segments?new and /segments?edit={id}: a rule segment's editor (segment-editor.tsx), on the same
 * route so the page's links and the Segments navigation stay as they are.
 */
export function SegmentsPage() {
  const { search } = useLocation();
  const editing = search.get('edit');
  const mode = editing !== null ? `edit:${editing}` : search.has('new') ? 'new' : 'list';
  // A switch between the list and the editor is a new page to the eye: its heading takes the focus, as after a navigation.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.querySelector<HTMLElement>('main h1')?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [mode]);
  return mode === 'list' ? <SegmentsList /> : <SegmentEditorPage key={mode} segmentId={editing} />;
}

type Deleted = { name: string; version: number; changes: DiffLine[] };

function SegmentsList() {
  const { api, t, fmt, language } = useApp();
  const segments = useResource(() => api.get<Segments>('/v1/segments'), []);
  const program = useResource(() => api.get<ProgramDocument>('/v1/program'), []);
  const counting = useCounting(segments.reload);
  const [deleting, setDeleting] = useState<Segment | null>(null);
  const [deleted, setDeleted] = useState<Deleted | null>(null);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (segments.loading && !segments.data) return <Loading />;
  if (segments.error || !segments.data) return <ErrorNotice error={segments.error} onRetry={segments.reload} />;
  const data = segments.data;
  const rfm = data.segments
    .filter((s) => s.kind === 'rfm')
    .sort((a, b) => RFM_SEGMENTS.indexOf(a.name as never) - RFM_SEGMENTS.indexOf(b.name as never));
  const scored = rfm.reduce((sum, s) => sum + s.customers, 0);
  const tiers = data.segments
    .filter((s) => s.kind === 'tier')
    .map((s) => ({ ...s, name: tierName(program.data?.program, s.id.slice(5), language) }));
  // The program says which rule segments there are (GET /v1/segments reads a cached program and may
  // not list one saved a moment ago); the counts are the last run's.
  const rules: Segment[] = program.data
    ? ruleSegmentsOf(program.data.program).map((rule) => {
        const counted = data.segments.find((s) => s.id === `rule:${rule.id}`);
        return { ...counted, id: `rule:${rule.id}`, kind: 'rule', name: rule.name, customers: counted?.customers ?? 0 };
      })
    : data.segments.filter((s) => s.kind === 'rule');
  const withRevenue = data.segments.some((s) => s.revenue);
  const ruleId = (segment: Segment) => segment.id.slice('rule:'.length);
  const pending = rules.filter((s) => awaitsRun(ruleId(s), data));

  /** Deleting is saving the program without the segment, from the version this page loaded. */
  const remove = async (event: Event) => {
    event.preventDefault();
    const doc = program.data;
    if (!deleting || !doc) return;
    setBusy(true);
    setDeleteError(null);
    try {
      const index = ruleSegmentsOf(doc.program).findIndex((s) => s.id === ruleId(deleting));
      const answer = await api.send<ProgramDocument & { changes: DiffLine[] }>('PUT', '/v1/program', {
        body: { version: doc.version, program: index === -1 ? doc.program : withSegment(doc.program, index, null) },
      });
      forgetSaved(ruleId(deleting));
      setDeleted({ name: deleting.name, version: answer.version, changes: answer.changes });
      setDeleting(null);
      program.reload();
      segments.reload();
    } catch (failure) {
      setDeleteError(failure);
    } finally {
      setBusy(false);
    }
  };

  const columnsFor = (first: string): Columns<Segment> => [
    {
      accessorKey: 'name',
      header: first,
      cell: (c) => <Link href={`/segments/${encodeURIComponent(c.row.original.id)}`}>{c.getValue<string>()}</Link>,
    },
    {
      accessorKey: 'customers',
      header: t.segments.customers,
      cell: (c) =>
        c.row.original.kind === 'rule' && awaitsRun(ruleId(c.row.original), data) ? (
          <span class="muted">{t.segments.pending}</span>
        ) : (
          fmt.number(c.getValue<number>())
        ),
      meta: { numeric: true },
    },
    ...(withRevenue
      ? ([
          {
            id: 'revenue',
            header: t.segments.revenue,
            accessorFn: (s: Segment) => s.revenue?.amount ?? 0,
            cell: (c) => fmt.moneyOf(c.row.original.revenue),
            meta: { numeric: true },
          },
        ] as Columns<Segment>)
      : []),
  ];
  const ruleColumns: Columns<Segment> = [
    ...columnsFor(t.segments.segment),
    {
      id: 'actions',
      header: t.segments.actions,
      enableSorting: false,
      cell: (c) => (
        <span class="row-actions">
          <Link href={`/segments?edit=${encodeURIComponent(ruleId(c.row.original))}`} aria-label={t.segments.edit(c.row.original.name)}>
            {t.segments.editShort}
          </Link>
          <button
            type="button"
            class="button-link button-link-danger"
            aria-label={t.segments.delete(c.row.original.name)}
            onClick={() => {
              setDeleteError(null);
              setDeleting(c.row.original);
            }}
          >
            {t.segments.deleteShort}
          </button>
        </span>
      ),
    },
  ];

  return (
    <>
      <PageTitle>{t.segments.title}</PageTitle>
      {data.runId ? <p class="muted">{t.segments.asOf(fmt.dateTime(data.asOf), data.runId)}</p> : <p class="notice">{t.segments.noRun}</p>}
      <Section title={t.segments.rfm} intro={t.segments.rfmIntro}>
        <ul class="rfm-grid">
          {rfm.map((s) => (
            <li
              key={s.id}
              class={s.customers === 0 ? 'rfm-cell rfm-empty' : 'rfm-cell'}
              style={{ '--share': scored ? s.customers / scored : 0 }}
            >
              <Link href={`/segments/${encodeURIComponent(s.id)}`}>
                <span class="rfm-name">{rfmName(t, s.name)}</span>
                <span class="rfm-count">{fmt.number(s.customers)}</span>
                <span class="rfm-share">
                  {fmt.percent(scored ? s.customers / scored : 0)}
                  {s.revenue ? ` · ${fmt.moneyOf(s.revenue)}` : ''}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      </Section>
      <div class="grid-2">
        <Section title={t.segments.tiers}>
          <DataTable caption={t.segments.tiers} columns={columnsFor(t.customers.tier)} data={tiers} rowKey={(s) => s.id} />
        </Section>
        <Section title={t.segments.rules}>
          {deleted && (
            <div class="notice notice-ok" role="status">
              <p>{t.segments.deleted(deleted.name, fmt.number(deleted.version))}</p>
              <h3>{t.program.changes}</h3>
              <DiffTable lines={deleted.changes} caption={t.program.changes} />
            </div>
          )}
          {rules.length === 0 ? (
            <p class="muted">{t.segments.rulesEmpty}</p>
          ) : (
            <DataTable caption={t.segments.rules} columns={ruleColumns} data={rules} sort="client" rowKey={(s) => s.id} />
          )}
          {(pending.length > 0 || counting.watching) && (
            <div class="segment-count">
              <p class="muted">{t.segments.pendingNote}</p>
              <CountNow counting={counting} />
            </div>
          )}
          <div class="button-row">
            <button type="button" onClick={() => navigate('/segments?new')}>
              <span aria-hidden="true">+ </span>
              {t.segments.newSegment}
            </button>
          </div>
        </Section>
      </div>
      <Dialog open={deleting !== null} title={t.segments.deleteTitle} onClose={() => setDeleting(null)}>
        <form onSubmit={remove}>
          <p>{t.segments.deleteText(deleting?.name ?? '')}</p>
          {deleteError ? (
            deleteError instanceof ApiError && deleteError.status === 409 ? (
              <div class="notice notice-error" role="alert">
                <p>{t.program.conflict}</p>
                <button
                  type="button"
                  class="button-secondary"
                  onClick={() => {
                    setDeleting(null);
                    program.reload();
                    segments.reload();
                  }}
                >
                  {t.program.reload}
                </button>
              </div>
            ) : (
              <ErrorNotice error={deleteError} />
            )
          ) : null}
          <div class="button-row">
            <button type="button" class="button-secondary" onClick={() => setDeleting(null)}>
              {t.app.cancel}
            </button>
            <button type="submit" class="button-danger" disabled={busy || !program.data}>
              {t.segments.deleteSubmit}
            </button>
          </div>
        </form>
      </Dialog>
    </>
  );
}

const MEMBERS_PAGE = 25;
/** 1,000 rows a page: a million members at most, far beyond a browser's patience. */
const MAX_CSV_PAGES = 1000;

export function SegmentMembersPage({ params }: { params: Record<string, string> }) {
  const { api, t, fmt, language } = useApp();
  const segmentId = params.segmentId as string;
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const [csvError, setCsvError] = useState<unknown>(null);
  const segments = useResource(() => api.get<Segments>('/v1/segments'), []);
  const program = useResource(() => api.get<ProgramDocument>('/v1/program'), []);
  const members = useResource(async () => {
    const page = await api.get<Page<SegmentMember>>(`/v1/segments/${encodeURIComponent(segmentId)}/customers`, {
      limit: MEMBERS_PAGE,
      cursor,
    });
    // Members are ids; the names come from each profile (a page is 25 reads).
    const profiles = await Promise.all(page.items.map((m) => api.get<Profile>(`/v1/customers/${m.customerId}`).catch(() => undefined)));
    return { ...page, items: page.items.map((m, i) => ({ ...m, profile: profiles[i] })) };
  }, [segmentId, cursor]);
  const segment = segments.data?.segments.find((s) => s.id === segmentId);
  const name =
    segment?.kind === 'tier'
      ? tierName(program.data?.program, segmentId.slice(5), language)
      : segment?.kind === 'rfm'
        ? rfmName(t, segment.name)
        : (segment?.name ?? segmentId);

  /** Every page of the audience file, one after the other (the API names the next in X-Next-Cursor; only the first has the header). */
  const exportCsv = async () => {
    setCsvError(null);
    try {
      let csv = '';
      let cursor: string | undefined;
      for (let page = 0; page === 0 || (cursor && page < MAX_CSV_PAGES); page++) {
        const { text, headers } = await api.raw(`/v1/segments/${encodeURIComponent(segmentId)}/customers`, { format: 'csv', cursor });
        // A server without the CSV export answers JSON (it ignores `format`): say so rather than save JSON as .csv.
        if (!(headers.get('content-type') ?? '').includes('csv'))
          throw new ApiError(404, 'not_found', 'No route for GET /v1/segments/{id}/customers?format=csv');
        csv += text;
        cursor = headers.get('x-next-cursor') ?? undefined;
      }
      download(csv, 'text/csv', `${segmentId.replace(':', '-')}.csv`);
    } catch (error) {
      setCsvError(error);
    }
  };

  type Row = SegmentMember & { profile: Profile | undefined };
  const columns: Columns<Row> = [
    {
      id: 'customer',
      header: t.segments.customer,
      accessorFn: (row) => row.profile?.name ?? row.profile?.email ?? row.customerId,
      cell: (c) => <Link href={`/customers/${c.row.original.customerId}`}>{c.getValue<string>()}</Link>,
    },
    { id: 'email', header: t.customers.email, accessorFn: (row) => row.profile?.email ?? '—' },
    { id: 'spent', header: t.customers.spent, accessorFn: (row) => fmt.moneyOf(row.profile?.totalSpent), meta: { numeric: true } },
    { accessorKey: 'since', header: t.segments.since, cell: (c) => fmt.date(c.getValue<string>()) },
  ];

  return (
    <>
      <p class="breadcrumb">
        <Link href="/segments">← {t.segments.back}</Link>
      </p>
      <PageTitle
        actions={
          <button type="button" class="button-secondary" onClick={exportCsv}>
            {t.segments.exportCsv}
          </button>
        }
      >
        {t.segments.membersOf(name)}
      </PageTitle>
      {csvError ? isMissingRoute(csvError) ? <p class="notice">{t.segments.csvMissing}</p> : <ErrorNotice error={csvError} /> : null}
      {members.loading && !members.data ? (
        <Loading />
      ) : members.error ? (
        <ErrorNotice error={members.error} onRetry={members.reload} />
      ) : members.data && members.data.items.length === 0 ? (
        <p class="muted">{t.segments.membersEmpty}</p>
      ) : (
        members.data && (
          <>
            <section class="card" aria-label={t.segments.membersOf(name)}>
              <DataTable
                caption={t.segments.membersOf(name)}
                columns={columns}
                data={members.data.items}
                rowKey={(row) => row.customerId}
              />
            </section>
            <Pager cursors={cursors} next={members.data.cursor} onChange={setCursors} />
          </>
        )
      )}
    </>
  );
}
