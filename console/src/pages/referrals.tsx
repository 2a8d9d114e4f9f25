import { useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import { useApp, useResource } from '../app-context.ts';
import { ErrorNotice, Field, Loading, Pager, PageTitle, Section } from '../components/ui.tsx';
import { Link, navigate, useLocation } from '../router.tsx';
import type { ReferralView, ReferrerSummary } from '../types.ts';

/**
 * Referrals (GET /v1/referrals?referrer=&limit=&cursor=): each friend's one referral — who referred
 * them, the order and the revenue it brought, the status and why — newest first, a page at a time;
 * the page's referrers summed above it. The URL holds the referrer filter (?referrer=c_…), so the
 * customer page can link to one customer's friends and a reload shows the same list.
 */

type Status = ReferralView['status'];
type GivenReward = NonNullable<ReferralView['friendReward']>;

/** GET /v1/referrals: a page of referrals, the page's referrers summed, and the next page's cursor. */
interface ReferralsPage {
  items: ReferralView[];
  referrers: ReferrerSummary[];
  cursor?: string;
}

const PAGE_SIZE = 50;

const STATUS_BADGE: Record<Status, string> = {
  attributed: 'badge badge-queued',
  approved: 'badge badge-sent',
  rejected: 'badge badge-failed',
};

export function ReferralsPage() {
  const { api, t } = useApp();
  const r = t.referrals;
  const { search } = useLocation();
  const referrer = search.get('referrer') ?? '';
  const [draft, setDraft] = useState(referrer);
  // Cursors of the pages before this one: "Next page" pushes, "First page" clears.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const list = useResource(
    () => api.get<ReferralsPage>('/v1/referrals', { limit: PAGE_SIZE, referrer: referrer || undefined, cursor }),
    [referrer, cursor],
  );
  const filterTo = (next: string) => {
    setCursors([]);
    setDraft(next);
    navigate(next ? `/referrals?referrer=${encodeURIComponent(next)}` : '/referrals', { replace: true });
  };
  // A mistyped id is the API's 400 on `referrer`: shown at the input, not as a page failure.
  const refused =
    list.error instanceof ApiError && list.error.status === 400 && (list.error.field ?? '').endsWith('referrer') ? list.error : null;

  return (
    <>
      <PageTitle>{t.pages.referrals}</PageTitle>
      <form
        class="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          filterTo(draft.trim());
        }}
      >
        <Field label={r.referrer} hint={r.referrerHint} error={refused?.message}>
          {(props) => (
            <input {...props} name="referrer" value={draft} placeholder="c_…" onInput={(event) => setDraft(event.currentTarget.value)} />
          )}
        </Field>
        <button type="submit">{r.filter}</button>
        {referrer && (
          <button type="button" class="button-secondary" onClick={() => filterTo('')}>
            {r.everyone}
          </button>
        )}
      </form>
      {list.loading && !list.data ? (
        <Loading />
      ) : refused ? null : list.error ? (
        <ErrorNotice error={list.error} route="GET /v1/referrals" onRetry={list.reload} />
      ) : list.data && list.data.items.length === 0 ? (
        <p class="muted">{referrer ? r.noneFor : r.none}</p>
      ) : (
        list.data && (
          <>
            <Referrers referrers={list.data.referrers} onFilter={filterTo} />
            <Referrals items={list.data.items} />
            <Pager cursors={cursors} next={list.data.cursor} onChange={setCursors} />
          </>
        )
      )}
    </>
  );
}

function Referrers({ referrers, onFilter }: { referrers: ReferrerSummary[]; onFilter(customerId: string): void }) {
  const { t, fmt } = useApp();
  const r = t.referrals;
  return (
    <Section title={r.referrersTitle} intro={r.referrersIntro}>
      <table class="table">
        <thead>
          <tr>
            <th scope="col">{r.referrer}</th>
            <th scope="col" class="num">
              {r.friends}
            </th>
            <th scope="col" class="num">
              {r.statuses.attributed}
            </th>
            <th scope="col" class="num">
              {r.statuses.approved}
            </th>
            <th scope="col" class="num">
              {r.statuses.rejected}
            </th>
            <th scope="col" class="num">
              {r.revenue}
            </th>
            <th scope="col">
              <span class="visually-hidden">{r.onlyTheirs}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {referrers.map((referrer) => (
            <tr key={referrer.customerId}>
              <td>
                <Link href={`/customers/${referrer.customerId}`}>{referrer.name || referrer.customerId}</Link>
              </td>
              <td class="num">{fmt.number(referrer.friends)}</td>
              <td class="num">{fmt.number(referrer.attributed)}</td>
              <td class="num">{fmt.number(referrer.approved)}</td>
              <td class="num">{fmt.number(referrer.rejected)}</td>
              <td class="num">{fmt.moneyOf(referrer.revenue)}</td>
              <td>
                <button type="button" class="button-secondary" onClick={() => onFilter(referrer.customerId)}>
                  {r.theirFriends}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function Referrals({ items }: { items: ReferralView[] }) {
  const { t, fmt } = useApp();
  const r = t.referrals;
  const reward = (given: GivenReward | undefined) =>
    given === undefined ? '—' : 'points' in given ? r.points(fmt.number(given.points)) : `${given.rewardId} · ${given.code}`;
  return (
    <Section title={r.listTitle} intro={r.intro}>
      <table class="table">
        <thead>
          <tr>
            <th scope="col">{r.friend}</th>
            <th scope="col">{r.referrer}</th>
            <th scope="col">{r.order}</th>
            <th scope="col" class="num">
              {r.revenue}
            </th>
            <th scope="col">{r.status}</th>
            <th scope="col">{r.rewards}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((referral) => (
            <tr key={referral.friend.customerId}>
              <td>
                <Link href={`/customers/${referral.friend.customerId}`}>{referral.friend.name || referral.friend.customerId}</Link>
              </td>
              <td>
                <Link href={`/customers/${referral.referrer.customerId}`}>{referral.referrer.name || referral.referrer.customerId}</Link>
                <span class="cell-detail">{`${referral.code} · ${r.via[referral.via]}`}</span>
              </td>
              <td>
                {referral.orderId}
                <span class="cell-detail">{fmt.dateTime(referral.orderAt)}</span>
              </td>
              <td class="num">{fmt.moneyOf(referral.revenue)}</td>
              <td>
                <span class={STATUS_BADGE[referral.status]}>{r.statuses[referral.status]}</span>
                {referral.reason && <span class="cell-detail">{r.reasons[referral.reason] ?? referral.reason}</span>}
                {referral.status === 'attributed' && referral.dueAt && <span class="cell-detail">{r.dueAt(fmt.date(referral.dueAt))}</span>}
                {referral.status !== 'attributed' && referral.decidedAt && <span class="cell-detail">{fmt.date(referral.decidedAt)}</span>}
              </td>
              <td>
                <span>{`${r.friendGot}: ${reward(referral.friendReward)}`}</span>
                <span class="cell-detail">{`${r.referrerGot}: ${reward(referral.referrerReward)}`}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
