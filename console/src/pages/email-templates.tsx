import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import { useApp, useResource } from '../app-context.ts';
import { type EditorMessage, MessageEditor, messageForApi, type RenderedMessage } from '../components/message-editor.tsx';
import { Dialog, ErrorNotice, Loading, PageTitle, Section } from '../components/ui.tsx';
import type { Language } from '../i18n/index.ts';
import { blank, MESSAGE_LANGUAGES } from '../message.ts';
import { Link, navigate, useLocation } from '../router.tsx';
import { TEMPLATE_TRIGGERS } from '../triggers.ts';

/**
 * The shop's own copy of each trigger email (GET /v1/emails/templates, PUT|DELETE
 * /v1/emails/templates/{trigger}): the built-in copy until the shop writes one, the editor with the
 * trigger's variables and a live preview for a real customer, save and back to the built-in copy.
 *
 * Two people editing one email: each save sends `If-Match` with the revision the editor was opened
 * at; a 409 (someone else's newer copy) is said so, the edits kept on the page.
 */

interface SavedTemplate {
  subject: Partial<Record<Language, string>>;
  body: Partial<Record<Language, string>>;
  revision: number;
  updatedAt: string;
}

export interface EmailTemplateRow {
  trigger: string;
  marketing: boolean;
  variables: string[];
  /** Revisions of this trigger's copy so far, deletions included (0: never written); what `If-Match` sends. */
  revision?: number;
  template: SavedTemplate | null;
}

export interface EmailTemplatesAnswer {
  templates: EmailTemplateRow[];
  variables: Record<string, string>;
}

const emptyMessage = (): EditorMessage => ({ subject: {}, body: {} });
const messageOf = (template: SavedTemplate | null): EditorMessage =>
  template ? { subject: { ...template.subject }, body: { ...template.body } } : emptyMessage();
const same = (a: EditorMessage, b: EditorMessage) => JSON.stringify(messageForApi(a)) === JSON.stringify(messageForApi(b));
/** The revision a save must find: the row's counter, or the copy's own from a server that counts no deletions. */
const revisionOf = (row: EmailTemplateRow) => row.revision ?? row.template?.revision ?? 0;

export function EmailTemplatesPage() {
  const { api, t } = useApp();
  const { search } = useLocation();
  const list = useResource(() => api.get<EmailTemplatesAnswer>('/v1/emails/templates'), []);
  const chosen = search.get('trigger');
  const trigger = chosen && TEMPLATE_TRIGGERS.includes(chosen as (typeof TEMPLATE_TRIGGERS)[number]) ? chosen : 'welcome';
  const row = list.data?.templates.find((each) => each.trigger === trigger);
  const label = (name: string) => t.triggers[name as keyof typeof t.triggers] ?? name;
  return (
    <>
      <PageTitle actions={<Link href="/emails">{t.emailTemplates.back}</Link>}>{t.emailTemplates.title}</PageTitle>
      <Section title={label(trigger)} intro={t.emailTemplates.intro}>
        <fieldset class="trigger-list">
          <legend class="visually-hidden">{t.emailTemplates.trigger}</legend>
          {TEMPLATE_TRIGGERS.map((name) => {
            const mine = list.data?.templates.find((each) => each.trigger === name)?.template;
            return (
              <button
                key={name}
                type="button"
                class={name === trigger ? 'chip chip-on' : 'chip'}
                aria-pressed={name === trigger}
                onClick={() => navigate(`/emails/templates?trigger=${name}`, { replace: true })}
              >
                {label(name)}
                {mine ? ` · ${t.emailTemplates.yours}` : ''}
              </button>
            );
          })}
        </fieldset>
        {list.loading && !list.data ? (
          <Loading />
        ) : list.error ? (
          <ErrorNotice error={list.error} route="GET /v1/emails/templates" onRetry={list.reload} />
        ) : (
          row && list.data && <TemplateForm key={trigger} row={row} descriptions={list.data.variables} onSaved={list.reload} />
        )}
      </Section>
    </>
  );
}

function TemplateForm({ row, descriptions, onSaved }: { row: EmailTemplateRow; descriptions: Record<string, string>; onSaved(): void }) {
  const { api, t, fmt, language } = useApp();
  const e = t.emailTemplates;
  const [message, setMessage] = useState<EditorMessage>(() => messageOf(row.template));
  const [busy, setBusy] = useState(false);
  /** The outcome of the last save or removal; `of`: the words a refusal was about. */
  const [state, setState] = useState<{ done: 'saved' | 'restored' } | { error: unknown; of?: EditorMessage } | null>(null);
  const [confirming, setConfirming] = useState(false);
  const changed = !same(message, messageOf(row.template));
  const revision = String(revisionOf(row));
  // After "Reload" (a conflict), the words shown become the copy now saved, someone else's.
  const [takeSaved, setTakeSaved] = useState(false);
  useEffect(() => {
    if (!takeSaved) return;
    setTakeSaved(false);
    setMessage(messageOf(row.template));
    setState(null);
  }, [revision]);

  // Leaving with unsaved words asks first (the browser's own prompt).
  useEffect(() => {
    if (!changed) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    addEventListener('beforeunload', warn);
    return () => removeEventListener('beforeunload', warn);
  }, [changed]);

  const path = `/v1/emails/templates/${row.trigger}`;
  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setState(null);
    const sent = message;
    try {
      await api.send('PUT', path, { body: messageForApi(sent), headers: { 'if-match': `"${revision}"` } });
      setState({ done: 'saved' });
      onSaved();
    } catch (error) {
      setState({ error, of: sent });
    } finally {
      setBusy(false);
    }
  };
  const restore = async () => {
    setConfirming(false);
    setBusy(true);
    setState(null);
    try {
      await api.send('DELETE', path, { headers: { 'if-match': `"${revision}"` } });
      setMessage(emptyMessage());
      setState({ done: 'restored' });
      onSaved();
    } catch (error) {
      setState({ error });
    } finally {
      setBusy(false);
    }
  };

  const preview = (draft: EditorMessage, customerId: string, shown: Language) =>
    api.send<RenderedMessage>('POST', '/v1/emails/preview', {
      body: { customerId, trigger: row.trigger, message: draft, language: shown },
    });
  const builtIn = (customerId: string, shown: Language) =>
    api.get<RenderedMessage>('/v1/emails/preview', { customerId, trigger: row.trigger, format: 'json', language: shown, copy: 'builtin' });

  const error = state && 'error' in state ? state.error : null;
  const conflict = error instanceof ApiError && error.status === 409;
  // A refusal answered after the words changed is of words no longer there: the live preview checks the new ones.
  const refused = error instanceof ApiError && error.status === 400 && state && 'of' in state && state.of === message;
  const nothing = MESSAGE_LANGUAGES.every((each) => blank(message, each));
  return (
    <form onSubmit={save} class="template-form">
      <p class="muted">{row.marketing ? e.marketing : e.transactional}</p>
      <p role="status">
        {row.template ? e.yourCopy(fmt.number(row.template.revision), fmt.dateTime(row.template.updatedAt)) : e.builtInInUse}
        {changed && <span class="badge badge-queued"> {e.unsaved}</span>}
      </p>
      <MessageEditor
        message={message}
        onChange={(next) => {
          setMessage(next);
          if (state && 'done' in state) setState(null);
        }}
        variables={row.variables}
        descriptions={descriptions}
        preview={preview}
        fallback={builtIn}
        fieldPrefix={`templates.${row.trigger}`}
        error={refused ? error : null}
        initialLanguage={language}
      />
      <div class="button-row">
        <button type="submit" disabled={busy || !changed || nothing}>
          {busy ? e.saving : e.save}
        </button>
        {changed && (
          <button type="button" class="button-secondary" disabled={busy} onClick={() => setMessage(messageOf(row.template))}>
            {e.discard}
          </button>
        )}
        {row.template && (
          <button type="button" class="button-danger" disabled={busy} onClick={() => setConfirming(true)}>
            {e.restore}
          </button>
        )}
      </div>
      {nothing && changed && <p class="hint">{e.empty}</p>}
      {state && 'done' in state && (
        <p class="notice notice-ok" role="status">
          {state.done === 'saved' ? e.saved : e.restored}
        </p>
      )}
      {conflict && (
        <div class="notice notice-error" role="alert">
          <p>{e.conflict}</p>
          <button
            type="button"
            class="button-secondary"
            onClick={() => {
              setTakeSaved(true);
              onSaved();
            }}
          >
            {e.reload}
          </button>
        </div>
      )}
      {error && !conflict && !(error instanceof ApiError && error.status === 400) ? <ErrorNotice error={error} /> : null}
      <Dialog open={confirming} title={e.restoreTitle} onClose={() => setConfirming(false)}>
        <p>{e.restoreConfirm}</p>
        <div class="button-row">
          <button type="button" class="button-secondary" onClick={() => setConfirming(false)}>
            {t.app.cancel}
          </button>
          <button type="button" class="button-danger" onClick={restore}>
            {e.restoreSubmit}
          </button>
        </div>
      </Dialog>
    </form>
  );
}
