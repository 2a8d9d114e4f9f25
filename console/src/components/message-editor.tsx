import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import { useApp } from '../app-context.ts';
import { listCustomers } from '../customer-list.ts';
import type { Language } from '../i18n/index.ts';
import { blank, type EditorMessage, MESSAGE_LANGUAGES, messageFieldErrors, messageForApi } from '../message.ts';
import type { CustomerRow } from '../types.ts';
import { ErrorNotice, Field, Loading } from './ui.tsx';

// What the pages that hold an editor give it, send and read back; the rest of message.ts is imported from there.
export { type EditorMessage, messageFieldErrors, messageForApi, SHOP_MESSAGE_VARIABLES } from '../message.ts';

/**
 * The editor of an email the shop writes: a subject and an HTML body per language in Liquid, the
 * variables the message may use (inserted at the cursor), and a live preview for a real customer
 * picked from the customer list. Used for a trigger's copy (pages/email-templates.tsx) and meant for
 * a flow's or a campaign's message: the page owns loading and saving, the editor only the words.
 *
 * A refusal is shown at the field the API's 400 names (`error.fields`, or `error.field` from an
 * older server): `${fieldPrefix}.body.vi` at the Vietnamese body; a field outside the message
 * (`brand.address`) above the editor. The preview's own refusals show the same way as one types.
 */

export interface RenderedMessage {
  subject: string;
  html: string;
  /** The language rendered (the API's `locale`, `vi` or `en`, maybe with a region). */
  locale?: string;
}

export interface MessageEditorProps {
  message: EditorMessage;
  onChange(message: EditorMessage): void;
  /** The variables the message may use (`customer.first_name`…), in the order shown. */
  variables: readonly string[];
  /** What each variable holds (GET /v1/emails/templates's `variables`). */
  descriptions?: Readonly<Record<string, string>>;
  /** Renders the message as it stands for a customer, in a language (POST /v1/emails/preview, a campaign's preview…); a 400 is shown at its fields. */
  preview(message: EditorMessage, customerId: string, language: Language): Promise<RenderedMessage>;
  /** What goes out in a language the message leaves empty (a trigger's built-in copy); without it, the preview says nothing is sent. */
  fallback?: (customerId: string, language: Language) => Promise<RenderedMessage>;
  /** Where the message sits in the API's field names: `templates.win_back` for PUT /v1/emails/templates/win_back. */
  fieldPrefix: string;
  /** The last refusal of a save (an ApiError), shown at its fields; null after a good save. */
  error?: unknown;
  /** The language shown first (the shop's own). */
  initialLanguage?: Language;
}

type Part = 'subject' | 'body';

export function MessageEditor(props: MessageEditorProps) {
  const { t } = useApp();
  const m = t.messageEditor;
  const [language, setLanguage] = useState<Language>(props.initialLanguage ?? 'vi');
  const focused = useRef<{ part: Part; element: HTMLInputElement | HTMLTextAreaElement } | null>(null);
  const inputs = useRef<Partial<Record<Part, HTMLInputElement | HTMLTextAreaElement | null>>>({});
  const [previewError, setPreviewError] = useState<unknown>(null);

  const saved = messageFieldErrors(props.error, props.fieldPrefix);
  const previewed = messageFieldErrors(previewError, props.fieldPrefix);
  const errorAt = (name: string) => saved[name] ?? previewed[name];
  const outside = Object.entries({ ...previewed, ...saved }).filter(([name]) => !/^(subject|body)\.(vi|en)$/.test(name));

  const set = (part: Part, value: string) =>
    props.onChange({ ...props.message, [part]: { ...props.message[part], [language]: value } } as EditorMessage);

  /** `{{ name }}` at the cursor of the field last used (the body when none was). */
  const insert = (name: string) => {
    const part = focused.current?.part ?? 'body';
    const element = inputs.current[part];
    const current = props.message[part][language] ?? '';
    const snippet = `{{ ${name} }}`;
    const start = element?.selectionStart ?? current.length;
    const end = element?.selectionEnd ?? current.length;
    set(part, current.slice(0, start) + snippet + current.slice(end));
    requestAnimationFrame(() => {
      element?.focus();
      element?.setSelectionRange(start + snippet.length, start + snippet.length);
    });
  };

  const names: Record<Language, string> = { vi: t.language.vi, en: t.language.en };
  return (
    <div class="message-editor">
      {outside.length > 0 && (
        <div class="notice notice-error" role="alert">
          {outside.map(([name, text]) => (
            <p key={name}>{name === 'brand.address' ? m.needsAddress : `${name}: ${text}`}</p>
          ))}
        </div>
      )}
      <div class="message-languages" role="tablist" aria-label={m.languages}>
        {MESSAGE_LANGUAGES.map((each) => {
          const invalid = Boolean(errorAt(`subject.${each}`) ?? errorAt(`body.${each}`));
          return (
            <button
              key={each}
              type="button"
              role="tab"
              aria-selected={each === language}
              class={each === language ? 'chip chip-on' : 'chip'}
              onClick={() => setLanguage(each)}
            >
              {names[each]}
              {blank(props.message, each) ? ` · ${m.notWritten}` : ''}
              {invalid ? ' ⚠' : ''}
            </button>
          );
        })}
      </div>
      <div class="grid-2 message-panes">
        <div role="tabpanel" aria-label={names[language]}>
          <Field label={m.subject(names[language])} error={errorAt(`subject.${language}`)}>
            {(field) => (
              <input
                {...field}
                ref={(element) => {
                  inputs.current.subject = element;
                }}
                name={`subject.${language}`}
                maxLength={200}
                value={props.message.subject[language] ?? ''}
                onFocus={(e) => {
                  focused.current = { part: 'subject', element: e.currentTarget };
                }}
                onInput={(e) => set('subject', e.currentTarget.value)}
              />
            )}
          </Field>
          <Field label={m.body(names[language])} hint={m.bodyHint} error={errorAt(`body.${language}`)}>
            {(field) => (
              <textarea
                {...field}
                ref={(element) => {
                  inputs.current.body = element;
                }}
                name={`body.${language}`}
                class="mono message-body"
                rows={14}
                maxLength={20_000}
                spellcheck={false}
                value={props.message.body[language] ?? ''}
                onFocus={(e) => {
                  focused.current = { part: 'body', element: e.currentTarget };
                }}
                onInput={(e) => set('body', e.currentTarget.value)}
              />
            )}
          </Field>
          <Variables names={props.variables} descriptions={props.descriptions ?? {}} onInsert={insert} />
        </div>
        <MessagePreview
          message={props.message}
          language={language}
          languageName={names[language]}
          preview={props.preview}
          fallback={props.fallback}
          onRefused={setPreviewError}
        />
      </div>
    </div>
  );
}

function Variables({
  names,
  descriptions,
  onInsert,
}: {
  names: readonly string[];
  descriptions: Readonly<Record<string, string>>;
  onInsert(name: string): void;
}) {
  const { t } = useApp();
  return (
    <details class="message-variables" open>
      <summary>{t.messageEditor.variables}</summary>
      <p class="hint">{t.messageEditor.variablesHint}</p>
      <ul class="plain-list">
        {names.map((name) => (
          <li key={name}>
            <button
              type="button"
              class="button-secondary button-small mono"
              onClick={() => onInsert(name)}
              aria-label={t.messageEditor.insert(name)}
            >
              {`{{ ${name} }}`}
            </button>{' '}
            <span class="muted">{t.messageEditor.descriptions[name] ?? descriptions[name] ?? ''}</span>
          </li>
        ))}
      </ul>
    </details>
  );
}

/** The customer last previewed, kept while the console is open: moving to another email keeps them. */
const remembered = { search: '', customerId: '' };

/** How long typing pauses before the preview is asked for again. */
const PREVIEW_DELAY_MS = 400;

function MessagePreview({
  message,
  language,
  languageName,
  preview,
  fallback,
  onRefused,
}: {
  message: EditorMessage;
  language: Language;
  languageName: string;
  preview: MessageEditorProps['preview'];
  fallback: MessageEditorProps['fallback'];
  onRefused(error: unknown): void;
}) {
  const { api, t } = useApp();
  const m = t.messageEditor;
  const [customers, setCustomers] = useState<CustomerRow[] | null>(null);
  const [listError, setListError] = useState<unknown>(null);
  const [search, setSearch] = useState(remembered.search);
  const [customerId, setCustomerId] = useState(remembered.customerId);
  remembered.search = search;
  remembered.customerId = customerId;
  const [state, setState] = useState<{ rendered?: RenderedMessage; builtIn?: boolean; error?: unknown; loading: boolean }>({
    loading: false,
  });
  const ticket = useRef(0);

  // The most recent buyers (the list as of the last run), or those a search finds (a name, an email, a phone: found at once).
  useEffect(() => {
    const q = search.trim();
    const timer = setTimeout(
      () =>
        listCustomers(api, q ? { limit: 25, q } : { limit: 25, sort: 'lastOrderAt' }).then(
          (page) => {
            setListError(null);
            setCustomers(page.items);
            setCustomerId((current) =>
              page.items.some((row) => row.customerId === current) ? current : page.items[0]?.customerId || current,
            );
          },
          (error: unknown) => setListError(error),
        ),
      q ? PREVIEW_DELAY_MS : 0,
    );
    return () => clearTimeout(timer);
  }, [api, search]);

  const written = !blank(message, language);
  const key = JSON.stringify([messageForApi(message), customerId, language]);
  useEffect(() => {
    if (!customerId) return;
    const mine = ++ticket.current;
    setState((previous) => ({ ...previous, loading: true }));
    const timer = setTimeout(
      () => {
        const rendering = written
          ? preview(messageForApi(message), customerId, language)
          : fallback
            ? fallback(customerId, language)
            : Promise.resolve(undefined);
        rendering.then(
          (rendered) => {
            if (mine !== ticket.current) return;
            onRefused(null);
            setState({ ...(rendered ? { rendered } : {}), builtIn: !written, loading: false });
          },
          (error: unknown) => {
            if (mine !== ticket.current) return;
            // A refusal is shown at its fields; the last good preview stays until the words are fixed.
            if (error instanceof ApiError && error.status === 400) onRefused(error);
            setState((previous) => ({ ...previous, error, loading: false }));
          },
        );
      },
      written ? PREVIEW_DELAY_MS : 0,
    );
    return () => clearTimeout(timer);
    // `key` stands for the message, the customer and the language; the functions change every render.
  }, [key]);

  const refused = state.error instanceof ApiError && state.error.status === 400;
  return (
    <div class="message-preview" aria-busy={state.loading}>
      <div class="form-row">
        <Field label={m.findCustomer} hint={m.findCustomerHint}>
          {(field) => (
            <input {...field} type="search" name="previewSearch" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
          )}
        </Field>
        <Field label={m.customer} hint={m.customerHint}>
          {(field) => (
            <select
              {...field}
              name="previewCustomer"
              value={customerId}
              disabled={!customers || customers.length === 0}
              onChange={(e) => setCustomerId(e.currentTarget.value)}
            >
              {(customers ?? []).map((row) => (
                <option key={row.customerId} value={row.customerId}>
                  {row.name || row.email || row.customerId}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      {listError ? <ErrorNotice error={listError} /> : customers?.length === 0 ? <p class="hint">{m.noneFound}</p> : null}
      <h3>{m.previewTitle(languageName)}</h3>
      {!customerId ? (
        <p class="muted">{m.pickCustomer}</p>
      ) : state.loading && !state.rendered ? (
        <Loading />
      ) : state.error && !refused ? (
        <ErrorNotice error={state.error} />
      ) : refused && !state.rendered ? (
        <p class="notice notice-error" role="status">
          {m.previewStale}
        </p>
      ) : state.rendered ? (
        <>
          {refused && (
            <p class="notice notice-error" role="status">
              {m.previewStale}
            </p>
          )}
          {state.builtIn && <p class="notice">{m.builtInShown(languageName)}</p>}
          <p class="message-subject">
            <span class="muted">{m.subjectLabel}</span> <strong>{state.rendered.subject}</strong>
          </p>
          <iframe class="email-frame" sandbox="" srcdoc={state.rendered.html} title={m.previewTitle(languageName)} />
        </>
      ) : (
        !written && <p class="muted">{m.nothingSent(languageName)}</p>
      )}
    </div>
  );
}
