import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type {
  StorefrontCode,
  StorefrontCustomer,
  StorefrontLanguage,
  StorefrontMe,
  StorefrontProgram,
  StorefrontRewardOffer,
} from '../../shared/http/storefront-contract.ts';
import { fetchMe, redeem, StorefrontRequestError, type Who } from './api.ts';
import { affordableSteps, type Format, format, metricAmount, redeemCost, rewardCost, rewardValue, tierProgress } from './format.ts';
import { type MessageKey, translator } from './i18n.ts';

export interface AppProps extends Who {
  /** Asked of the API; undefined lets the shop's language decide. */
  language?: StorefrontLanguage;
  mode: 'launcher' | 'page';
}

/** A code still being created on the shop's platform is asked for again this often, this many times. */
const PENDING_POLL_MS = 3000;
const PENDING_POLLS = 10;

type Load = { state: 'loading' } | { state: 'failed'; expired: boolean } | { state: 'ready'; me: StorefrontMe };

export function App(props: AppProps) {
  const { api, shop, customer, link, language, mode } = props;
  const who = useMemo<Who>(() => ({ api, shop, customer, link }), [api, shop, customer, link]);
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [open, setOpen] = useState(false);
  const launcher = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);

  const reload = useCallback(
    () =>
      fetchMe(who, language).then(
        (me) => setLoad({ state: 'ready', me }),
        (err) => setLoad({ state: 'failed', expired: err instanceof StorefrontRequestError && err.status === 401 }),
      ),
    [who, language],
  );
  useEffect(() => {
    setLoad({ state: 'loading' });
    reload();
  }, [reload]);
  // A read after the first: a failure keeps what is shown (a new code must not give way to an error).
  const refresh = useCallback(
    () =>
      fetchMe(who, language).then(
        (me) => setLoad({ state: 'ready', me }),
        () => undefined,
      ),
    [who, language],
  );

  // Focus goes into the panel when it opens and back to the launcher when it closes.
  const wasOpen = useRef(false);
  useEffect(() => {
    if (open) panel.current?.focus();
    else if (wasOpen.current) launcher.current?.focus();
    wasOpen.current = open;
  }, [open]);

  const me = load.state === 'ready' ? load.me : undefined;
  const lang = me?.language ?? language ?? 'en';
  const f = useMemo(() => format(lang, me?.shop.currency ?? 'VND', translator(lang)), [lang, me?.shop.currency]);
  const title = me ? f.t('title', { shop: me.shop.name }) : f.t('launcher');

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape' && mode === 'launcher') {
      event.stopPropagation();
      setOpen(false);
    }
  };

  const body = (
    <div class="body">
      {load.state === 'loading' && <p class="mut">{f.t('loading')}</p>}
      {load.state === 'failed' && <LoadFailed expired={load.expired} f={f} retry={reload} />}
      {me?.customer && <Member me={me} customer={me.customer} who={who} lang={lang} f={f} refresh={refresh} setMe={setLoad} />}
      {me && !me.customer && <Program program={me.program} f={f} />}
    </div>
  );

  if (mode === 'page') {
    return (
      <section class="panel page" aria-labelledby="rapport-title">
        <div class="head">
          <h2 id="rapport-title">{title}</h2>
        </div>
        {body}
      </section>
    );
  }
  return (
    <>
      <button
        ref={launcher}
        type="button"
        class="launcher"
        aria-expanded={open}
        aria-controls={open ? 'rapport-panel' : undefined}
        onClick={() => setOpen(!open)}
      >
        <svg viewBox="0 0 24 24" aria-hidden="true">
          <path d="M12 2l2.9 6.3 6.9.7-5.2 4.6 1.5 6.8L12 17l-6.1 3.4 1.5-6.8L2.2 9l6.9-.7z" />
        </svg>
        {f.t('launcher')}
        {me?.customer && <span class="pts">· {f.points(me.customer.spendable)}</span>}
      </button>
      {open && (
        <div
          ref={panel}
          id="rapport-panel"
          class="panel float"
          role="dialog"
          aria-labelledby="rapport-title"
          tabIndex={-1}
          onKeyDown={onKeyDown}
        >
          <div class="head">
            <h2 id="rapport-title">{title}</h2>
            <button type="button" class="x" aria-label={f.t('close')} onClick={() => setOpen(false)}>
              ×
            </button>
          </div>
          {body}
        </div>
      )}
    </>
  );
}

function LoadFailed({ expired, f, retry }: { expired: boolean; f: Format; retry: () => void }) {
  if (expired) return <p role="alert">{f.t('expired')}</p>;
  return (
    <>
      <p role="alert">{f.t('loadFailed')}</p>
      <button type="button" class="btn ghost" onClick={retry}>
        {f.t('retry')}
      </button>
    </>
  );
}

/** What an anonymous visitor sees: how the program works, and that signing in shows the rest. */
function Program({ program, f }: { program: StorefrontProgram; f: Format }) {
  const levels = program.tiers.levels;
  return (
    <>
      <section>
        <p class="hello">{f.t('helloAnonymous')}</p>
        <p class="hint">{f.t('signIn')}</p>
      </section>
      {program.howToEarn.length > 0 && (
        <section>
          <h3>{f.t('howToEarn')}</h3>
          <ul class="earn">
            {program.howToEarn.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </section>
      )}
      {levels.length > 0 && (
        <section>
          <h3>{f.t('tiers')}</h3>
          <ul class="tiers">
            {levels.map((tier) => (
              <li key={tier.id}>
                <span>
                  <span class="name">{tier.name}</span>
                  {tier.earnMultiplier !== 1 && (
                    <span class="mut"> · {f.t('tierMultiplier', { multiplier: f.number(tier.earnMultiplier) })}</span>
                  )}
                </span>
                {tier.threshold !== undefined && (
                  <span class="mut">{f.t('tierFrom', { threshold: metricAmount(program.tiers.metric, tier.threshold, f) })}</span>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section>
        <h3>{f.t('rewards')}</h3>
        {program.rewards.length === 0 && <p class="mut">{f.t('noRewards')}</p>}
        {program.rewards.map((reward) => (
          <div class="card" key={reward.id}>
            <div class="row">
              <span class="name">{reward.name}</span>
              <span class="cost">{rewardCost(reward, f)}</span>
            </div>
            <RewardTerms reward={reward} f={f} tierNames={levels} />
          </div>
        ))}
      </section>
    </>
  );
}

function RewardTerms({
  reward,
  f,
  tierNames,
}: {
  reward: StorefrontProgram['rewards'][number];
  f: Format;
  tierNames: Array<{ id: string; name: string }>;
}) {
  // What it is worth, unless its name or its per-step cost already says so.
  const value = rewardValue(reward.value, f);
  const plain = (text: string) => text.replace(/\s+/g, ' ').trim().toLowerCase(); // Intl writes no-break spaces
  const said = plain(value) === plain(reward.name) || (reward.cost.kind === 'per' && reward.value.kind === 'amount_off');
  const terms = said ? [] : [value];
  if (reward.minOrder) terms.push(f.t('minOrder', { amount: f.money(reward.minOrder) }));
  if (reward.tiers?.length) {
    const names = reward.tiers.map((id) => tierNames.find((tier) => tier.id === id)?.name ?? id);
    terms.push(f.t('tierOnly', { tiers: names.join(', ') }));
  }
  if (reward.limit) {
    const per: MessageKey = reward.limit.per === 'ever' ? 'limitEver' : reward.limit.per === 'month' ? 'limitMonth' : 'limitYear';
    terms.push(f.t('limit', { count: reward.limit.count, per: f.t(per) }));
  }
  return terms.length > 0 ? <p class="mut">{terms.join(' · ')}</p> : null;
}

interface MemberProps {
  me: StorefrontMe;
  customer: StorefrontCustomer;
  who: Who;
  lang: StorefrontLanguage;
  f: Format;
  refresh: () => Promise<void>;
  setMe: (load: Load) => void;
}

/** A redemption's answer: the code (kept up to date while it is pending), or why there is none. */
type Outcome =
  | { rewardId: string; code: StorefrontCode; gaveUp?: boolean }
  | { rewardId: string; error: string; retry?: { key: string; steps?: number } };

function Member({ me, customer, who, lang, f, refresh, setMe }: MemberProps) {
  const [busy, setBusy] = useState<string | undefined>();
  const [outcome, setOutcome] = useState<Outcome | undefined>();
  const metric = me.program.tiers.metric;

  const run = async (reward: StorefrontRewardOffer, steps: number | undefined, key: string) => {
    setBusy(reward.id);
    setOutcome(undefined);
    try {
      const answer = await redeem(who, reward.id, steps, key, lang);
      const codes = [answer.code, ...customer.codes.filter((c) => c.code !== answer.code.code)];
      setMe({ state: 'ready', me: { ...me, customer: { ...customer, spendable: answer.spendable, balance: answer.balance, codes } } });
      setOutcome({ rewardId: reward.id, code: answer.code });
      // The offers' availability depends on the new balance: the server says which are still open.
      await refresh();
    } catch (err) {
      if (err instanceof StorefrontRequestError) {
        setOutcome({ rewardId: reward.id, error: err.status === 401 ? f.t('expired') : f.t('refused', { message: err.message }) });
      } else {
        // No answer: the same click is retried with the same key, so it is redeemed once at most.
        setOutcome({ rewardId: reward.id, error: f.t('networkError'), retry: { key, steps } });
      }
    } finally {
      setBusy(undefined);
    }
  };

  // The new code as the latest answer knows it: the customer's list, read again after the redeem
  // and while the code is being created on the shop's platform, until it is issued or failed.
  const redeemed = outcome && 'code' in outcome ? outcome : undefined;
  const newCode = redeemed && (customer.codes.find((c) => c.code === redeemed.code.code) ?? redeemed.code);
  const pendingCode = newCode?.status === 'pending' && !redeemed?.gaveUp ? newCode.code : undefined;
  useEffect(() => {
    if (!pendingCode) return;
    let polls = 0;
    const timer = setInterval(() => {
      polls += 1;
      if (polls >= PENDING_POLLS) setOutcome((o) => (o && 'code' in o ? { ...o, gaveUp: true } : o));
      refresh();
    }, PENDING_POLL_MS);
    return () => clearInterval(timer);
  }, [pendingCode, refresh]);

  return (
    <>
      <section>
        <p class="hello">{customer.firstName ? f.t('hello', { name: customer.firstName }) : f.t('helloAnonymous')}</p>
        <p class="mut">{f.t('spendable')}</p>
        <p class="big">{f.points(customer.spendable)}</p>
        {customer.pending > 0 && (
          <p class="mut">
            <strong>{f.t('pending', { points: f.points(customer.pending) })}</strong> — {f.t('pendingHelp')}
          </p>
        )}
      </section>
      <section>
        <h3>{f.t('tier')}</h3>
        <p class="tier">{customer.tier.name}</p>
        {customer.nextTier && customer.nextTier.remaining === undefined ? (
          <p class="mut">{f.t('nextTierRule', { tier: customer.nextTier.name })}</p>
        ) : customer.nextTier ? (
          <>
            <div
              class="bar"
              role="progressbar"
              aria-label={f.t('progressLabel', { tier: customer.nextTier.name })}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={Math.round(tierProgress(customer.nextTier) * 100)}
            >
              <div style={{ width: `${tierProgress(customer.nextTier) * 100}%` }} />
            </div>
            <p class="mut">
              {f.t('nextTier', { remaining: metricAmount(metric, customer.nextTier.remaining ?? 0, f), tier: customer.nextTier.name })}
            </p>
          </>
        ) : (
          <p class="mut">{f.t('topTier')}</p>
        )}
      </section>
      <section>
        <h3>{f.t('rewards')}</h3>
        {newCode && <NewCode code={newCode} gaveUp={redeemed?.gaveUp} f={f} />}
        {customer.rewards.length === 0 && <p class="mut">{f.t('noRewards')}</p>}
        {customer.rewards.map((reward) => (
          <Offer
            key={reward.id}
            reward={reward}
            spendable={customer.spendable}
            tiers={me.program.tiers.levels}
            busy={busy === reward.id}
            blocked={busy !== undefined}
            error={outcome && 'error' in outcome && outcome.rewardId === reward.id ? outcome : undefined}
            onRedeem={(steps, key) => run(reward, steps, key ?? crypto.randomUUID())}
            f={f}
          />
        ))}
      </section>
      {customer.referral && <Invite referral={customer.referral} f={f} />}
      {customer.codes.length > 0 && (
        <section>
          <h3>{f.t('codes')}</h3>
          <ul class="list">
            {customer.codes.map((code) => (
              <li key={code.code}>
                <span>
                  <span class="mono">{code.code}</span>
                  <br />
                  <span class="mut">
                    {code.name}
                    {code.status === 'issued' && ` · ${f.t('expires', { date: f.date(code.expiresAt) })}`}
                  </span>
                </span>
                <span>
                  <span class={`pill ${code.status}`}>{f.t(STATUS[code.status])}</span>
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section>
        <h3>{f.t('history')}</h3>
        {customer.history.length === 0 && <p class="mut">{f.t('noHistory')}</p>}
        <ul class="list">
          {customer.history.map((entry) => (
            <li key={`${entry.at}${entry.kind}${entry.description}`}>
              <span>
                {entry.description}
                <br />
                <span class="mut">{f.date(entry.at)}</span>
              </span>
              <span class={entry.points >= 0 ? 'plus' : 'minus'}>
                {entry.points > 0 ? '+' : ''}
                {f.number(entry.points)}
              </span>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}

const STATUS: Record<StorefrontCode['status'], MessageKey> = {
  pending: 'statusPending',
  issued: 'statusIssued',
  used: 'statusUsed',
  returned: 'statusReturned',
  failed: 'statusFailed',
};

interface OfferProps {
  reward: StorefrontRewardOffer;
  spendable: number;
  tiers: Array<{ id: string; name: string }>;
  busy: boolean;
  blocked: boolean;
  error?: { error: string; retry?: { key: string; steps?: number } };
  onRedeem: (steps: number | undefined, key?: string) => void;
  f: Format;
}

function Offer({ reward, spendable, tiers, busy, blocked, error, onRedeem, f }: OfferProps) {
  const choices = affordableSteps(reward, spendable);
  const [steps, setSteps] = useState(choices[0] ?? 1);
  const perStep = reward.cost.kind === 'per';
  const chosen = perStep ? Math.min(steps, choices.at(-1) ?? steps) : undefined;
  const canRedeem = reward.available && (!perStep || choices.length > 0);
  const stepValue = (n: number) => (reward.value.kind === 'amount_off' ? f.money(reward.value.amount * n) : f.number(n));
  return (
    <div class={canRedeem ? 'card' : 'card off'}>
      <div class="row">
        <span class="name">{reward.name}</span>
        <span class="cost">{rewardCost(reward, f)}</span>
      </div>
      <RewardTerms reward={reward} f={f} tierNames={tiers} />
      <div class="act">
        {perStep && canRedeem && (
          <label class="mut">
            {f.t('steps')}{' '}
            <select value={chosen} disabled={blocked} onChange={(e) => setSteps(Number((e.target as HTMLSelectElement).value))}>
              {choices.map((n) => (
                <option key={n} value={n}>
                  {stepValue(n)}
                </option>
              ))}
            </select>
          </label>
        )}
        <button type="button" class="btn" disabled={!canRedeem || blocked} onClick={() => onRedeem(chosen)}>
          {busy
            ? f.t('redeeming')
            : perStep && canRedeem
              ? f.t('redeemFor', { points: f.points(redeemCost(reward, chosen ?? 1)) })
              : f.t('redeem')}
        </button>
        {!canRedeem && reward.reason && <span class="why">{reward.reason}</span>}
      </div>
      {error && (
        <p class="err" role="alert">
          {error.error}{' '}
          {error.retry && (
            <button type="button" class="btn ghost" disabled={blocked} onClick={() => onRedeem(error.retry?.steps, error.retry?.key)}>
              {f.t('retry')}
            </button>
          )}
        </p>
      )}
    </div>
  );
}

/** The customer's referral code and link, to give friends: the link copied, or the code when there is no link. */
function Invite({ referral, f }: { referral: NonNullable<StorefrontCustomer['referral']>; f: Format }) {
  const [copied, setCopied] = useState(false);
  const shared = referral.url ?? referral.code;
  const copy = () =>
    navigator.clipboard.writeText(shared).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  return (
    <section>
      <h3>{f.t('invite')}</h3>
      <p class="mut">{referral.offer}</p>
      <div class="row">
        <span class="val">{referral.code}</span>
        {/* Named apart from a new reward code's Copy, which can be on the panel at the same time. */}
        <button type="button" class="btn" onClick={copy}>
          {copied ? f.t('copied') : f.t(referral.url ? 'copyLink' : 'copyCode')}
        </button>
      </div>
      {referral.url && (
        <p class="mut">
          {f.t('inviteLink')}: <span class="mono">{referral.url}</span>
        </p>
      )}
    </section>
  );
}

function NewCode({ code, gaveUp, f }: { code: StorefrontCode; gaveUp?: boolean; f: Format }) {
  const [copied, setCopied] = useState(false);
  if (code.status === 'failed' || code.status === 'returned') {
    return (
      <div class="code" role="status">
        <p>{f.t('codeFailed')}</p>
      </div>
    );
  }
  if (code.status === 'pending') {
    return (
      <div class="code" role="status">
        <p class="name">{code.name}</p>
        <p>{f.t(gaveUp ? 'codeStillPending' : 'codePending')}</p>
      </div>
    );
  }
  const copy = () =>
    navigator.clipboard.writeText(code.code).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  // The value under the code, unless the reward's name above says it already (as RewardTerms decides).
  const value = rewardValue(code.value, f);
  const plain = (text: string) => text.replace(/\s+/g, ' ').trim().toLowerCase();
  const said = plain(value) === plain(code.name);
  return (
    <div class="code" role="status">
      <p class="mut">
        {f.t('yourCode')} · {code.name}
      </p>
      <div class="row">
        <span class="val">{code.code}</span>
        <button type="button" class="btn" onClick={copy}>
          {copied ? f.t('copied') : f.t('copy')}
        </button>
      </div>
      <p class="mut">
        {said ? '' : `${value} · `}
        {f.t('expires', { date: f.date(code.expiresAt) })}
      </p>
    </div>
  );
}
