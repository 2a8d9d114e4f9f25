import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import { useApp, useResource } from '../app-context.ts';
import { type Columns, DataTable } from '../components/table.tsx';
import { ErrorNotice, Field, Loading, Pager, PageTitle, Section } from '../components/ui.tsx';
import type { DiffLine, Program, ProgramDocument, TierLevel } from '../types.ts';
import { BacktestRow } from './program-backtest.tsx';
import { ActivitiesEditor, BonusesEditor } from './program-earning.tsx';
import { FlowsEditor } from './program-flows.tsx';

/** Lists diffed by their entries' id, as the server does (shared/loyalty/program.ts KEYED_LISTS). */
const KEYED_LISTS: Readonly<Record<string, string>> = { activities: 'activity', bonuses: 'id', flows: 'id' };

const keyedEntries = (list: unknown[], key: string) =>
  Object.fromEntries(list.map((entry, i) => [String((entry as Record<string, unknown> | null)?.[key] ?? i), entry]));

/**
 * What changes between two programs, field by field (arrays by index, activities, bonus rules and
 * flows by id), in the paths the API uses (`tiers.levels[1].threshold`, `bonuses[tet-week].multiplier`). The
 * same walk as shared/loyalty/program.ts diffPrograms, which cannot be bundled here (it comes with
 * the zod schema); the server's own diff is shown after saving.
 */
export function diffPrograms(from: unknown, to: unknown, path = ''): DiffLine[] {
  if (JSON.stringify(from) === JSON.stringify(to)) return [];
  const key = KEYED_LISTS[path];
  if (key && Array.isArray(from) && Array.isArray(to)) {
    const a = keyedEntries(from, key);
    const b = keyedEntries(to, key);
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((id) => diffPrograms(a[id], b[id], `${path}[${id}]`));
  }
  const isContainer = (value: unknown) => typeof value === 'object' && value !== null;
  if (!isContainer(from) || !isContainer(to) || Array.isArray(from) !== Array.isArray(to)) {
    if (from === undefined) return [{ path, change: 'added', to }];
    if (to === undefined) return [{ path, change: 'removed', from }];
    return [{ path, change: 'changed', from, to }];
  }
  const a = from as Record<string, unknown>;
  const b = to as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const at = (key: string) => (Array.isArray(from) ? `${path}[${key}]` : path ? `${path}.${key}` : key);
  return keys.flatMap((key) => diffPrograms(a[key], b[key], at(key)));
}

/** The fields the form shows (the rest are edited as JSON), as the API names them in `error.field`. */
const FORM_FIELDS =
  /^program\.((tiers\.levels\[\d+\]\.(threshold|qualifies|earnMultiplier|name\.(en|vi))|points\.earn\.(points|per)|points\.firstOrderBonus|email\.(fromAddress|fromName|replyTo))$|(activities|bonuses|flows)\[\d+\])/;

type Saved = { version: number; changes: DiffLine[] };

export function ProgramPage() {
  const { api, t } = useApp();
  const doc = useResource(() => api.get<ProgramDocument>('/v1/program'), []);
  // The history is read again after each save made here (the editor keeps its own copy of the document).
  const [savedHere, setSavedHere] = useState(0);
  if (doc.loading && !doc.data) return <Loading />;
  if (doc.error || !doc.data) return <ErrorNotice error={doc.error} onRetry={doc.reload} />;
  return (
    <>
      <PageTitle>{t.program.title}</PageTitle>
      <ProgramEditor key={`${doc.data.version}:${doc.data.updatedAt}`} loaded={doc.data} onReload={doc.reload} onSaved={setSavedHere} />
      <VersionHistory key={`history-${doc.data.version}-${savedHere}`} />
    </>
  );
}

function ProgramEditor({
  loaded,
  onReload,
  onSaved,
}: {
  loaded: ProgramDocument;
  onReload: () => void;
  onSaved: (version: number) => void;
}) {
  const { api, t, fmt, shop } = useApp();
  // The version edits are based on: the one loaded, then each one saved here.
  const [doc, setDoc] = useState(loaded);
  const [draft, setDraft] = useState<Program>(loaded.program);
  const [json, setJson] = useState(() => JSON.stringify(loaded.program, null, 2));
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  // Which request a 400 answered: the save, or a backtest of the draft (both name the field the same way).
  const [refusedBy, setRefusedBy] = useState<'save' | 'backtest'>('save');
  const [other, setOther] = useState<unknown>(null);
  const [saved, setSaved] = useState<Saved | null>(null);
  const [busy, setBusy] = useState(false);
  const pending = useMemo(() => diffPrograms(doc.program, draft), [doc.program, draft]);

  /** A form edit: the draft changes, and the JSON shows it. */
  const edit = (change: (program: Program) => void) => {
    const next = structuredClone(draft);
    change(next);
    setDraft(next);
    setJson(JSON.stringify(next, null, 2));
    setJsonError(null);
    setSaved(null);
  };
  const editJson = (text: string) => {
    setJson(text);
    setSaved(null);
    try {
      const parsed = JSON.parse(text) as Program;
      setDraft(parsed);
      setJsonError(null);
    } catch (failure) {
      setJsonError((failure as Error).message);
    }
  };
  const save = async (event: Event) => {
    event.preventDefault();
    if (jsonError) return;
    setBusy(true);
    setError(null);
    setRefusedBy('save');
    setOther(null);
    try {
      const answer = await api.send<ProgramDocument & { changes: DiffLine[] }>('PUT', '/v1/program', {
        body: { version: doc.version, program: draft },
      });
      setSaved({ version: answer.version, changes: answer.changes });
      setDoc({ version: answer.version, updatedAt: answer.updatedAt, program: answer.program ?? draft });
      onSaved(answer.version);
    } catch (failure) {
      if (failure instanceof ApiError && (failure.status === 400 || failure.status === 409)) setError(failure);
      else setOther(failure);
    } finally {
      setBusy(false);
    }
  };

  // `error.field` is a path such as program.tiers.levels[1].threshold: the form's fields name theirs the same way.
  const fieldError = (path: string) =>
    error?.status === 400 && error.field === `program.${path}` ? error.message.replace(`${error.field}: `, '') : undefined;
  const shownInForm = error?.status === 400 && FORM_FIELDS.test(error.field ?? '');
  // Activities, bonus rules and flows show a refusal on the row it names (program.bonuses[1].on.to → bonuses[1]).
  const errorUnder = (prefix: string) => {
    const field = error?.status === 400 ? (error.field ?? '') : '';
    return field === `program.${prefix}` || field.startsWith(`program.${prefix}.`)
      ? `${field.slice(`program.${prefix}`.length + 1) || prefix}: ${error?.message.replace(`${field}: `, '')}`
      : undefined;
  };
  const number = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));
  const levels = draft.tiers?.levels ?? [];
  const metric = t.program.metrics[draft.tiers?.metric] ?? draft.tiers?.metric;
  const thresholdShown = (level: TierLevel) =>
    level.threshold === undefined ? '' : draft.tiers.metric === 'spend' ? fmt.toMajor(level.threshold) : level.threshold;
  const metricName = draft.tiers?.metric ?? 'orders';

  return (
    <form onSubmit={save} noValidate>
      <p class="muted">
        {doc.version === 0 ? t.program.defaults : t.program.version(fmt.number(doc.version), fmt.dateTime(doc.updatedAt))}
      </p>
      {saved && (
        <div class="notice notice-ok" role="status">
          <p>{t.program.savedAs(fmt.number(saved.version))}</p>
          <h2 class="h3">{t.program.changes}</h2>
          <DiffTable lines={saved.changes} caption={t.program.changes} />
        </div>
      )}
      {error?.status === 409 && (
        <div class="notice notice-error" role="alert">
          <p>{t.program.conflict}</p>
          <button type="button" class="button-secondary" onClick={onReload}>
            {t.program.reload}
          </button>
        </div>
      )}
      {error?.status === 400 && (
        <div class="notice notice-error" role="alert">
          <p>
            {shownInForm
              ? refusedBy === 'backtest'
                ? t.backtest.notStarted
                : t.program.invalid
              : t.program.invalidOther(error.field ?? 'program', error.message.replace(`${error.field}: `, ''))}
          </p>
        </div>
      )}
      {other ? <ErrorNotice error={other} /> : null}

      <Section title={t.program.common}>
        <h3>{t.program.tiers}</h3>
        <p class="muted">
          {t.program.metric}: {metric}
        </p>
        <div class="table-wrap">
          <table class="form-table">
            <caption class="visually-hidden">{t.program.tiers}</caption>
            <thead>
              <tr>
                <th scope="col">{t.program.tierId}</th>
                <th scope="col">{t.program.tierNameEn}</th>
                <th scope="col">{t.program.tierNameVi}</th>
                <th scope="col">{t.program.qualifiesBy}</th>
                <th scope="col">
                  {t.program.threshold(draft.tiers.metric === 'spend' ? shop.currency : metric)} / {t.program.rule}
                </th>
                <th scope="col">{t.program.multiplier}</th>
              </tr>
            </thead>
            <tbody>
              {levels.map((level, i) => (
                <tr key={level.id}>
                  <th scope="row" class="mono">
                    {level.id}
                  </th>
                  <td>
                    <InlineField label={`${t.program.tierNameEn}: ${level.id}`} error={fieldError(`tiers.levels[${i}].name.en`)}>
                      {(props) => (
                        <input
                          {...props}
                          value={level.name.en ?? ''}
                          onInput={(e) => edit((p) => setName(p, i, 'en', e.currentTarget.value))}
                        />
                      )}
                    </InlineField>
                  </td>
                  <td>
                    <InlineField label={`${t.program.tierNameVi}: ${level.id}`} error={fieldError(`tiers.levels[${i}].name.vi`)}>
                      {(props) => (
                        <input
                          {...props}
                          value={level.name.vi ?? ''}
                          onInput={(e) => edit((p) => setName(p, i, 'vi', e.currentTarget.value))}
                        />
                      )}
                    </InlineField>
                  </td>
                  <td>
                    {i === 0 ? (
                      <span class="muted">{t.program.everyone}</span>
                    ) : (
                      <InlineField label={`${t.program.qualifiesBy}: ${level.id}`}>
                        {(props) => (
                          <select
                            {...props}
                            value={level.qualifies === undefined ? 'threshold' : 'rule'}
                            onChange={(e) =>
                              edit((p) => {
                                const tierLevel = p.tiers.levels[i];
                                if (!tierLevel) return;
                                if (e.currentTarget.value === 'rule') {
                                  // The rule the threshold stands for, to start from: the same tier, written the other way.
                                  tierLevel.qualifies = `${metricName} >= ${tierLevel.threshold ?? 0}`;
                                  delete tierLevel.threshold;
                                } else {
                                  tierLevel.threshold = thresholdOfRule(tierLevel.qualifies, metricName) ?? 0;
                                  delete tierLevel.qualifies;
                                }
                              })
                            }
                          >
                            <option value="threshold">{t.program.byThreshold}</option>
                            <option value="rule">{t.program.byRule}</option>
                          </select>
                        )}
                      </InlineField>
                    )}
                  </td>
                  <td>
                    {level.qualifies !== undefined ? (
                      <InlineField label={`${t.program.rule}: ${level.id}`} error={fieldError(`tiers.levels[${i}].qualifies`)}>
                        {(props) => (
                          <input
                            {...props}
                            class="mono rule-input"
                            spellcheck={false}
                            autocomplete="off"
                            title={t.program.ruleHint}
                            value={level.qualifies ?? ''}
                            onInput={(e) =>
                              edit((p) => {
                                const tierLevel = p.tiers.levels[i];
                                if (tierLevel) tierLevel.qualifies = e.currentTarget.value;
                              })
                            }
                          />
                        )}
                      </InlineField>
                    ) : (
                      <InlineField label={`${t.program.threshold(metric)}: ${level.id}`} error={fieldError(`tiers.levels[${i}].threshold`)}>
                        {(props) => (
                          <input
                            {...props}
                            type="number"
                            inputMode="decimal"
                            value={String(thresholdShown(level))}
                            onInput={(e) =>
                              edit((p) => {
                                const value = number(e.currentTarget.value);
                                const tierLevel = p.tiers.levels[i];
                                if (tierLevel) tierLevel.threshold = p.tiers.metric === 'spend' ? fmt.toMinor(value) : value;
                              })
                            }
                          />
                        )}
                      </InlineField>
                    )}
                  </td>
                  <td>
                    <InlineField label={`${t.program.multiplier}: ${level.id}`} error={fieldError(`tiers.levels[${i}].earnMultiplier`)}>
                      {(props) => (
                        <input
                          {...props}
                          type="number"
                          step={0.01}
                          value={String(level.earnMultiplier)}
                          onInput={(e) =>
                            edit((p) => {
                              const tierLevel = p.tiers.levels[i];
                              if (tierLevel) tierLevel.earnMultiplier = number(e.currentTarget.value);
                            })
                          }
                        />
                      )}
                    </InlineField>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {levels.some((level) => level.qualifies !== undefined) && <p class="muted hint">{t.program.ruleHint}</p>}

        <h3>{t.program.earn}</h3>
        <div class="form-row">
          <Field label={t.program.earnPoints} error={fieldError('points.earn.points')}>
            {(props) => (
              <input
                {...props}
                type="number"
                value={String(draft.points.earn.points)}
                onInput={(e) => edit((p) => (p.points.earn.points = number(e.currentTarget.value)))}
              />
            )}
          </Field>
          <Field label={t.program.earnPer(shop.currency)} error={fieldError('points.earn.per')}>
            {(props) => (
              <input
                {...props}
                type="number"
                value={String(fmt.toMajor(draft.points.earn.per))}
                onInput={(e) => edit((p) => (p.points.earn.per = fmt.toMinor(number(e.currentTarget.value))))}
              />
            )}
          </Field>
          <Field label={t.program.firstOrderBonus} error={fieldError('points.firstOrderBonus')}>
            {(props) => (
              <input
                {...props}
                type="number"
                value={String(draft.points.firstOrderBonus)}
                onInput={(e) => edit((p) => (p.points.firstOrderBonus = number(e.currentTarget.value)))}
              />
            )}
          </Field>
        </div>

        <h3>{t.program.email}</h3>
        <div class="form-row">
          <Field label={t.program.fromAddress} error={fieldError('email.fromAddress')}>
            {(props) => (
              <input
                {...props}
                type="email"
                value={draft.email.fromAddress}
                onInput={(e) => edit((p) => (p.email.fromAddress = e.currentTarget.value))}
              />
            )}
          </Field>
          <Field label={t.program.fromName} error={fieldError('email.fromName')}>
            {(props) => (
              <input {...props} value={draft.email.fromName} onInput={(e) => edit((p) => (p.email.fromName = e.currentTarget.value))} />
            )}
          </Field>
          <Field label={t.program.replyTo} error={fieldError('email.replyTo')}>
            {(props) => (
              <input
                {...props}
                type="email"
                value={draft.email.replyTo ?? ''}
                onInput={(e) =>
                  edit((p) => {
                    const value = e.currentTarget.value.trim();
                    if (value) p.email.replyTo = value;
                    else delete p.email.replyTo;
                  })
                }
              />
            )}
          </Field>
        </div>
      </Section>

      <Section title={t.earning.title}>
        <ActivitiesEditor draft={draft} edit={edit} errorUnder={errorUnder} />
        <BonusesEditor draft={draft} edit={edit} errorUnder={errorUnder} />
      </Section>

      <Section title={t.flows.title}>
        <FlowsEditor draft={draft} edit={edit} errorUnder={errorUnder} error={error} />
      </Section>

      <Section title={t.program.json}>
        <Field
          label={t.program.jsonLabel}
          hint={t.program.jsonHint}
          error={
            jsonError
              ? t.program.jsonInvalid(jsonError)
              : error?.status === 400 && !shownInForm
                ? t.program.invalidOther(error.field ?? 'program', error.message.replace(`${error.field}: `, ''))
                : undefined
          }
        >
          {(props) => (
            <textarea {...props} class="json" rows={18} spellcheck={false} value={json} onInput={(e) => editJson(e.currentTarget.value)} />
          )}
        </Field>
      </Section>

      <Section title={t.program.pending}>
        {pending.length === 0 ? <p class="muted">{t.program.pendingNone}</p> : <DiffTable lines={pending} caption={t.program.pending} />}
        <p class="muted">{t.backtest.hint}</p>
        <BacktestRow
          draft={draft}
          disabled={busy || Boolean(jsonError)}
          onRefused={(refusal) => {
            setRefusedBy('backtest');
            setError(refusal);
          }}
        >
          <button type="submit" disabled={busy || Boolean(jsonError) || pending.length === 0}>
            {busy ? t.program.saving : t.program.save}
          </button>
        </BacktestRow>
      </Section>
    </form>
  );
}

/** The threshold a rule of the form `<metric> >= N` stands for, to go back to a threshold without losing it. */
function thresholdOfRule(rule: string | undefined, metric: string): number | undefined {
  const match = new RegExp(`^\\s*${metric}\\s*>=\\s*(\\d+)\\s*$`).exec(rule ?? '');
  return match ? Number(match[1]) : undefined;
}

function setName(program: Program, index: number, locale: string, value: string) {
  const level = program.tiers.levels[index];
  if (!level) return;
  if (value.trim() === '' && locale !== 'en') delete level.name[locale];
  else level.name[locale] = value;
}

/** A control inside a table cell: its label is for screen readers, the column header says it to the eye. */
function InlineField({
  label,
  error,
  children,
}: {
  label: string;
  error?: string | undefined;
  children: (props: { 'aria-label': string; 'aria-invalid'?: boolean; title?: string }) => ComponentChildren;
}) {
  return (
    <div class={error ? 'field field-invalid' : 'field'}>
      {children({ 'aria-label': label, ...(error ? { 'aria-invalid': true } : {}) })}
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

type VersionRow = { version: number; updatedAt: string; current: boolean };
type VersionDetail = VersionRow & { changesToCurrent: DiffLine[] };

/** Every saved version, newest first (GET /v1/program/versions), and what changed from one of them to now. */
function VersionHistory() {
  const { api, t, fmt } = useApp();
  const [cursors, setCursors] = useState<string[]>([]);
  const before = cursors.at(-1);
  const page = useResource(
    () => api.get<{ items: VersionRow[]; before?: number }>('/v1/program/versions', { limit: 10, before }),
    [before],
  );
  const [shown, setShown] = useState<VersionDetail | { error: unknown } | null>(null);
  const show = async (version: number) => {
    try {
      setShown(await api.get<VersionDetail>(`/v1/program/versions/${version}`));
    } catch (error) {
      setShown({ error });
    }
  };
  const columns: Columns<VersionRow> = [
    { accessorKey: 'version', header: t.program.historyVersion, cell: (c) => fmt.number(c.getValue<number>()) },
    { accessorKey: 'updatedAt', header: t.program.historySaved, cell: (c) => fmt.dateTime(c.getValue<string>()) },
    {
      id: 'show',
      header: '',
      cell: (c) =>
        c.row.original.current ? (
          <span class="muted">{t.program.historyCurrent}</span>
        ) : (
          <button type="button" class="button-secondary" onClick={() => show(c.row.original.version)}>
            {t.program.historyShow(fmt.number(c.row.original.version))}
          </button>
        ),
    },
  ];
  return (
    <Section title={t.program.history}>
      {page.error ? (
        <ErrorNotice error={page.error} onRetry={page.reload} />
      ) : !page.data ? (
        <Loading />
      ) : page.data.items.length === 0 ? (
        <p class="muted">{t.program.historyEmpty}</p>
      ) : (
        <>
          <DataTable caption={t.program.history} columns={columns} data={page.data.items} rowKey={(row) => String(row.version)} />
          <Pager cursors={cursors} next={page.data.before === undefined ? undefined : String(page.data.before)} onChange={setCursors} />
        </>
      )}
      {shown && 'error' in shown && <ErrorNotice error={shown.error} />}
      {shown && 'changesToCurrent' in shown && (
        <div role="status">
          <h3 class="h3">{t.program.historyChanges(fmt.number(shown.version))}</h3>
          {shown.changesToCurrent.length === 0 ? (
            <p class="muted">{t.program.historySame}</p>
          ) : (
            <DiffTable lines={shown.changesToCurrent} caption={t.program.historyChanges(fmt.number(shown.version))} />
          )}
        </div>
      )}
    </Section>
  );
}

export function DiffTable({ lines, caption }: { lines: DiffLine[]; caption: string }) {
  const { t } = useApp();
  const show = (value: unknown) => (value === undefined ? '' : JSON.stringify(value));
  const columns: Columns<DiffLine> = [
    { accessorKey: 'path', header: t.program.path, cell: (c) => <code>{c.getValue<string>()}</code> },
    {
      id: 'from',
      header: t.program.from,
      accessorFn: (line) => show(line.from),
      cell: (c) => <code class="diff-from">{c.getValue<string>()}</code>,
    },
    {
      id: 'to',
      header: t.program.to,
      accessorFn: (line) => show(line.to),
      cell: (c) => <code class="diff-to">{c.getValue<string>()}</code>,
    },
  ];
  return <DataTable caption={caption} columns={columns} data={lines} rowKey={(line) => line.path} />;
}
