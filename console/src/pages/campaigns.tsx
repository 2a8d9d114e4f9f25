import { useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import { useApp, useResource } from '../app-context.ts';
import {
  type EditorMessage,
  MessageEditor,
  messageFieldErrors,
  messageForApi,
  type RenderedMessage,
  SHOP_MESSAGE_VARIABLES,
} from '../components/message-editor.tsx';
import { ErrorNotice, Field, Loading, PageTitle, Section, Stat } from '../components/ui.tsx';
import type { Language } from '../i18n/index.ts';
import { Link, navigate } from '../router.tsx';
import type { ProgramDocument, Segments } from '../types.ts';

/**
 * Campaigns (GET|POST /v1/campaigns, GET|PATCH /v1/campaigns/{id}, …/preview, …/schedule,
 * …/cancel): the list with each one's status and results; a draft's name, audience, reward, local
 * send time and message (the shared message editor, previewed for a real customer by the campaign's
 * own preview); schedule at its time or now, cancel; the results as they count.
 */

type Status = 'draft' | 'scheduled' | 'sending' | 'sent' | 'cancelled';

interface Campaign {
  campaignId: string;
  name: string;
  status: Status;
  audience: { kind: 'segment'; segmentId: string } | { kind: 'subscribed' };
  message?: EditorMessage;
  rewardId: string | null;
  scheduledAt: string | null;
  timezone: string;
  sendAt: string | null;
  revision: number;
  progress: { parts: number; partsDone: number; queued: number };
  results: {
    sent: number;
    skipped: Record<string, number>;
    skippedTotal: number;
    bounced: number;
    complained: number;
    unsubscribed: number;
    codesUsed: number;
    attributedRevenue: { amount: number; currency: string };
  };
}

const STATUS_BADGE: Record<Status, string> = {
  draft: 'badge',
  scheduled: 'badge badge-queued',
  sending: 'badge badge-applying',
  sent: 'badge badge-sent',
  cancelled: 'badge badge-failed',
};

export function CampaignsPage({ params }: { params: Record<string, string> }) {
  const id = params.campaignId;
  return id ? <CampaignPage id={id} /> : <CampaignList />;
}

function CampaignList() {
  const { api, t, fmt } = useApp();
  const c = t.campaigns;
  const list = useResource(() => api.get<{ items: Campaign[] }>('/v1/campaigns', { limit: '50' }), []);
  return (
    <>
      <PageTitle
        actions={
          <Link href="/campaigns/new" class="button">
            {c.create}
          </Link>
        }
      >
        {t.pages.campaigns}
      </PageTitle>
      <Section title={c.listTitle} intro={c.intro}>
        {list.loading && !list.data ? (
          <Loading />
        ) : list.error ? (
          <ErrorNotice error={list.error} route="GET /v1/campaigns" onRetry={list.reload} />
        ) : list.data && list.data.items.length === 0 ? (
          <p class="muted">{c.none}</p>
        ) : (
          <table class="table">
            <thead>
              <tr>
                <th scope="col">{c.name}</th>
                <th scope="col">{c.status}</th>
                <th scope="col">{c.audience}</th>
                <th scope="col">{c.sendAt}</th>
                <th scope="col" class="num">
                  {c.sent}
                </th>
                <th scope="col" class="num">
                  {c.skipped}
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data?.items.map((campaign) => (
                <tr key={campaign.campaignId}>
                  <td>
                    <Link href={`/campaigns/${campaign.campaignId}`}>{campaign.name}</Link>
                  </td>
                  <td>
                    <span class={STATUS_BADGE[campaign.status]}>{c.statuses[campaign.status]}</span>
                  </td>
                  <td>{campaign.audience.kind === 'segment' ? campaign.audience.segmentId : c.everyone}</td>
                  <td>{campaign.sendAt ? fmt.dateTime(campaign.sendAt) : (campaign.scheduledAt ?? '—')}</td>
                  <td class="num">{fmt.number(campaign.results.sent)}</td>
                  <td class="num">{fmt.number(campaign.results.skippedTotal)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </>
  );
}

function CampaignPage({ id }: { id: string }) {
  const { api, t } = useApp();
  const isNew = id === 'new';
  const campaign = useResource(() => (isNew ? Promise.resolve(null) : api.get<Campaign>(`/v1/campaigns/${id}`)), [id]);
  return (
    <>
      <PageTitle actions={<Link href="/campaigns">{t.campaigns.back}</Link>}>
        {isNew ? t.campaigns.create : (campaign.data?.name ?? t.pages.campaigns)}
      </PageTitle>
      {campaign.loading && !campaign.data && !isNew ? (
        <Loading />
      ) : campaign.error ? (
        <ErrorNotice error={campaign.error} route="GET /v1/campaigns/{campaignId}" onRetry={campaign.reload} />
      ) : (
        <>
          {campaign.data && campaign.data.status !== 'draft' && <CampaignResults campaign={campaign.data} onChange={campaign.reload} />}
          {(isNew || campaign.data?.status === 'draft') && (
            <CampaignForm key={campaign.data?.revision ?? 0} campaign={campaign.data ?? null} onSaved={campaign.reload} />
          )}
        </>
      )}
    </>
  );
}

function CampaignResults({ campaign, onChange }: { campaign: Campaign; onChange(): void }) {
  const { api, t, fmt } = useApp();
  const c = t.campaigns;
  const [error, setError] = useState<unknown>(null);
  const r = campaign.results;
  const cancel = async () => {
    setError(null);
    try {
      await api.send('POST', `/v1/campaigns/${campaign.campaignId}/cancel`, { body: {} });
      onChange();
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <Section title={c.results} intro={c.resultsIntro}>
      <p role="status">
        <span class={STATUS_BADGE[campaign.status]}>{c.statuses[campaign.status]}</span>{' '}
        {campaign.sendAt ? c.startsAt(fmt.dateTime(campaign.sendAt), campaign.timezone) : ''}
        {campaign.progress.parts > 0
          ? ` · ${c.progress(fmt.number(campaign.progress.queued), campaign.progress.partsDone >= campaign.progress.parts)}`
          : ''}
      </p>
      <dl class="stats">
        <Stat label={c.sent} value={fmt.number(r.sent)} />
        <Stat
          label={c.skipped}
          value={fmt.number(r.skippedTotal)}
          {...(r.skippedTotal > 0
            ? {
                detail: Object.entries(r.skipped)
                  .map(([reason, count]) => `${c.reasons[reason] ?? reason}: ${fmt.number(count)}`)
                  .join(', '),
              }
            : {})}
        />
        <Stat label={c.bounced} value={fmt.number(r.bounced)} />
        <Stat label={c.complained} value={fmt.number(r.complained)} />
        <Stat label={c.unsubscribed} value={fmt.number(r.unsubscribed)} />
        <Stat label={c.codesUsed} value={fmt.number(r.codesUsed)} />
        <Stat label={c.revenue} value={fmt.moneyOf(r.attributedRevenue)} />
      </dl>
      <p class="hint">{c.attribution}</p>
      {error !== null && <ErrorNotice error={error} />}
      {(campaign.status === 'scheduled' || campaign.status === 'sending') && (
        <div class="button-row">
          <button type="button" class="button-danger" onClick={cancel}>
            {c.cancel}
          </button>
        </div>
      )}
    </Section>
  );
}

function CampaignForm({ campaign, onSaved }: { campaign: Campaign | null; onSaved(): void }) {
  const { api, t, language } = useApp();
  const c = t.campaigns;
  const segments = useResource(() => api.get<Segments>('/v1/segments'), []);
  const program = useResource(() => api.get<ProgramDocument>('/v1/program'), []);
  const [name, setName] = useState(campaign?.name ?? '');
  const [audience, setAudience] = useState(campaign?.audience.kind === 'segment' ? campaign.audience.segmentId : 'subscribed');
  const [rewardId, setRewardId] = useState(campaign?.rewardId ?? '');
  const [scheduledAt, setScheduledAt] = useState(campaign?.scheduledAt ?? '');
  const [message, setMessage] = useState<EditorMessage>(campaign?.message ?? { subject: {}, body: {} });
  const [busy, setBusy] = useState(false);
  const [state, setState] = useState<{ error: unknown } | { done: string } | null>(null);
  const error = state && 'error' in state ? state.error : null;
  const fieldError = (field: string) => messageFieldErrors(error, '')[field];

  const fields = () => ({
    name,
    audience: audience === 'subscribed' ? { kind: 'subscribed' } : { kind: 'segment', segmentId: audience },
    message: messageForApi(message),
    rewardId: rewardId || null,
    scheduledAt: scheduledAt ? scheduledAt.slice(0, 16) : null,
  });
  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setState(null);
    try {
      if (campaign) {
        await api.send('PATCH', `/v1/campaigns/${campaign.campaignId}`, { body: { revision: campaign.revision, ...fields() } });
        onSaved();
      } else {
        const created = await api.send<Campaign>('POST', '/v1/campaigns', { body: fields() });
        navigate(`/campaigns/${created.campaignId}`);
      }
    } catch (failure) {
      setState({ error: failure });
    } finally {
      setBusy(false);
    }
  };
  const schedule = async (now: boolean) => {
    if (!campaign) return;
    setBusy(true);
    setState(null);
    try {
      await api.send('POST', `/v1/campaigns/${campaign.campaignId}/schedule`, { body: now ? { now: true } : {} });
      onSaved();
    } catch (failure) {
      setState({ error: failure });
    } finally {
      setBusy(false);
    }
  };
  const preview = (draft: EditorMessage, customerId: string, shown: Language): Promise<RenderedMessage> => {
    if (!campaign) return Promise.reject(new Error(c.saveToPreview));
    return api.send<RenderedMessage>('POST', `/v1/campaigns/${campaign.campaignId}/preview`, {
      body: { customerId, language: shown, message: messageForApi(draft) },
    });
  };
  const rewards = ((program.data?.program.rewards ?? []) as Array<{ id: string; name: Record<string, string>; active: boolean }>).filter(
    (reward) => reward.active,
  );
  return (
    <form onSubmit={save} class="campaign-form">
      <Section title={c.draft} intro={c.draftIntro}>
        <Field label={c.name} error={fieldError('name')}>
          {(props) => <input {...props} name="name" value={name} maxLength={100} onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        <Field label={c.audience} hint={c.audienceHint} error={fieldError('audience.segmentId') ?? fieldError('audience.kind')}>
          {(props) => (
            <select {...props} name="audience" value={audience} onChange={(e) => setAudience(e.currentTarget.value)}>
              <option value="subscribed">{c.everyone}</option>
              {segments.data?.segments.map((segment) => (
                <option key={segment.id} value={segment.id}>
                  {`${segment.name} (${segment.id}) · ${segment.customers}`}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={c.reward} error={fieldError('rewardId')}>
          {(props) => (
            <select {...props} name="rewardId" value={rewardId} onChange={(e) => setRewardId(e.currentTarget.value)}>
              <option value="">{c.noReward}</option>
              {rewards.map((reward) => (
                <option key={reward.id} value={reward.id}>
                  {reward.name[language] ?? reward.name.en ?? reward.id}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={c.sendAt} hint={c.sendAtHint} error={fieldError('scheduledAt')}>
          {(props) => (
            <input
              {...props}
              type="datetime-local"
              name="scheduledAt"
              value={scheduledAt}
              onInput={(e) => setScheduledAt(e.currentTarget.value)}
            />
          )}
        </Field>
      </Section>
      <Section title={c.message}>
        <MessageEditor
          message={message}
          onChange={setMessage}
          variables={SHOP_MESSAGE_VARIABLES}
          preview={preview}
          fieldPrefix="message"
          error={error instanceof ApiError && error.status === 400 ? error : null}
          initialLanguage={language}
        />
      </Section>
      {error !== null && !(error instanceof ApiError && error.status === 400) && <ErrorNotice error={error} />}
      {error instanceof ApiError && error.status === 400 && (
        <p class="field-error" role="alert">
          {error.message}
        </p>
      )}
      <div class="button-row">
        <button type="submit" disabled={busy}>
          {campaign ? c.save : c.createDraft}
        </button>
        {campaign && (
          <>
            <button type="button" class="button-secondary" disabled={busy || !campaign.scheduledAt} onClick={() => schedule(false)}>
              {c.schedule}
            </button>
            <button type="button" class="button-secondary" disabled={busy} onClick={() => schedule(true)}>
              {c.sendNow}
            </button>
          </>
        )}
      </div>
    </form>
  );
}
