import { useEffect, useState } from 'preact/hooks';
import { isMissingRoute } from '../api.ts';
import { useApp, useResource } from '../app-context.ts';
import { type Columns, DataTable } from '../components/table.tsx';
import { ErrorNotice, Field, Loading, PageTitle, Section } from '../components/ui.tsx';
import { listCustomers } from '../customer-list.ts';
import type { Language } from '../i18n/index.ts';
import { Link, navigate, useLocation } from '../router.tsx';
import { TRIGGERS } from '../triggers.ts';
import type { EmailLogRow, Page } from '../types.ts';
import { EmailFrame } from './customer.tsx';

const LANGUAGES: Language[] = ['vi', 'en'];

export function EmailsPage() {
  const { t } = useApp();
  return (
    <>
      <PageTitle actions={<Link href="/emails/templates">{t.emailTemplates.open}</Link>}>{t.emails.title}</PageTitle>
      <Previews />
      <SendLog />
    </>
  );
}

function Previews() {
  const { api, t } = useApp();
  const { search } = useLocation();
  const chosen = search.get('customer') ?? '';
  const [draft, setDraft] = useState(chosen);
  const [trigger, setTrigger] = useState<string>(TRIGGERS[0]);

  // With no customer named, the most recent one is a good example (when the server can list them).
  useEffect(() => {
    if (chosen) return;
    listCustomers(api, { limit: 1, sort: 'lastOrderAt' }).then(
      (page) => {
        const first = page.items[0]?.customerId;
        if (first) navigate(`/emails?customer=${first}`, { replace: true });
      },
      () => undefined,
    );
  }, [api, chosen]);
  useEffect(() => setDraft(chosen), [chosen]);

  const label = (name: string) => t.triggers[name as keyof typeof t.triggers] ?? name;
  return (
    <Section title={t.emails.previews} intro={t.emails.previewsIntro}>
      <form
        class="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          navigate(`/emails?customer=${encodeURIComponent(draft.trim())}`, { replace: true });
        }}
      >
        <Field label={t.emails.customer} hint={t.emails.customerHint}>
          {(props) => <input {...props} name="customerId" class="mono" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />}
        </Field>
        <button type="submit">{t.emails.show}</button>
      </form>
      {chosen && (
        <>
          <p>
            <Link href={`/customers/${chosen}`}>{chosen}</Link>
          </p>
          <fieldset class="trigger-list">
            <legend class="visually-hidden">{t.emails.trigger}</legend>
            {TRIGGERS.map((name) => (
              <button
                key={name}
                type="button"
                class={name === trigger ? 'chip chip-on' : 'chip'}
                aria-pressed={name === trigger}
                onClick={() => setTrigger(name)}
              >
                {label(name)}
              </button>
            ))}
          </fieldset>
          <div class="grid-2">
            {LANGUAGES.map((language) => (
              <LanguagePreview
                key={`${chosen}-${trigger}-${language}`}
                customerId={chosen}
                trigger={trigger}
                language={language}
                triggerLabel={label(trigger)}
              />
            ))}
          </div>
        </>
      )}
    </Section>
  );
}

/**
 * One email in one language (the preview's `language`). A server older than that parameter answers
 * in the customer's language: when the answer's Content-Language differs the page says so instead
 * of pretending.
 */
function LanguagePreview({
  customerId,
  trigger,
  language,
  triggerLabel,
}: {
  customerId: string;
  trigger: string;
  language: Language;
  triggerLabel: string;
}) {
  const { api, t } = useApp();
  const preview = useResource(
    () => api.raw('/v1/emails/preview', { customerId, trigger, format: 'html', language }),
    [customerId, trigger, language],
  );
  const got = preview.data?.headers.get('content-language') ?? null;
  const names: Record<string, string> = { en: t.language.en, vi: t.language.vi };
  const gotLanguage = got ? (got.toLowerCase().startsWith('vi') ? 'vi' : 'en') : null;
  return (
    <div class="preview">
      <h3>
        {triggerLabel} · {names[language]}
      </h3>
      {preview.loading ? (
        <Loading />
      ) : preview.error ? (
        <ErrorNotice error={preview.error} />
      ) : (
        preview.data && (
          <>
            {gotLanguage && gotLanguage !== language && (
              <p class="notice">{t.emails.languageNote(names[language] ?? language, names[gotLanguage] ?? got ?? '')}</p>
            )}
            <EmailFrame html={preview.data.text} title={`${triggerLabel} · ${names[language]}`} />
          </>
        )
      )}
    </div>
  );
}

function SendLog() {
  const { api, t, fmt } = useApp();
  const [trigger, setTrigger] = useState('');
  const [status, setStatus] = useState('');
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [rows, setRows] = useState<EmailLogRow[]>([]);
  const log = useResource(async () => {
    const page = await api.get<Page<EmailLogRow>>('/v1/emails', { trigger, status, cursor });
    setRows((previous) => (cursor ? [...previous, ...page.items] : page.items));
    return page;
  }, [trigger, status, cursor]);
  const when = (row: EmailLogRow) => String(row.at ?? row.sentAt ?? row.updatedAt ?? '');
  const columns: Columns<EmailLogRow> = [
    { id: 'at', header: t.emails.when, accessorFn: when, cell: (c) => fmt.dateTime(c.getValue<string>()) },
    {
      accessorKey: 'customerId',
      header: t.emails.customerColumn,
      cell: (c) => <Link href={`/customers/${c.getValue<string>()}`}>{c.getValue<string>()}</Link>,
    },
    {
      accessorKey: 'trigger',
      header: t.emails.trigger,
      cell: (c) => t.triggers[c.getValue<string>() as keyof typeof t.triggers] ?? c.getValue<string>(),
    },
    {
      accessorKey: 'status',
      header: t.emails.status,
      cell: (c) => (
        <span class={`badge badge-${c.getValue<string>()}`}>{t.emails.statuses[c.getValue<string>()] ?? c.getValue<string>()}</span>
      ),
    },
    {
      id: 'reason',
      header: t.emails.reason,
      accessorFn: (row) => {
        const reason = String(row.reason ?? row.skipReason ?? '');
        return t.emails.reasons[reason] ?? reason;
      },
    },
  ];
  return (
    <Section title={t.emails.log} intro={t.emails.logIntro}>
      <form class="toolbar" onSubmit={(event) => event.preventDefault()}>
        <Field label={t.emails.trigger}>
          {(props) => (
            <select
              {...props}
              value={trigger}
              onChange={(e) => {
                setCursor(undefined);
                setTrigger(e.currentTarget.value);
              }}
            >
              <option value="">{t.emails.any}</option>
              {TRIGGERS.map((name) => (
                <option key={name} value={name}>
                  {t.triggers[name]}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t.emails.status}>
          {(props) => (
            <select
              {...props}
              value={status}
              onChange={(e) => {
                setCursor(undefined);
                setStatus(e.currentTarget.value);
              }}
            >
              <option value="">{t.emails.any}</option>
              {['sent', 'skipped', 'bounced', 'complained'].map((name) => (
                <option key={name} value={name}>
                  {t.emails.statuses[name]}
                </option>
              ))}
            </select>
          )}
        </Field>
      </form>
      {log.error ? (
        isMissingRoute(log.error) ? (
          <p class="notice">{t.app.missingRoute('GET /v1/emails')}</p>
        ) : (
          <ErrorNotice error={log.error} onRetry={log.reload} />
        )
      ) : log.loading && rows.length === 0 ? (
        <Loading />
      ) : rows.length === 0 ? (
        <p class="muted">{t.emails.logEmpty}</p>
      ) : (
        <DataTable
          caption={t.emails.log}
          columns={columns}
          data={rows}
          rowKey={(row) => String(row.sendId ?? `${when(row)}|${row.customerId}|${row.trigger}|${row.status}`)}
        />
      )}
      {log.data?.cursor && (
        <div class="pager">
          <button type="button" class="button-secondary" disabled={log.loading} onClick={() => setCursor(log.data?.cursor)}>
            {t.app.more}
          </button>
        </div>
      )}
    </Section>
  );
}
