import type { SortingState } from '@tanstack/table-core';
import { useState } from 'preact/hooks';
import { useApp, useResource } from '../app-context.ts';
import { type Columns, DataTable } from '../components/table.tsx';
import { ErrorNotice, Field, Loading, Pager, PageTitle, Section } from '../components/ui.tsx';
import { listCustomers, listingUnsupported } from '../customer-list.ts';
import { rfmName } from '../i18n/index.ts';
import { Link, navigate, useLocation } from '../router.tsx';
import { tierName } from '../shop.ts';
import type { CustomerRow, Page, Profile, ProgramDocument } from '../types.ts';

const SORTS = ['lastOrderAt', 'totalSpent', 'clv'] as const;
type Sort = (typeof SORTS)[number];
const PAGE_SIZE = 25;

/** Search and list; the URL holds the search and sort (?q=&sort=), so a reload or a shared link shows the same list. */
export function CustomersPage() {
  const { api, t, fmt, language, shop } = useApp();
  const { search } = useLocation();
  const q = search.get('q') ?? '';
  const sort: Sort = (SORTS as readonly string[]).includes(search.get('sort') ?? '') ? (search.get('sort') as Sort) : 'lastOrderAt';
  const [draft, setDraft] = useState(q);
  // Cursors of the pages before this one: "Next page" pushes, "First page" clears.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  // The API ranks a search by itself: a sort with a query is a 400 (shared/use-cases/list-customers.ts).
  const list = useResource(
    () => listCustomers(api, q ? { limit: PAGE_SIZE, q, cursor } : { limit: PAGE_SIZE, sort, cursor }),
    [q, sort, cursor],
  );
  const program = useResource(() => api.get<ProgramDocument>('/v1/program'), []);

  const go = (next: { q?: string; sort?: Sort }) => {
    const params = new URLSearchParams();
    const nq = next.q ?? q;
    const ns = next.sort ?? sort;
    if (nq) params.set('q', nq);
    if (ns !== 'lastOrderAt') params.set('sort', ns);
    setCursors([]);
    navigate(`/customers${params.size ? `?${params}` : ''}`, { replace: true });
  };

  const columns: Columns<CustomerRow> = [
    {
      id: 'name',
      header: `${t.customers.name} · ${t.customers.email}`,
      accessorFn: (row) => row.name ?? row.email ?? row.customerId,
      cell: (c) => {
        const row = c.row.original;
        return (
          <>
            <Link href={`/customers/${row.customerId}`}>{row.name || row.email || t.customers.unnamed}</Link>
            {row.name && row.email && <span class="cell-detail">{row.email}</span>}
          </>
        );
      },
      enableSorting: false,
    },
    {
      accessorKey: 'tier',
      header: t.customers.tier,
      cell: (c) => tierName(program.data?.program, c.getValue<string | null>(), language),
      enableSorting: false,
    },
    {
      accessorKey: 'pointsBalance',
      header: t.customers.points,
      cell: (c) => fmt.number(c.getValue<number>()),
      meta: { numeric: true },
      enableSorting: false,
    },
    {
      id: 'totalSpent',
      accessorFn: (row) => row.totalSpent.amount,
      header: t.customers.spent,
      cell: (c) => fmt.moneyOf(c.row.original.totalSpent),
      meta: { numeric: true },
    },
    {
      accessorKey: 'orderCount',
      header: t.customers.orders,
      cell: (c) => fmt.number(c.getValue<number>()),
      meta: { numeric: true },
      enableSorting: false,
    },
    { accessorKey: 'lastOrderAt', header: t.customers.lastOrder, cell: (c) => fmt.date(c.getValue<string | null>()) },
    { accessorKey: 'clv', header: t.customers.clv, cell: (c) => fmt.money(c.getValue<number | null>()), meta: { numeric: true } },
    { accessorKey: 'rfmSegment', header: t.customers.segment, cell: (c) => rfmName(t, c.getValue<string | null>()), enableSorting: false },
  ];
  const sorting: SortingState = [{ id: sort, desc: true }];

  if (list.error && listingUnsupported(list.error)) {
    return (
      <>
        <PageTitle>{t.customers.title}</PageTitle>
        <Lookup />
      </>
    );
  }

  return (
    <>
      <PageTitle>{t.customers.title}</PageTitle>
      <form
        class="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          go({ q: draft.trim() });
        }}
      >
        <Field label={t.customers.search} hint={t.customers.searchHint}>
          {(props) => <input {...props} type="search" value={draft} onInput={(event) => setDraft(event.currentTarget.value)} />}
        </Field>
        <button type="submit">{t.customers.searchButton}</button>
        <Field label={t.customers.sort}>
          {(props) => (
            <select {...props} value={sort} onChange={(event) => go({ sort: event.currentTarget.value as Sort })}>
              <option value="lastOrderAt">{t.customers.sortLastOrder}</option>
              <option value="totalSpent">{t.customers.sortSpent}</option>
              <option value="clv">{t.customers.sortClv}</option>
            </select>
          )}
        </Field>
      </form>
      {list.loading && !list.data ? (
        <Loading />
      ) : list.error ? (
        <ErrorNotice error={list.error} onRetry={list.reload} />
      ) : list.data && list.data.items.length === 0 ? (
        q ? (
          <p class="notice">{t.customers.noMatch}</p>
        ) : (
          <NoCustomers shopId={shop.shopId} />
        )
      ) : (
        list.data && (
          <>
            <section class="card" aria-label={t.customers.caption}>
              <DataTable
                caption={t.customers.caption}
                columns={columns}
                data={list.data.items}
                sort="server"
                sorting={sorting}
                onSortingChange={(next) => {
                  const id = next[0]?.id as Sort | undefined;
                  if (id && (SORTS as readonly string[]).includes(id)) go({ sort: id });
                }}
                rowKey={(row) => row.customerId}
              />
            </section>
            <Pager cursors={cursors} next={list.data.cursor} onChange={setCursors} />
          </>
        )
      )}
    </>
  );
}

export function NoCustomers({ shopId }: { shopId: string }) {
  const { t } = useApp();
  return (
    <section class="card empty" aria-labelledby="no-customers">
      <h2 id="no-customers">{t.overview.emptyTitle}</h2>
      <p>{t.overview.emptyText}</p>
      <p>
        <Link href="/settings">{t.overview.emptyConnect}</Link> {t.overview.emptyImport}
      </p>
      <pre>
        <code>npx rapport import --shop {shopId} orders.csv</code>
      </pre>
    </section>
  );
}

/** Before the list route exists: the exact lookup every server has (?email= / ?phone= / ?externalId=). */
function Lookup() {
  const { api, t } = useApp();
  const [by, setBy] = useState<'email' | 'phone' | 'externalId'>('email');
  const [value, setValue] = useState('');
  const [result, setResult] = useState<{ items: Profile[] } | { error: unknown } | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      setResult(await api.get<Page<Profile>>('/v1/customers', { [by]: value.trim() }));
    } catch (error) {
      setResult({ error });
    }
  };
  return (
    <Section title={t.customers.lookupTitle} intro={t.customers.lookupIntro}>
      <form class="toolbar" onSubmit={submit}>
        <Field label={t.customers.lookupBy}>
          {(props) => (
            <select {...props} value={by} onChange={(event) => setBy(event.currentTarget.value as typeof by)}>
              <option value="email">{t.customers.byEmail}</option>
              <option value="phone">{t.customers.byPhone}</option>
              <option value="externalId">{t.customers.byExternalId}</option>
            </select>
          )}
        </Field>
        <Field label={t.customers.lookupValue}>
          {(props) => <input {...props} value={value} onInput={(event) => setValue(event.currentTarget.value)} />}
        </Field>
        <button type="submit">{t.customers.lookupButton}</button>
      </form>
      {result && 'error' in result && <ErrorNotice error={result.error} />}
      {result &&
        'items' in result &&
        (result.items.length === 0 ? (
          <p class="notice">{t.customers.noMatch}</p>
        ) : (
          <ul class="plain-list">
            {result.items.map((profile) => (
              <li key={profile.customerId}>
                <Link href={`/customers/${profile.customerId}`}>{profile.name || profile.email || profile.customerId}</Link>{' '}
                <span class="muted">{profile.customerId}</span>
              </li>
            ))}
          </ul>
        ))}
    </Section>
  );
}
