import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { ApiError, download } from '../api.ts';
import { useApp, useResource } from '../app-context.ts';
import { type Columns, DataTable } from '../components/table.tsx';
import { Dialog, ErrorNotice, Facts, Field, Loading, PageTitle, Section } from '../components/ui.tsx';
import type { Formatters } from '../format.ts';
import { type Messages, rfmName } from '../i18n/index.ts';
import { Link } from '../router.tsx';
import { tierName } from '../shop.ts';
import { TRIGGERS } from '../triggers.ts';
import type { LedgerEntry, Money, Page, Profile, ProgramDocument, TimelineEntry } from '../types.ts';

export function CustomerPage({ params }: { params: Record<string, string> }) {
  const { api, t, fmt, language } = useApp();
  const id = params.customerId as string;
  const path = `/v1/customers/${encodeURIComponent(id)}`;
  const profile = useResource(() => api.get<Profile>(path), [path]);
  const program = useResource(() => api.get<ProgramDocument>('/v1/program'), []);
  // Ledger and timeline are read again from their first page after an action changes them.
  const [recordsVersion, setRecordsVersion] = useState(0);

  const refresh = () => {
    profile.reload();
    setRecordsVersion((n) => n + 1);
  };

  if (profile.loading && !profile.data) return <Loading />;
  if (profile.error || !profile.data) {
    return (
      <>
        <PageTitle>{id}</PageTitle>
        {profile.error instanceof ApiError && profile.error.status === 404 ? (
          <p class="notice">{t.customer.notFound}</p>
        ) : (
          <ErrorNotice error={profile.error} onRetry={profile.reload} />
        )}
        <p>
          <Link href="/customers">← {t.customer.back}</Link>
        </p>
      </>
    );
  }
  const p = profile.data;
  const tier = (tierId: string | null) => tierName(program.data?.program, tierId, language);
  return (
    <>
      <p class="breadcrumb">
        <Link href="/customers">← {t.customer.back}</Link>
      </p>
      <PageTitle>{p.name || p.email || p.customerId}</PageTitle>
      <p class="muted mono">{p.customerId}</p>
      {p.erasedAt && <p class="notice">{t.customer.erased(fmt.dateTime(p.erasedAt))}</p>}
      <div class="grid-2">
        <Section title={t.customer.profile}>
          <Facts
            rows={[
              [t.customers.email, p.email ?? '—'],
              [t.customers.phone, p.phone ?? '—'],
              [t.customer.locale, p.locale ?? '—'],
              [t.customer.consent, t.customer.consentValues[p.consent.email] ?? p.consent.email],
              [t.customer.birthday, p.birthday ?? '—'],
              [t.customer.place, [p.city, p.country].filter(Boolean).join(', ') || '—'],
              [t.customer.since, fmt.date(p.createdAt)],
              [t.customer.orders, fmt.number(p.orderCount)],
              [t.customer.spent, fmt.moneyOf(p.totalSpent)],
              [t.customer.refunded, fmt.moneyOf(p.refunded)],
              [t.customer.firstOrder, fmt.date(p.firstOrderAt)],
              [t.customer.lastOrder, fmt.date(p.lastOrderAt)],
            ]}
          />
        </Section>
        <div>
          <Section title={t.customer.loyalty}>
            <Facts
              rows={[
                [t.customer.tier, tier(p.tier)],
                [t.customer.balance, fmt.number(p.points.balance)],
                [t.customer.lifetime, fmt.number(p.points.lifetime)],
              ]}
            />
          </Section>
          <Section title={t.customer.analytics}>
            {p.rfm || p.clv ? (
              <Facts
                rows={[
                  [t.customer.rfm, p.rfm ? `${p.rfm.r} / ${p.rfm.f} / ${p.rfm.m}` : '—'],
                  [t.customer.rfmSegment, rfmName(t, p.rfm?.segment)],
                  [t.customer.pAlive, fmt.percent(p.clv?.pAlive)],
                  [t.customer.expectedPurchases, fmt.number(p.clv?.expectedPurchases12m, 2)],
                  [t.customer.expectedValue, fmt.money(p.clv?.expectedValue12m)],
                  [t.customer.clvModel, p.clv?.model ?? '—'],
                  [t.customer.segmentsList, p.segments.length ? p.segments.join(', ') : t.app.none],
                  [t.customer.nps, fmt.number(p.feedback?.nps)],
                ]}
              />
            ) : (
              <p class="muted">{t.customer.notScored}</p>
            )}
          </Section>
        </div>
      </div>
      <div class="grid-2">
        <AdjustPoints customerId={p.customerId} onDone={refresh} />
        <TierOverride customerId={p.customerId} current={p.tier} program={program.data} onDone={refresh} />
      </div>
      <EmailPreview customerId={p.customerId} />
      <Privacy profile={p} onErased={refresh} />
      <Ledger key={`ledger-${recordsVersion}`} path={`${path}/ledger`} />
      <Timeline key={`timeline-${recordsVersion}`} path={`${path}/timeline`} tier={tier} />
    </>
  );
}

function AdjustPoints({ customerId, onDone }: { customerId: string; onDone: () => void }) {
  const { api, t, fmt } = useApp();
  const [points, setPoints] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: string } | { error: unknown } | null>(null);
  // One Idempotency-Key per adjustment: a retry of the same one (a lost answer) lands once.
  const attempt = useRef<{ body: string; key: string } | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    const body = { points: Number(points), reason: reason.trim() };
    const text = JSON.stringify(body);
    if (attempt.current?.body !== text) attempt.current = { body: text, key: crypto.randomUUID() };
    setBusy(true);
    setResult(null);
    try {
      const answer = await api.send<{ balance?: number }>('POST', `/v1/customers/${customerId}/points`, {
        body,
        headers: { 'idempotency-key': attempt.current.key },
      });
      attempt.current = null;
      setPoints('');
      setReason('');
      setResult({ ok: typeof answer.balance === 'number' ? t.customer.adjusted(fmt.number(answer.balance)) : t.app.saved });
      onDone();
    } catch (error) {
      setResult({ error });
    } finally {
      setBusy(false);
    }
  };
  const fieldError = (name: string) =>
    result && 'error' in result && result.error instanceof ApiError && result.error.field === name ? result.error.message : undefined;
  return (
    <Section title={t.customer.adjust}>
      <form onSubmit={submit}>
        <Field label={t.customer.adjustPoints} error={fieldError('points')}>
          {(props) => (
            <input
              {...props}
              name="points"
              type="number"
              step={1}
              required
              value={points}
              onInput={(e) => setPoints(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label={t.customer.adjustReason} error={fieldError('reason')}>
          {(props) => (
            <input {...props} name="reason" required maxLength={200} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          )}
        </Field>
        <button type="submit" disabled={busy}>
          {t.customer.adjustSubmit}
        </button>
      </form>
      {result && 'ok' in result && (
        <p class="notice notice-ok" role="status">
          {result.ok}
        </p>
      )}
      {result && 'error' in result && !fieldError('points') && !fieldError('reason') && <ErrorNotice error={result.error} />}
    </Section>
  );
}

function TierOverride({
  customerId,
  current,
  program,
  onDone,
}: {
  customerId: string;
  current: string | null;
  program: ProgramDocument | undefined;
  onDone: () => void;
}) {
  const { api, t, language } = useApp();
  const levels = program?.program.tiers.levels ?? [];
  const [tier, setTier] = useState('');
  const [mode, setMode] = useState<'floor' | 'pin'>('floor');
  const [result, setResult] = useState<{ ok: string } | { error: unknown } | null>(null);
  const chosen = tier || current || levels[0]?.id || '';
  const put = async (override: { tier: string; mode: 'floor' | 'pin' } | null) => {
    setResult(null);
    try {
      const answer = await api.send<{ tier: string | null }>('PUT', `/v1/customers/${customerId}/tier`, { body: { override } });
      setResult({ ok: override ? t.customer.overrideDone(tierName(program?.program, answer.tier, language)) : t.customer.overrideRemoved });
      onDone();
    } catch (error) {
      setResult({ error });
    }
  };
  return (
    <Section title={t.customer.tierOverride}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          put({ tier: chosen, mode });
        }}
      >
        <Field label={t.customer.overrideTier}>
          {(props) => (
            <select {...props} name="tier" value={chosen} onChange={(e) => setTier(e.currentTarget.value)}>
              {levels.map((level) => (
                <option key={level.id} value={level.id}>
                  {tierName(program?.program, level.id, language)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t.customer.overrideMode}>
          {(props) => (
            <select {...props} name="mode" value={mode} onChange={(e) => setMode(e.currentTarget.value as 'floor' | 'pin')}>
              <option value="floor">{t.customer.modeFloor}</option>
              <option value="pin">{t.customer.modePin}</option>
            </select>
          )}
        </Field>
        <div class="button-row">
          <button type="submit" disabled={!chosen}>
            {t.customer.overrideSet}
          </button>
          <button type="button" class="button-secondary" onClick={() => put(null)}>
            {t.customer.overrideRemove}
          </button>
        </div>
      </form>
      {result && 'ok' in result && (
        <p class="notice notice-ok" role="status">
          {result.ok}
        </p>
      )}
      {result && 'error' in result && <ErrorNotice error={result.error} />}
    </Section>
  );
}

function EmailPreview({ customerId }: { customerId: string }) {
  const { api, t } = useApp();
  const [trigger, setTrigger] = useState<string>(TRIGGERS[0]);
  const [preview, setPreview] = useState<{ trigger: string; html: string; language: string | null } | { error: unknown } | null>(null);
  const show = async (event: Event) => {
    event.preventDefault();
    try {
      const { text, headers } = await api.raw('/v1/emails/preview', { customerId, trigger, format: 'html' });
      setPreview({ trigger, html: text, language: headers.get('content-language') });
    } catch (error) {
      setPreview({ error });
    }
  };
  const label = (name: string) => t.triggers[name as keyof typeof t.triggers] ?? name;
  return (
    <Section title={t.customer.preview}>
      <form class="toolbar" onSubmit={show}>
        <Field label={t.customer.previewTrigger}>
          {(props) => (
            <select {...props} name="trigger" value={trigger} onChange={(e) => setTrigger(e.currentTarget.value)}>
              {TRIGGERS.map((name) => (
                <option key={name} value={name}>
                  {label(name)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit">{t.customer.previewShow}</button>
        <Link href={`/emails?customer=${customerId}`} class="button-link">
          {t.pages.emails} →
        </Link>
      </form>
      {preview && 'error' in preview && <ErrorNotice error={preview.error} />}
      {preview && 'html' in preview && (
        <>
          {preview.language && <p class="muted">{t.customer.previewLanguage(preview.language)}</p>}
          <EmailFrame html={preview.html} title={t.customer.previewFrame(label(preview.trigger))} />
        </>
      )}
    </Section>
  );
}

/** A rendered email in a sandbox: no scripts, no access to the console, links inert. */
export function EmailFrame({ html, title }: { html: string; title: string }) {
  return <iframe class="email-frame" sandbox="" srcdoc={html} title={title} loading="lazy" />;
}

function Privacy({ profile, onErased }: { profile: Profile; onErased: () => void }) {
  const { api, t } = useApp();
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const [state, setState] = useState<{ done: true } | { error: unknown } | null>(null);
  const confirmWith = profile.email ?? profile.customerId;
  const matches =
    typed.trim() !== '' && [profile.customerId, profile.email ?? ''].some((v) => v && v.toLowerCase() === typed.trim().toLowerCase());
  const exportData = async () => {
    try {
      const { text } = await api.raw(`/v1/customers/${profile.customerId}/export`);
      download(text, 'application/json', `${profile.customerId}.json`);
    } catch (error) {
      setState({ error });
    }
  };
  const erase = async (event: Event) => {
    event.preventDefault();
    if (!matches) return;
    try {
      await api.send('DELETE', `/v1/customers/${profile.customerId}`);
      setOpen(false);
      setState({ done: true });
      setTimeout(onErased, 2000);
    } catch (error) {
      setState({ error });
    }
  };
  return (
    <Section title={t.customer.privacy}>
      <div class="button-row">
        <button type="button" class="button-secondary" onClick={exportData}>
          {t.customer.export}
        </button>
        <button
          type="button"
          class="button-danger"
          onClick={() => {
            setTyped('');
            setOpen(true);
          }}
          disabled={Boolean(profile.erasedAt)}
        >
          {t.customer.erase}
        </button>
      </div>
      {state && 'done' in state && (
        <p class="notice notice-ok" role="status">
          {t.customer.erasing}
        </p>
      )}
      {state && 'error' in state && <ErrorNotice error={state.error} />}
      <Dialog open={open} title={t.customer.eraseTitle} onClose={() => setOpen(false)}>
        <form onSubmit={erase}>
          <p>{t.customer.eraseText}</p>
          <Field label={t.customer.eraseConfirm(confirmWith)}>
            {(props) => (
              <input {...props} name="confirm" autocomplete="off" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
            )}
          </Field>
          <div class="button-row">
            <button type="button" class="button-secondary" onClick={() => setOpen(false)}>
              {t.app.cancel}
            </button>
            <button type="submit" class="button-danger" disabled={!matches}>
              {t.customer.eraseSubmit}
            </button>
          </div>
        </form>
      </Dialog>
    </Section>
  );
}

function Ledger({ path }: { path: string }) {
  const { t, fmt } = useApp();
  const pages = useOlderPages<LedgerEntry>(path);
  const columns: Columns<LedgerEntry> = [
    { accessorKey: 'at', header: t.customer.when, cell: (c) => fmt.dateTime(c.getValue<string>()) },
    { accessorKey: 'kind', header: t.customer.kind, cell: (c) => t.ledgerKinds[c.getValue<string>()] ?? c.getValue<string>() },
    {
      accessorKey: 'points',
      header: t.customer.pointsColumn,
      cell: (c) => {
        const n = c.getValue<number>();
        return (
          <>
            {n > 0 ? '+' : ''}
            {fmt.number(n)}
            {c.row.original.writtenOff ? (
              <span class="muted"> ({t.customer.writtenOff(fmt.number(c.row.original.writtenOff))})</span>
            ) : null}
          </>
        );
      },
      meta: { numeric: true },
    },
    {
      id: 'source',
      header: t.customer.sourceColumn,
      accessorFn: (row) => describeSource(row.source),
      enableSorting: false,
    },
  ];
  return (
    <PagedSection title={t.customer.ledger} empty={t.customer.ledgerEmpty} pages={pages}>
      <DataTable caption={t.customer.ledgerCaption} columns={columns} data={pages.items} rowKey={(row) => row.entryId} />
    </PagedSection>
  );
}

/** Where an entry came from: the staff's reason first, then the order or other ids (the idempotency key says nothing to a person). */
const describeSource = (source: Record<string, string | number>) => {
  const { reason, idempotencyKey: _key, ...rest } = source;
  return [reason === undefined ? undefined : String(reason), ...Object.entries(rest).map(([key, value]) => `${key}: ${value}`)]
    .filter(Boolean)
    .join(' · ');
};

function Timeline({ path, tier }: { path: string; tier: (tierId: string | null) => string }) {
  const { t, fmt } = useApp();
  const pages = useOlderPages<TimelineEntry>(path);
  const columns: Columns<TimelineEntry> = [
    { accessorKey: 'at', header: t.customer.when, cell: (c) => fmt.dateTime(c.getValue<string>()) },
    { id: 'what', header: t.customer.what, accessorFn: (entry) => describeEntry(entry, t, fmt, tier) },
    { accessorKey: 'channel', header: t.customer.channel },
  ];
  return (
    <PagedSection title={t.customer.timeline} empty={t.customer.timelineEmpty} pages={pages}>
      <DataTable
        caption={t.customer.timelineCaption}
        columns={columns}
        data={pages.items}
        rowKey={(entry) => `${entry.at}|${String(entry.entryId ?? '')}|${entry.type}`}
      />
    </PagedSection>
  );
}

const RECORDS_PAGE = 20;

/**
 * A customer's records newest first, a page at a time, each "older" click adding the next page below:
 * what the browser holds grows with what the person asked to see, never with the customer's history.
 */
function useOlderPages<T>(path: string) {
  const { api } = useApp();
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [items, setItems] = useState<T[]>([]);
  const page = useResource(async () => {
    const answer = await api.get<Page<T>>(path, { limit: RECORDS_PAGE, cursor });
    setItems((previous) => (cursor ? [...previous, ...answer.items] : answer.items));
    return answer;
  }, [path, cursor]);
  return { items, page, older: () => setCursor(page.data?.cursor) };
}

function PagedSection<T>({
  title,
  empty,
  pages,
  children,
}: {
  title: string;
  empty: string;
  pages: ReturnType<typeof useOlderPages<T>>;
  children: ComponentChildren;
}) {
  const { t } = useApp();
  const { items, page, older } = pages;
  return (
    <Section title={title}>
      {page.error && <ErrorNotice error={page.error} onRetry={page.reload} />}
      {page.loading && items.length === 0 ? <Loading /> : items.length === 0 && !page.error ? <p class="muted">{empty}</p> : children}
      {page.data?.cursor && (
        <div class="pager">
          <button type="button" class="button-secondary" disabled={page.loading} onClick={older}>
            {t.customer.older}
          </button>
        </div>
      )}
    </Section>
  );
}

/** One line per timeline entry, from the fields each kind carries (shared/use-cases write them). */
export function describeEntry(entry: TimelineEntry, t: Messages, fmt: Formatters, tier: (tierId: string | null) => string): string {
  const text = (value: unknown) => (value === undefined || value === null ? '' : String(value));
  const money = (value: unknown) => fmt.moneyOf(value as Money | undefined);
  const trigger = (value: unknown) => t.triggers[text(value) as keyof Messages['triggers']] ?? text(value);
  switch (entry.type) {
    case 'order':
      return t.timeline.order(text(entry.orderId), t.orderStatuses[text(entry.status)] ?? text(entry.status), money(entry.total));
    case 'refund':
      return t.timeline.refund(money(entry.amount));
    case 'tier':
      return entry.from ? t.timeline.tier(tier(text(entry.from)), tier(text(entry.to))) : t.timeline.joined(tier(text(entry.to)));
    case 'trigger':
      return t.timeline.trigger(trigger(entry.trigger));
    case 'email': {
      const status = t.emails.statuses[text(entry.status)] ?? text(entry.status);
      const reason = entry.reason ? ` (${t.emails.reasons[text(entry.reason)] ?? text(entry.reason)})` : '';
      return t.timeline.email(trigger(entry.trigger), status + reason);
    }
    case 'segment':
      return t.timeline.segment(rfmName(t, text(entry.name ?? entry.segment)), text(entry.change));
    case 'customer':
      return t.timeline.customer(Array.isArray(entry.fields) ? entry.fields.join(', ') : '');
    case 'privacy':
      return t.timeline.privacy(text(entry.action));
    case 'points':
    case 'adjust':
      return t.timeline.points(fmt.number(Number(entry.points)), text(entry.reason));
    case 'activity':
      return t.timeline.activity(text(entry.activity), fmt.number(Number(entry.points)));
    case 'activity_refused':
      return t.timeline.activityRefused(text(entry.activity), text(entry.reason));
    case 'interaction':
      return t.timeline.interaction(text(entry.channel), text(entry.summary));
    case 'feedback':
      return t.timeline.feedback(entry.nps !== undefined ? `NPS ${text(entry.nps)}` : `CSAT ${text(entry.csat)}`);
    default:
      return entry.type;
  }
}
