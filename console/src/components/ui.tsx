import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError, isMissingRoute } from '../api.ts';
import { useApp } from '../app-context.ts';

export function Loading() {
  const { t } = useApp();
  return (
    <p class="muted" role="status">
      {t.app.loading}
    </p>
  );
}

/** An error as a person reads it: a route the server lacks says so; anything else shows the API's message. */
export function ErrorNotice({ error, route, onRetry }: { error: unknown; route?: string; onRetry?: () => void }) {
  const { t } = useApp();
  const missing = isMissingRoute(error);
  const message = missing
    ? t.app.missingRoute(route ?? (error as ApiError).message.replace(/^No route for /, ''))
    : error instanceof ApiError || error instanceof Error
      ? error.message
      : String(error);
  return (
    <div class={missing ? 'notice' : 'notice notice-error'} role={missing ? 'status' : 'alert'}>
      <p>{message}</p>
      {onRetry && !missing && (
        <button type="button" class="button-secondary" onClick={onRetry}>
          {t.app.retry}
        </button>
      )}
    </div>
  );
}

interface FieldProps {
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
  children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) => ComponentChildren;
}

/** A labelled control with its hint and its error, tied to it for screen readers. */
export function Field({ label, hint, error, children }: FieldProps) {
  const id = useId();
  const described = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ');
  return (
    <div class={error ? 'field field-invalid' : 'field'}>
      <label for={id}>{label}</label>
      {children({ id, ...(described ? { 'aria-describedby': described } : {}), ...(error ? { 'aria-invalid': true } : {}) })}
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const { t } = useApp();
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
    setTimeout(() => setState('idle'), 2500);
  };
  return (
    <span class="copy">
      <button type="button" class="button-secondary button-small" onClick={copy} aria-label={`${t.app.copy}: ${label}`}>
        {state === 'copied' ? t.app.copied : t.app.copy}
      </button>
      <span role="status" class="visually-hidden">
        {state === 'copied' ? t.app.copied : state === 'failed' ? t.app.copyFailed : ''}
      </span>
      {state === 'failed' && <span class="field-error">{t.app.copyFailed}</span>}
    </span>
  );
}

/** A modal on the native <dialog>: focus is kept inside, Escape closes it. */
export function Dialog({
  open,
  title,
  onClose,
  children,
}: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby={titleId} onClose={onClose} class="dialog">
      <h2 id={titleId}>{title}</h2>
      {open && children}
    </dialog>
  );
}

export function Stat({ label, value, detail }: { label: string; value: ComponentChildren; detail?: ComponentChildren }) {
  return (
    <div class="stat">
      <dt>{label}</dt>
      <dd>
        <span class="stat-value">{value}</span>
        {detail && <span class="stat-detail">{detail}</span>}
      </dd>
    </div>
  );
}

/** A definition list of facts: label → value. */
export function Facts({ rows }: { rows: Array<[string, ComponentChildren]> }) {
  return (
    <dl class="facts">
      {rows.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The page's heading: focused after each navigation so a screen reader announces the new page. */
export function PageTitle({ children, actions }: { children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <div class="page-title">
      <h1 tabIndex={-1}>{children}</h1>
      {actions && <div class="page-actions">{actions}</div>}
    </div>
  );
}

export function Section({
  title,
  children,
  intro,
  id,
}: {
  title: string;
  children: ComponentChildren;
  intro?: ComponentChildren;
  id?: string;
}) {
  const headingId = useId();
  return (
    <section class="card" aria-labelledby={headingId} id={id}>
      <h2 id={headingId}>{title}</h2>
      {intro && <p class="muted">{intro}</p>}
      {children}
    </section>
  );
}

/**
 * Cursor paging under a table: back to the first page, and on to the next while the API names a
 * cursor. `cursors` are the pages already passed (the one shown is the last's).
 */
export function Pager({ cursors, next, onChange }: { cursors: string[]; next: string | undefined; onChange: (cursors: string[]) => void }) {
  const { t } = useApp();
  return (
    <div class="pager">
      {cursors.length > 0 && (
        <button type="button" class="button-secondary" onClick={() => onChange([])}>
          {t.app.first}
        </button>
      )}
      {next && (
        <button type="button" class="button-secondary" onClick={() => onChange([...cursors, next])}>
          {t.app.next}
        </button>
      )}
    </div>
  );
}
