import { useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import { useApp } from '../app-context.ts';
import { CopyButton, Dialog, ErrorNotice, Field, PageTitle, Section } from '../components/ui.tsx';
import { messageFieldErrors } from '../message.ts';
import { type Brand, PLATFORMS, type Platform, type Shop } from '../types.ts';

const PLATFORM_NAMES: Record<Platform, string> = { shopify: 'Shopify', woocommerce: 'WooCommerce', generic: 'Generic' };

export function SettingsPage() {
  const { t, shop } = useApp();
  return (
    <>
      <PageTitle>{t.settings.title}</PageTitle>
      {shop.full ? <ShopForm shop={shop.full} /> : <p class="notice">{t.settings.unavailable}</p>}
      {shop.full && <BrandForm brand={shop.full.brand ?? null} />}
      <Webhooks />
      <KeyRotation />
    </>
  );
}

function ShopForm({ shop }: { shop: Shop }) {
  const { api, t, refreshShop } = useApp();
  const [form, setForm] = useState({
    name: shop.name,
    url: shop.url ?? '',
    locale: shop.locale,
    timezone: shop.timezone,
    ignoreTestOrders: shop.settings?.ignoreTestOrders ?? true,
  });
  const [state, setState] = useState<{ ok: true } | { error: unknown } | null>(null);
  const [busy, setBusy] = useState(false);
  const fieldError = (name: string) =>
    state && 'error' in state && state.error instanceof ApiError && state.error.field?.replace(/^body\./, '') === name
      ? state.error.message
      : undefined;
  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setState(null);
    try {
      await api.send('PATCH', '/v1/shop', {
        body: {
          name: form.name.trim(),
          ...(form.url.trim() ? { url: form.url.trim() } : {}),
          locale: form.locale.trim(),
          timezone: form.timezone.trim(),
          settings: { ignoreTestOrders: form.ignoreTestOrders },
        },
      });
      setState({ ok: true });
      await refreshShop();
    } catch (error) {
      setState({ error });
    } finally {
      setBusy(false);
    }
  };
  const shownAtField = ['name', 'url', 'locale', 'timezone', 'settings.ignoreTestOrders'].some((name) => fieldError(name));
  return (
    <Section title={t.settings.shop}>
      <form onSubmit={save}>
        <div class="form-row">
          <Field label={t.settings.name} error={fieldError('name')}>
            {(props) => (
              <input {...props} name="name" required value={form.name} onInput={(e) => setForm({ ...form, name: e.currentTarget.value })} />
            )}
          </Field>
          <Field label={t.settings.url} hint={t.settings.urlHint} error={fieldError('url')}>
            {(props) => (
              <input
                {...props}
                name="url"
                type="url"
                placeholder="https://"
                value={form.url}
                onInput={(e) => setForm({ ...form, url: e.currentTarget.value })}
              />
            )}
          </Field>
        </div>
        <div class="form-row">
          <Field label={t.settings.locale} hint={t.settings.localeHint} error={fieldError('locale')}>
            {(props) => (
              <input {...props} name="locale" value={form.locale} onInput={(e) => setForm({ ...form, locale: e.currentTarget.value })} />
            )}
          </Field>
          <Field label={t.settings.timezone} hint={t.settings.timezoneHint} error={fieldError('timezone')}>
            {(props) => (
              <input
                {...props}
                name="timezone"
                value={form.timezone}
                onInput={(e) => setForm({ ...form, timezone: e.currentTarget.value })}
              />
            )}
          </Field>
          <Field label={t.settings.currency} hint={t.settings.currencyFixed}>
            {(props) => <input {...props} name="currency" value={shop.currency} readOnly />}
          </Field>
        </div>
        <div class="field field-check">
          <label>
            <input
              type="checkbox"
              name="ignoreTestOrders"
              checked={form.ignoreTestOrders}
              onChange={(e) => setForm({ ...form, ignoreTestOrders: e.currentTarget.checked })}
            />{' '}
            {t.settings.ignoreTestOrders}
          </label>
        </div>
        <button type="submit" disabled={busy}>
          {t.settings.save}
        </button>
      </form>
      {state && 'ok' in state && (
        <p class="notice notice-ok" role="status">
          {t.settings.saved}
        </p>
      )}
      {state && 'error' in state && !shownAtField && <ErrorNotice error={state.error} />}
    </Section>
  );
}

/** The brand's fields the form shows a refusal at (a 400's `brand.<field>`). */
const BRAND_FIELDS = ['logoUrl', 'primaryColor', 'backgroundColor', 'address', 'footer.vi', 'footer.en'] as const;

/** The emails' brand (PATCH /v1/shop {brand}, replaced whole; all empty removes it): what the shop's own emails look like. */
function BrandForm({ brand }: { brand: Brand | null }) {
  const { api, t, refreshShop } = useApp();
  const b = t.brand;
  const [form, setForm] = useState({
    logoUrl: brand?.logoUrl ?? '',
    primaryColor: brand?.primaryColor ?? '',
    backgroundColor: brand?.backgroundColor ?? '',
    address: brand?.address ?? '',
    footerVi: brand?.footer?.vi ?? '',
    footerEn: brand?.footer?.en ?? '',
  });
  const [state, setState] = useState<{ ok: true } | { error: unknown } | null>(null);
  const [busy, setBusy] = useState(false);
  const refusals = messageFieldErrors(state && 'error' in state ? state.error : null, 'brand');
  const at = (field: string) => refusals[field];
  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setState(null);
    const text = (value: string) => value.trim() || undefined;
    const footer = { vi: text(form.footerVi), en: text(form.footerEn) };
    const next = {
      logoUrl: text(form.logoUrl),
      primaryColor: text(form.primaryColor),
      backgroundColor: text(form.backgroundColor),
      address: text(form.address),
      footer: footer.vi || footer.en ? footer : undefined,
    };
    const empty = Object.values(next).every((value) => value === undefined);
    try {
      await api.send('PATCH', '/v1/shop', { body: { brand: empty ? null : next } });
      setState({ ok: true });
      await refreshShop();
    } catch (error) {
      setState({ error });
    } finally {
      setBusy(false);
    }
  };
  const input = (name: keyof typeof form, label: string, hint?: string, field = name as string) => (
    <Field label={label} hint={hint} error={at(field)}>
      {(props) => (
        <input {...props} name={`brand.${name}`} value={form[name]} onInput={(e) => setForm({ ...form, [name]: e.currentTarget.value })} />
      )}
    </Field>
  );
  // A refusal no field shows (the brand as a whole, say) is shown below the form.
  const shownAtField = BRAND_FIELDS.some((field) => at(field));
  return (
    <Section title={b.title} intro={b.intro} id="brand">
      <form onSubmit={save}>
        {input('logoUrl', b.logoUrl, b.logoUrlHint)}
        <div class="form-row">
          {input('primaryColor', b.primaryColor, b.colorHint)}
          {input('backgroundColor', b.backgroundColor, b.colorHint)}
        </div>
        <Field label={b.address} hint={b.addressHint} error={at('address')}>
          {(props) => (
            <textarea
              {...props}
              name="brand.address"
              rows={2}
              value={form.address}
              onInput={(e) => setForm({ ...form, address: e.currentTarget.value })}
            />
          )}
        </Field>
        <div class="form-row">
          {input('footerVi', b.footerVi, b.footerHint, 'footer.vi')}
          {input('footerEn', b.footerEn, b.footerHint, 'footer.en')}
        </div>
        <button type="submit" disabled={busy}>
          {b.save}
        </button>
      </form>
      {state && 'ok' in state && (
        <p class="notice notice-ok" role="status">
          {b.saved}
        </p>
      )}
      {state && 'error' in state && !shownAtField && <ErrorNotice error={state.error} />}
    </Section>
  );
}

function Webhooks() {
  const { t, shop } = useApp();
  const steps: Record<Platform, string[]> = {
    shopify: t.settings.shopifySteps,
    woocommerce: t.settings.wooSteps,
    generic: t.settings.genericSteps,
  };
  const urlOf = (platform: Platform) => shop.full?.webhooks?.[platform] ?? `${location.origin}/webhooks/${platform}/${shop.shopId}`;
  return (
    <Section title={t.settings.webhooks} intro={t.settings.webhooksIntro}>
      {PLATFORMS.map((platform) => (
        <div class="platform" key={platform}>
          <h3>{PLATFORM_NAMES[platform]}</h3>
          {shop.full?.secrets && (
            <p>
              <span class={shop.full.secrets[platform] ? 'badge badge-succeeded' : 'badge badge-queued'}>
                {shop.full.secrets[platform] ? t.settings.secretSet : t.settings.secretUnset}
              </span>
            </p>
          )}
          <div class="url-row">
            <Field label={t.settings.webhookUrl(PLATFORM_NAMES[platform])}>
              {(props) => <input {...props} class="mono" readOnly value={urlOf(platform)} onFocus={(e) => e.currentTarget.select()} />}
            </Field>
            <CopyButton text={urlOf(platform)} label={t.settings.webhookUrl(PLATFORM_NAMES[platform])} />
          </div>
          {!shop.full?.webhooks && <p class="hint">{t.settings.webhookMissing}</p>}
          <ol class="steps">
            {steps[platform].map((step) => (
              <li key={step}>{step}</li>
            ))}
          </ol>
          {shop.full && <SecretForm platform={platform} />}
        </div>
      ))}
    </Section>
  );
}

function SecretForm({ platform }: { platform: Platform }) {
  const { api, t, refreshShop } = useApp();
  const [secret, setSecret] = useState('');
  const [state, setState] = useState<{ ok: true } | { error: unknown } | null>(null);
  const save = async (event: Event) => {
    event.preventDefault();
    if (!secret.trim()) return;
    setState(null);
    try {
      await api.send('PATCH', '/v1/shop', { body: { secrets: { [platform]: secret.trim() } } });
      setSecret('');
      setState({ ok: true });
      await refreshShop();
    } catch (error) {
      setState({ error });
    }
  };
  const error = state && 'error' in state && state.error instanceof ApiError ? state.error : undefined;
  return (
    <form class="toolbar" onSubmit={save}>
      <Field label={t.settings.secretLabel(PLATFORM_NAMES[platform])} hint={t.settings.secretHint} error={error?.message}>
        {(props) => (
          <input {...props} type="password" autocomplete="new-password" value={secret} onInput={(e) => setSecret(e.currentTarget.value)} />
        )}
      </Field>
      <button type="submit" class="button-secondary" disabled={!secret.trim()}>
        {t.settings.saveSecret}
      </button>
      {state && 'ok' in state && (
        <p class="notice notice-ok" role="status">
          {t.settings.saved}
        </p>
      )}
      {state && 'error' in state && !error && <ErrorNotice error={state.error} />}
    </form>
  );
}

function KeyRotation() {
  const { api, t, switchKey } = useApp();
  const [confirming, setConfirming] = useState(false);
  const [newKey, setNewKey] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const rotate = async () => {
    setError(null);
    try {
      const answer = await api.send<{ apiKey: string }>('POST', '/v1/shop/api-keys');
      setConfirming(false);
      setNewKey(answer.apiKey);
      switchKey(answer.apiKey);
    } catch (failure) {
      setConfirming(false);
      setError(failure);
    }
  };
  return (
    <Section title={t.settings.keys} intro={t.settings.keysIntro}>
      {newKey ? (
        <div class="notice notice-ok" role="status">
          <div class="url-row">
            <Field label={t.settings.newKey} hint={t.settings.newKeyHint}>
              {(props) => <input {...props} class="mono" readOnly value={newKey} onFocus={(e) => e.currentTarget.select()} />}
            </Field>
            <CopyButton text={newKey} label={t.settings.newKey} />
          </div>
        </div>
      ) : (
        <button type="button" class="button-danger" onClick={() => setConfirming(true)}>
          {t.settings.rotate}
        </button>
      )}
      {error ? <ErrorNotice error={error} /> : null}
      <Dialog open={confirming} title={t.settings.rotate.replace('…', '')} onClose={() => setConfirming(false)}>
        <p>{t.settings.rotateConfirm}</p>
        <div class="button-row">
          <button type="button" class="button-secondary" onClick={() => setConfirming(false)}>
            {t.app.cancel}
          </button>
          <button type="button" class="button-danger" onClick={rotate}>
            {t.settings.rotateSubmit}
          </button>
        </div>
      </Dialog>
    </Section>
  );
}
