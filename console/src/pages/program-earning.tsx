import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useApp } from '../app-context.ts';
import type { ActivityRule, BonusRule, Program } from '../types.ts';

/**
 * The program's earning rules beyond purchases, as a merchant edits them: activities (points for a
 * review, a survey, a follow…) and bonus rules (more points on products, categories or dates). Both
 * edit the same draft as the rest of the Program page; the API validates the whole program on save
 * and names the field of anything wrong, which shows on the row it belongs to.
 */

const BUILT_IN = ['signup', 'review', 'survey', 'social_follow', 'birthday_set'] as const;
const PERIODS = ['ever', 'day', 'month', 'year'] as const;
const KINDS = ['products', 'categories', 'dates'] as const;

interface EditorProps {
  draft: Program;
  edit: (change: (program: Program) => void) => void;
  /** The API's message for a field under `program.`, when the last save was refused there. */
  errorUnder: (prefix: string) => string | undefined;
}

export function ActivitiesEditor({ draft, edit, errorUnder }: EditorProps) {
  const { t } = useApp();
  const activities = draft.activities ?? [];
  const free = BUILT_IN.filter((id) => !activities.some((a) => a.activity === id));
  const [choice, setChoice] = useState<string>(free[0] ?? 'custom');
  const [custom, setCustom] = useState('');
  const picked = free.includes(choice as (typeof BUILT_IN)[number]) ? choice : 'custom';
  const newId = picked === 'custom' ? `custom:${custom.trim()}` : picked;
  const at = (program: Program, i: number) => (program.activities ?? [])[i] as ActivityRule;
  const add = () =>
    edit((p) => {
      p.activities = [...(p.activities ?? []), { activity: newId, points: 10, active: true }];
      setCustom('');
    });
  return (
    <>
      <h3>{t.earning.activities}</h3>
      <p class="muted">{t.earning.activitiesIntro}</p>
      {activities.length === 0 ? (
        <p class="muted">{t.earning.activitiesNone}</p>
      ) : (
        <div class="table-wrap">
          <table class="form-table earning-table">
            <caption class="visually-hidden">{t.earning.activities}</caption>
            <thead>
              <tr>
                <th scope="col">{t.earning.activity}</th>
                <th scope="col">{t.earning.points}</th>
                <th scope="col">{t.earning.limit}</th>
                <th scope="col">{t.earning.tiers}</th>
                <th scope="col">{t.earning.active}</th>
                <th scope="col">
                  <span class="visually-hidden">{t.earning.remove}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {activities.map((rule, i) => {
                const name = rule.activity;
                const problem = errorUnder(`activities[${i}]`);
                return (
                  <tr key={name} class={rule.active ? undefined : 'inactive'}>
                    <th scope="row">
                      <div class="rule-head">
                        <span class="mono">{name}</span>
                        <span class="hint">{t.earning.activityNames[name] ?? t.earning.customActivity}</span>
                        {problem && (
                          <p class="field-error" role="alert">
                            {problem}
                          </p>
                        )}
                      </div>
                    </th>
                    <td>
                      <input
                        type="number"
                        min={1}
                        aria-label={`${t.earning.points}: ${name}`}
                        value={String(rule.points)}
                        onInput={(e) => edit((p) => (at(p, i).points = numberOf(e.currentTarget.value)))}
                      />
                    </td>
                    <td>
                      <div class="limit">
                        <input
                          type="number"
                          min={1}
                          placeholder={t.earning.noLimit}
                          aria-label={`${t.earning.limitCount}: ${name}`}
                          value={rule.limit ? String(rule.limit.count) : ''}
                          onInput={(e) =>
                            edit((p) => {
                              const rule = at(p, i);
                              const text = e.currentTarget.value.trim();
                              if (text === '') delete rule.limit;
                              else rule.limit = { count: numberOf(text), per: rule.limit?.per ?? 'month' };
                            })
                          }
                        />
                        <select
                          aria-label={`${t.earning.limitPer}: ${name}`}
                          disabled={!rule.limit}
                          value={rule.limit?.per ?? 'month'}
                          onChange={(e) =>
                            edit((p) => {
                              const rule = at(p, i);
                              if (rule.limit) rule.limit.per = e.currentTarget.value as (typeof PERIODS)[number];
                            })
                          }
                        >
                          {PERIODS.map((per) => (
                            <option key={per} value={per}>
                              {t.earning.periods[per]}
                            </option>
                          ))}
                        </select>
                      </div>
                    </td>
                    <td>
                      <TierChoice
                        label={`${t.earning.tiers}: ${name}`}
                        levels={draft.tiers.levels}
                        chosen={rule.tiers}
                        onChange={(tiers) => edit((p) => setTiers(at(p, i), tiers))}
                      />
                    </td>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`${t.earning.active}: ${name}`}
                        checked={rule.active}
                        onChange={(e) => edit((p) => (at(p, i).active = e.currentTarget.checked))}
                      />
                    </td>
                    <td>
                      <button
                        type="button"
                        class="button-secondary button-small"
                        aria-label={`${t.earning.remove}: ${name}`}
                        onClick={() => edit((p) => (p.activities = (p.activities ?? []).filter((_, j) => j !== i)))}
                      >
                        {t.earning.remove}
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <div class="add-row">
        <label>
          <span>{t.earning.newActivity}</span>
          <select value={picked} onChange={(e) => setChoice(e.currentTarget.value)}>
            {free.map((id) => (
              <option key={id} value={id}>
                {t.earning.activityNames[id]} ({id})
              </option>
            ))}
            <option value="custom">{t.earning.customActivity} (custom:…)</option>
          </select>
        </label>
        {picked === 'custom' && (
          <label>
            <span>{t.earning.customName}</span>
            <input value={custom} placeholder="vip-event" onInput={(e) => setCustom(e.currentTarget.value)} />
          </label>
        )}
        <button
          type="button"
          class="button-secondary"
          disabled={(picked === 'custom' && custom.trim() === '') || activities.some((a) => a.activity === newId)}
          onClick={add}
        >
          {t.earning.addActivity}
        </button>
      </div>
    </>
  );
}

export function BonusesEditor({ draft, edit, errorUnder }: EditorProps) {
  const { t, shop } = useApp();
  const bonuses = draft.bonuses ?? [];
  const [id, setId] = useState('');
  const [kind, setKind] = useState<BonusRule['on']['kind']>('categories');
  const at = (program: Program, i: number) => (program.bonuses ?? [])[i] as BonusRule;
  const add = () =>
    edit((p) => {
      p.bonuses = [...(p.bonuses ?? []), { id: id.trim(), multiplier: 2, on: emptyTarget(kind), active: true }];
      setId('');
    });
  return (
    <>
      <h3>{t.earning.bonuses}</h3>
      <p class="muted">{t.earning.bonusesIntro(shop.timezone)}</p>
      {bonuses.length === 0 ? (
        <p class="muted">{t.earning.bonusesNone}</p>
      ) : (
        <div class="table-wrap">
          <table class="form-table earning-table">
            <caption class="visually-hidden">{t.earning.bonuses}</caption>
            <thead>
              <tr>
                <th scope="col">{t.earning.bonusId}</th>
                <th scope="col">{t.earning.multiplier}</th>
                <th scope="col">{t.earning.on}</th>
                <th scope="col">{t.earning.tiers}</th>
                <th scope="col">{t.earning.active}</th>
                <th scope="col">
                  <span class="visually-hidden">{t.earning.remove}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {bonuses.map((rule, i) => {
                const problem = errorUnder(`bonuses[${i}]`);
                return (
                  <tr key={`${i}:${rule.id}`} class={rule.active ? undefined : 'inactive'}>
                    <th scope="row">
                      <div class="rule-head">
                        <span class="mono">{rule.id || '—'}</span>
                        <input
                          class="name"
                          aria-label={`${t.earning.bonusName}: ${rule.id}`}
                          placeholder={t.earning.bonusName}
                          value={rule.name?.en ?? ''}
                          onInput={(e) =>
                            edit((p) => {
                              const value = e.currentTarget.value;
                              const target = at(p, i);
                              if (value.trim() === '') delete target.name;
                              else target.name = { ...target.name, en: value };
                            })
                          }
                        />
                        {problem && (
                          <p class="field-error" role="alert">
                            {problem}
                          </p>
                        )}
                      </div>
                    </th>
                    <td>
                      <span class="times">
                        ×
                        <input
                          type="number"
                          step={0.01}
                          min={1.01}
                          aria-label={`${t.earning.multiplier}: ${rule.id}`}
                          value={String(rule.multiplier)}
                          onInput={(e) => edit((p) => (at(p, i).multiplier = numberOf(e.currentTarget.value)))}
                        />
                      </span>
                    </td>
                    <td>
                      <div class="target">
                        <select
                          aria-label={`${t.earning.onKind}: ${rule.id}`}
                          value={rule.on.kind}
                          onChange={(e) => edit((p) => (at(p, i).on = emptyTarget(e.currentTarget.value as BonusRule['on']['kind'])))}
                        >
                          {KINDS.map((k) => (
                            <option key={k} value={k}>
                              {t.earning.kinds[k]}
                            </option>
                          ))}
                        </select>
                        {rule.on.kind === 'dates' ? (
                          <span class="dates">
                            <input
                              type="date"
                              aria-label={`${t.earning.from}: ${rule.id}`}
                              value={rule.on.from}
                              onInput={(e) => edit((p) => Object.assign(at(p, i).on, { from: e.currentTarget.value }))}
                            />
                            <input
                              type="date"
                              aria-label={`${t.earning.to}: ${rule.id}`}
                              value={rule.on.to}
                              onInput={(e) => edit((p) => Object.assign(at(p, i).on, { to: e.currentTarget.value }))}
                            />
                          </span>
                        ) : (
                          <ListInput
                            label={`${rule.on.kind === 'products' ? t.earning.productIds : t.earning.categoryNames}: ${rule.id}`}
                            placeholder={rule.on.kind === 'products' ? t.earning.productsPlaceholder : t.earning.categoriesPlaceholder}
                            values={rule.on.kind === 'products' ? rule.on.ids : rule.on.names}
                            onChange={(values) =>
                              edit((p) => {
                                const on = at(p, i).on;
                                if (on.kind === 'products') on.ids = values;
                                else if (on.kind === 'categories') on.names = values;
                              })
                            }
                          />
                        )}
                      </div>
                    </td>
                    <td>
                      <TierChoice
                        label={`${t.earning.tiers}: ${rule.id}`}
                        levels={draft.tiers.levels}
                        chosen={rule.tiers}
                        onChange={(tiers) => edit((p) => setTiers(at(p, i), tiers))}
                      />
                    </td>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`${t.earning.active}: ${rule.id}`}
                        checked={rule.active}
                        onChange={(e) => edit((p) => (at(p, i).active = e.currentTarget.checked))}
                      />
                    </td>
                    <td>
                      <button
                        type="button"
                        class="button-secondary button-small"
                        aria-label={`${t.earning.remove}: ${rule.id}`}
                        onClick={() => edit((p) => (p.bonuses = (p.bonuses ?? []).filter((_, j) => j !== i)))}
                      >
                        {t.earning.remove}
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <div class="add-row">
        <label>
          <span>{t.earning.newBonusId}</span>
          <input value={id} placeholder="tet-week" onInput={(e) => setId(e.currentTarget.value)} />
        </label>
        <label>
          <span>{t.earning.onKind}</span>
          <select value={kind} onChange={(e) => setKind(e.currentTarget.value as BonusRule['on']['kind'])}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t.earning.kinds[k]}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="button-secondary" disabled={id.trim() === '' || bonuses.some((b) => b.id === id.trim())} onClick={add}>
          {t.earning.addBonus}
        </button>
      </div>
    </>
  );
}

const numberOf = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));

function emptyTarget(kind: BonusRule['on']['kind']): BonusRule['on'] {
  if (kind === 'products') return { kind, ids: [] };
  if (kind === 'categories') return { kind, names: [] };
  const today = new Date().toISOString().slice(0, 10);
  return { kind, from: today, to: today };
}

/** No tier ticked means every tier: the rule then has no `tiers` at all, as the API reads it. */
function setTiers(rule: { tiers?: string[] }, tiers: string[]) {
  if (tiers.length === 0) delete rule.tiers;
  else rule.tiers = tiers;
}

function TierChoice({
  label,
  levels,
  chosen,
  onChange,
}: {
  label: string;
  levels: Program['tiers']['levels'];
  chosen: string[] | undefined;
  onChange: (tiers: string[]) => void;
}) {
  const { t, language } = useApp();
  return (
    <fieldset class="tier-choice" aria-label={label}>
      {levels.map((level) => (
        <label key={level.id}>
          <input
            type="checkbox"
            checked={chosen?.includes(level.id) ?? false}
            onChange={(e) => {
              const next = levels
                .map((l) => l.id)
                .filter((tier) => (tier === level.id ? e.currentTarget.checked : (chosen ?? []).includes(tier)));
              onChange(next);
            }}
          />
          {level.name[language] ?? level.name.en ?? level.id}
        </label>
      ))}
      {!chosen && <span class="hint">{t.earning.allTiers}</span>}
    </fieldset>
  );
}

/**
 * A comma-separated list, kept as typed (a trailing comma stays while the next entry is typed) and
 * given to the draft as its entries; a draft changed elsewhere (the JSON editor) replaces the text.
 */
function ListInput({
  label,
  placeholder,
  values,
  onChange,
}: {
  label: string;
  placeholder: string;
  values: string[];
  onChange: (values: string[]) => void;
}): ComponentChildren {
  const [text, setText] = useState(values.join(', '));
  useEffect(() => {
    if (entriesOf(text).join('\n') !== values.join('\n')) setText(values.join(', '));
  }, [values]);
  return (
    <input
      aria-label={label}
      placeholder={placeholder}
      value={text}
      onInput={(e) => {
        setText(e.currentTarget.value);
        onChange(entriesOf(e.currentTarget.value));
      }}
    />
  );
}

const entriesOf = (text: string) =>
  text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
