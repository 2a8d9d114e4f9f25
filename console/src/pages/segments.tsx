import { useState } from 'preact/hooks';
import { ApiError, download, isMissingRoute } from '../api.ts';
import { useApp, useResource } from '../app-context.ts';
import { type Columns, DataTable } from '../components/table.tsx';
import { ErrorNotice, Loading, Pager, PageTitle, Section } from '../components/ui.tsx';
import { rfmName } from '../i18n/index.ts';
import { Link } from '../router.tsx';
import { tierName } from '../shop.ts';
import type { Page, Profile, ProgramDocument, Segment, SegmentMember, Segments } from '../types.ts';

/** The RFM segments in the order of the rfm 0.3.0 scheme (DESIGN §6), best customers first. */
const RFM_ORDER = [
  'Champions',
  'Loyal Customers',
  'Potential Loyalist',
  'New Customers',
  'Promising',
  'Need Attention',
  'About To Sleep',
  'At Risk',
  "Can't Lose Them",
  'Lost',
  'Others',
];

export function SegmentsPage() {
  const { api, t, fmt, language } = useApp();
  const segments = useResource(() => api.get<Segments>('/v1/segments'), []);
  const program = useResource(() => api.get<ProgramDocument>('/v1/program'), []);
  if (segments.loading) return <Loading />;
  if (segments.error || !segments.data) return <ErrorNotice error={segments.error} onRetry={segments.reload} />;
  const data = segments.data;
  const rfm = data.segments.filter((s) => s.kind === 'rfm').sort((a, b) => RFM_ORDER.indexOf(a.name) - RFM_ORDER.indexOf(b.name));
  const scored = rfm.reduce((sum, s) => sum + s.customers, 0);
  const tiers = data.segments
    .filter((s) => s.kind === 'tier')
    .map((s) => ({ ...s, name: tierName(program.data?.program, s.id.slice(5), language) }));
  const rules = data.segments.filter((s) => s.kind === 'rule');
  const withRevenue = data.segments.some((s) => s.revenue);

  const columnsFor = (first: string): Columns<Segment> => [
    {
      accessorKey: 'name',
      header: first,
      cell: (c) => <Link href={`/segments/${encodeURIComponent(c.row.original.id)}`}>{c.getValue<string>()}</Link>,
    },
    { accessorKey: 'customers', header: t.segments.customers, cell: (c) => fmt.number(c.getValue<number>()), meta: { numeric: true } },
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
          {rules.length === 0 ? (
            <p class="muted">
              {t.segments.rulesEmpty} <Link href="/program">{t.pages.program}</Link>
            </p>
          ) : (
            <DataTable
              caption={t.segments.rules}
              columns={columnsFor(t.segments.segment)}
              data={rules}
              sort="client"
              rowKey={(s) => s.id}
            />
          )}
        </Section>
      </div>
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
