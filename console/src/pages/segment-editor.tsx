import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { currencyExponent } from '../../../shared/domain/money.ts';
import { ApiError } from '../api.ts';
import { useApp, useResource } from '../app-context.ts';
import { markSaved, SegmentCount } from '../components/segment-count.tsx';
import {
  type Issue,
  locate,
  newGroup,
  type RuleNode,
  ruleSegmentsOf,
  segmentIssues,
  slugOf,
  toRule,
  toTree,
  withSegment,
} from '../components/segment-rule.ts';
import { type NodeErrors, RuleTree } from '../components/segment-rule-tree.tsx';
import { ErrorNotice, Field, Loading, PageTitle, Section } from '../components/ui.tsx';
import type { Messages } from '../i18n/index.ts';
import { Link } from '../router.tsx';
import { tierName } from '../shop.ts';
import type { DiffLine, ProgramDocument, RuleSegment } from '../types.ts';
import { DiffTable, diffPrograms } from './program.tsx';

/**
 * A rule segment's editor (`/segments?new`, `/segments?edit={id}`): its name, its id (fixed once
 * saved), and its rule as a tree or as JSON. The segment is saved the way the Program page saves
 * the whole program — PUT /v1/program with the version it was edited from, the changes shown field
 * by field first — because the rule segments are the program's `analytics.segments`. Every problem
 * the API would refuse is marked at its input before anything is sent (segment-rule.ts, held to the
 * server's schema by its unit tests); a 400 the API answers anyway is marked where its `field` points.
 */

export function SegmentEditorPage({ segmentId }: { segmentId: string | null }) {
  const { api, t } = useApp();
  const doc = useResource(() => api.get<ProgramDocument>('/v1/program'), []);
  const original = segmentId && doc.data ? ruleSegmentsOf(doc.data.program).find((s) => s.id === segmentId) : undefined;
  const title = segmentId ? t.segmentEditor.editTitle(original?.name ?? segmentId) : t.segmentEditor.newTitle;
  return (
    <>
      <p class="breadcrumb">
        <Link href="/segments">← {t.segments.back}</Link>
      </p>
      {doc.loading && !doc.data ? (
        <>
          <PageTitle>{title}</PageTitle>
          <Loading />
        </>
      ) : doc.error || !doc.data ? (
        <>
          <PageTitle>{title}</PageTitle>
          <ErrorNotice error={doc.error} onRetry={doc.reload} />
        </>
      ) : segmentId && !original ? (
        <>
          <PageTitle>{title}</PageTitle>
          <p class="notice">{t.segmentEditor.notFound(segmentId)}</p>
        </>
      ) : (
        <SegmentEditor loaded={doc.data} original={original ?? null} />
      )}
    </>
  );
}

interface RuleDraft {
  /** null: the form cannot show the rule (toTree), which is then edited as JSON. */
  tree: RuleNode | null;
  /** What is sent: the tree's rule, or the JSON as parsed. */
  rule: unknown;
  json: string;
  jsonError: string | null;
}

type Saved = { version: number; changes: DiffLine[] };

function SegmentEditor({ loaded, original }: { loaded: ProgramDocument; original: RuleSegment | null }) {
  const { api, t, shop, language } = useApp();
  const units = useMemo(() => ({ exponent: currencyExponent(shop.currency) ?? 2 }), [shop.currency]);
  // The program edits are based on: the one loaded, then each one saved (or reloaded after a conflict) here.
  const [base, setBase] = useState(loaded);
  // The segment's id in `base` once it is there; until then it is new.
  const [savedId, setSavedId] = useState(original?.id ?? null);
  const [name, setName] = useState(original?.name ?? '');
  const [id, setId] = useState(original?.id ?? '');
  const [idEdited, setIdEdited] = useState(original !== null);
  const [draft, setDraft] = useState<RuleDraft>(() => {
    const rule = original?.rule ?? toRule(newGroup('all'), units);
    return fromRule(rule, toTree(rule, units));
  });
  const [view, setView] = useState<'form' | 'json'>(() => (draft.tree ? 'form' : 'json'));
  const [submitted, setSubmitted] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [conflict, setConflict] = useState(false);
  const [other, setOther] = useState<unknown>(null);
  const [saved, setSaved] = useState<Saved | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const result = useRef<HTMLDivElement>(null);
  const [focus, setFocus] = useState<'invalid' | 'result' | null>(null);

  const segments = ruleSegmentsOf(base.program);
  const found = savedId === null ? -1 : segments.findIndex((s) => s.id === savedId);
  // A segment someone deleted while it was edited here comes back at the end, as a new one would.
  const index = found === -1 ? segments.length : found;
  const segment = { id, name: name.trim(), rule: draft.rule };
  const next = useMemo(() => withSegment(base.program, index, segment), [base, index, id, name, draft.rule]);
  const pending = useMemo(() => diffPrograms(base.program, next), [base, next]);
  const issues = useMemo(() => segmentIssues(ruleSegmentsOf(next), index), [next, index]);
  const tiers = base.program.tiers.levels.map((level) => ({ id: level.id, name: tierName(base.program, level.id, language) }));

  useEffect(() => {
    if (focus === 'invalid') form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
    if (focus === 'result') result.current?.focus();
    if (focus) setFocus(null);
  }, [focus]);

  /** Any edit: the draft changes, a saved notice and the last refusal no longer describe it. */
  const edited = () => {
    setSaved(null);
    setError(null);
    setConflict(false);
  };
  const editTree = (tree: RuleNode) => {
    setDraft(fromRule(toRule(tree, units), tree));
    edited();
  };
  const editJson = (json: string) => {
    edited();
    try {
      const rule: unknown = JSON.parse(json);
      setDraft({ tree: toTree(rule, units), rule, json, jsonError: null });
    } catch (failure) {
      setDraft((previous) => ({ ...previous, json, jsonError: (failure as Error).message }));
    }
  };
  const editName = (value: string) => {
    setName(value);
    // A new segment's id follows its name until it is typed in.
    if (!idEdited) setId(slugOf(value));
    edited();
  };

  const save = async (event: Event) => {
    event.preventDefault();
    setSubmitted(true);
    setError(null);
    setOther(null);
    if (draft.jsonError || issues.length > 0) {
      setFocus('invalid');
      return;
    }
    setBusy(true);
    try {
      const answer = await api.send<ProgramDocument & { changes: DiffLine[] }>('PUT', '/v1/program', {
        body: { version: base.version, program: next },
      });
      setBase({ version: answer.version, updatedAt: answer.updatedAt, program: answer.program ?? next });
      setSaved({ version: answer.version, changes: answer.changes });
      setSavedId(segment.id);
      setIdEdited(true);
      setSubmitted(false);
      markSaved(segment.id, answer.updatedAt);
      // A reload opens this segment again, not a new one. (The router is not told: this editor stays as it is.)
      history.replaceState(null, '', `/segments?edit=${encodeURIComponent(segment.id)}`);
      setFocus('result');
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 409) {
        setConflict(true);
        // The program as it is now, with this segment's draft on top: the diff below shows both.
        try {
          setBase(await api.get<ProgramDocument>('/v1/program'));
        } catch (reload) {
          setOther(reload);
        }
      } else if (failure instanceof ApiError && failure.status === 400) {
        setError(failure);
        setFocus('invalid');
      } else setOther(failure);
    } finally {
      setBusy(false);
    }
  };

  // Problems by where they show: the client's after a first Save, the API's refusal as it came.
  const shownTree = view === 'form' ? draft.tree : null;
  const marks = placeProblems(
    [
      ...(submitted ? issues.map((issue) => ({ field: issue.path, message: issueMessage(t, issue) })) : []),
      ...(error?.field ? [{ field: error.field, message: error.message.replace(`${error.field}: `, '') }] : []),
    ],
    index,
    shownTree,
  );
  const refusedElsewhere = error && (!error.field || marks.other.length > 0);

  return (
    <form ref={form} onSubmit={save} noValidate>
      <PageTitle>{savedId ? t.segmentEditor.editTitle(name || savedId) : t.segmentEditor.newTitle}</PageTitle>
      {saved && (
        <div ref={result} tabIndex={-1} class="notice notice-ok segment-saved" role="status">
          <p>{t.program.savedAs(String(saved.version))}</p>
          <SegmentCount key={saved.version} segmentId={segment.id} name={segment.name} />
          <h2 class="h3">{t.program.changes}</h2>
          <DiffTable lines={saved.changes} caption={t.program.changes} />
        </div>
      )}
      {conflict && (
        <div class="notice notice-error" role="alert">
          <p>{t.segmentEditor.conflict}</p>
        </div>
      )}
      {submitted && (issues.length > 0 || draft.jsonError) && (
        <div class="notice notice-error" role="alert">
          <p>{t.segmentEditor.invalid}</p>
          {marks.other.length > 0 && (
            <ul>
              {marks.other.map((message) => (
                <li key={message}>{message}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {error && (
        <div class="notice notice-error" role="alert">
          <p>
            {refusedElsewhere
              ? t.program.invalidOther(error.field ?? 'program', error.message.replace(`${error.field}: `, ''))
              : t.segmentEditor.invalid}
          </p>
        </div>
      )}
      {other ? <ErrorNotice error={other} /> : null}

      <Section title={t.segmentEditor.about}>
        <div class="form-row">
          <Field label={t.segmentEditor.name} hint={t.segmentEditor.nameHint} error={marks.name.join(' ') || undefined}>
            {(props) => <input {...props} value={name} maxLength={200} onInput={(e) => editName(e.currentTarget.value)} />}
          </Field>
          <Field
            label={t.segmentEditor.id}
            hint={savedId ? t.segmentEditor.idFixed : t.segmentEditor.idHint}
            error={marks.id.join(' ') || undefined}
          >
            {(props) => (
              <input
                {...props}
                class="mono"
                value={id}
                readOnly={savedId !== null}
                autocomplete="off"
                spellcheck={false}
                onInput={(e) => {
                  setId(e.currentTarget.value);
                  setIdEdited(true);
                  edited();
                }}
              />
            )}
          </Field>
        </div>
        {savedId && !saved && <SegmentCount segmentId={savedId} name={original?.name ?? name} />}
      </Section>

      <Section title={t.segmentEditor.rule} intro={t.segmentEditor.ruleIntro}>
        <fieldset class="trigger-list">
          <legend class="visually-hidden">{t.segmentEditor.view}</legend>
          {(['form', 'json'] as const).map((option) => (
            <button
              key={option}
              type="button"
              class={view === option ? 'chip chip-on' : 'chip'}
              aria-pressed={view === option}
              onClick={() => {
                setView(option);
                if (option === 'json') setDraft((previous) => ({ ...previous, json: JSON.stringify(previous.rule, null, 2) }));
              }}
            >
              {option === 'form' ? t.segmentEditor.viewForm : t.segmentEditor.viewJson}
            </button>
          ))}
        </fieldset>
        {view === 'form' && draft.tree ? (
          <RuleTree tree={draft.tree} onChange={editTree} errors={marks.nodes} tiers={tiers} />
        ) : (
          <>
            {view === 'form' && <p class="notice">{t.segmentEditor.jsonOnly}</p>}
            <Field
              label={t.segmentEditor.jsonLabel}
              hint={t.segmentEditor.jsonHint}
              error={draft.jsonError ? t.segmentEditor.jsonInvalid(draft.jsonError) : marks.rule.join(' ') || undefined}
            >
              {(props) => (
                <textarea
                  {...props}
                  class="json"
                  rows={14}
                  spellcheck={false}
                  value={draft.json}
                  onInput={(e) => editJson(e.currentTarget.value)}
                />
              )}
            </Field>
          </>
        )}
      </Section>

      <Section title={t.program.pending}>
        {pending.length === 0 ? <p class="muted">{t.program.pendingNone}</p> : <DiffTable lines={pending} caption={t.program.pending} />}
        <div class="button-row">
          <button type="submit" disabled={busy || pending.length === 0}>
            {busy ? t.program.saving : t.segmentEditor.save}
          </button>
        </div>
      </Section>
    </form>
  );
}

function fromRule(rule: unknown, tree: RuleNode | null): RuleDraft {
  return { tree, rule, json: JSON.stringify(rule, null, 2), jsonError: null };
}

export function issueMessage(t: Messages, issue: Issue): string {
  const messages = t.segmentEditor.issues;
  const message = messages[issue.code];
  return typeof message === 'function' ? message(issue.detail ?? '') : message;
}

/**
 * Problems (the client's and the API's, each an API `field` and a message) by the place they show:
 * the id, the name, a node of the tree, the JSON (while the rule is edited as JSON) or elsewhere.
 */
function placeProblems(problems: Array<{ field: string; message: string }>, index: number, tree: RuleNode | null) {
  const placed = { id: [] as string[], name: [] as string[], rule: [] as string[], other: [] as string[], nodes: new Map() as NodeErrors };
  for (const { field, message } of problems) {
    const where = locate(field, index, tree);
    if (where.where === 'id' || where.where === 'name') placed[where.where].push(message);
    else if (where.where === 'rule') placed.rule.push(`${where.path}: ${message}`);
    else if (where.where === 'other') placed.other.push(message);
    else placed.nodes.set(where.key, [...(placed.nodes.get(where.key) ?? []), { input: where.input, message }]);
  }
  return placed;
}
