import { useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import { useApp, useResource } from '../app-context.ts';
import {
  type EditorMessage,
  MessageEditor,
  messageForApi,
  type RenderedMessage,
  SHOP_MESSAGE_VARIABLES,
} from '../components/message-editor.tsx';
import type { Language } from '../i18n/index.ts';
import type { FlowRule, Program } from '../types.ts';

/**
 * Flows on segment entry, as a merchant edits them on the Program page: a message on entering a
 * segment (picked from GET /v1/segments), at once or some days later, with a reward of the catalog,
 * once ever / every N days / month / year per customer, in the built-in copy or the shop's own words
 * (the message editor, with a live preview for a real customer). They are part of the program
 * draft: saved with it through PUT /v1/program, a refusal shown on the flow it names.
 */

const PERIODS = ['ever', 'days', 'month', 'year'] as const;

interface SegmentRow {
  id: string;
  kind: 'rfm' | 'tier' | 'rule';
  name: string;
  customers: number;
}

interface CatalogReward {
  id: string;
  name: Record<string, string>;
}

interface EditorProps {
  draft: Program;
  edit: (change: (program: Program) => void) => void;
  /** The API's message for a field under `program.`, when the last save was refused there. */
  errorUnder: (prefix: string) => string | undefined;
  /** The last refusal of a save, for the message editor to show at its fields. */
  error: unknown;
}

const emptyMessage = (): EditorMessage => ({ subject: {}, body: {} });

export function FlowsEditor({ draft, edit, errorUnder, error }: EditorProps) {
  const { api, t, language } = useApp();
  const f = t.flows;
  const flows = draft.flows ?? [];
  const [open, setOpen] = useState<number | null>(null);
  const segments = useResource(() => api.get<{ segments: SegmentRow[] }>('/v1/segments'), []);
  const rewards = ((draft.rewards as CatalogReward[] | undefined) ?? []).map((reward) => ({
    id: reward.id,
    name: reward.name[language] ?? reward.name.en ?? reward.id,
  }));
  const segmentName = (id: string) => segments.data?.segments.find((segment) => segment.id === id)?.name ?? id;
  const at = (program: Program, i: number) => (program.flows ?? [])[i] as FlowRule;
  const period = (flow: FlowRule) => (flow.once.every === 'days' ? f.everyDays(flow.once.days ?? 0) : f.periods[flow.once.every]);

  const add = () => {
    const taken = new Set(flows.map((flow) => flow.id));
    let n = flows.length + 1;
    while (taken.has(`flow-${n}`)) n++;
    edit((p) => {
      p.flows = [
        ...(p.flows ?? []),
        { id: `flow-${n}`, name: f.newName, segments: [], delayDays: 0, once: { every: 'month' }, active: true, copy: 'flow' },
      ];
    });
    setOpen(flows.length);
  };

  return (
    <>
      <p class="muted">{f.intro}</p>
      {flows.length === 0 ? (
        <p class="muted">{f.none}</p>
      ) : (
        <div class="table-wrap">
          <table class="form-table earning-table">
            <caption class="visually-hidden">{f.title}</caption>
            <thead>
              <tr>
                <th scope="col">{f.name}</th>
                <th scope="col">{f.segments}</th>
                <th scope="col">{f.delay}</th>
                <th scope="col">{f.reward}</th>
                <th scope="col">{f.once}</th>
                <th scope="col">{f.active}</th>
                <th scope="col">
                  <span class="visually-hidden">{f.actions}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {flows.map((flow, i) => {
                const problem = errorUnder(`flows[${i}]`);
                return (
                  <tr key={flow.id} class={flow.active ? undefined : 'inactive'}>
                    <th scope="row">
                      <div class="rule-head">
                        <span>{flow.name}</span>
                        <span class="hint mono">{flow.id}</span>
                        {problem && (
                          <p class="field-error" role="alert">
                            {problem}
                          </p>
                        )}
                      </div>
                    </th>
                    <td>
                      {flow.segments.length === 0 ? <span class="muted">{f.noSegment}</span> : flow.segments.map(segmentName).join(', ')}
                    </td>
                    <td>{flow.delayDays === 0 ? f.atOnce : f.days(flow.delayDays)}</td>
                    <td>{flow.rewardId ? (rewards.find((r) => r.id === flow.rewardId)?.name ?? flow.rewardId) : f.noReward}</td>
                    <td>{period(flow)}</td>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`${f.active}: ${flow.name}`}
                        checked={flow.active}
                        onChange={(e) => edit((p) => (at(p, i).active = e.currentTarget.checked))}
                      />
                    </td>
                    <td>
                      <div class="button-row">
                        <button type="button" class="secondary" aria-expanded={open === i} onClick={() => setOpen(open === i ? null : i)}>
                          {open === i ? f.close : f.editFlow(flow.name)}
                        </button>
                        <button
                          type="button"
                          class="secondary"
                          onClick={() => {
                            edit((p) => {
                              p.flows = (p.flows ?? []).filter((_, j) => j !== i);
                            });
                            setOpen(null);
                          }}
                        >
                          {f.remove(flow.name)}
                        </button>
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <div class="button-row">
        <button type="button" class="secondary" onClick={add}>
          {f.add}
        </button>
      </div>
      {open !== null && flows[open] && (
        <FlowForm
          key={flows[open].id}
          index={open}
          flow={flows[open]}
          segments={segments.data?.segments ?? []}
          rewards={rewards}
          edit={(change) => edit((p) => change(at(p, open)))}
          error={error}
        />
      )}
    </>
  );
}

interface FlowFormProps {
  index: number;
  flow: FlowRule;
  segments: SegmentRow[];
  rewards: Array<{ id: string; name: string }>;
  edit: (change: (flow: FlowRule) => void) => void;
  error: unknown;
}

function FlowForm({ index, flow, segments, rewards, edit, error }: FlowFormProps) {
  const { api, t } = useApp();
  const f = t.flows;
  const prefix = `program.flows[${index}]`;
  const [own, setOwn] = useState(flow.message !== undefined);
  const number = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));
  const kinds = [
    ['rfm', f.kinds.rfm],
    ['tier', f.kinds.tier],
    ['rule', f.kinds.rule],
  ] as const;
  // The preview names the message's fields as a template's (`templates.flow.body.vi`): shown at the flow's.
  const preview = async (draft: EditorMessage, customerId: string, shown: Language) => {
    try {
      return await api.send<RenderedMessage>('POST', '/v1/emails/preview', {
        body: { customerId, trigger: 'flow', message: draft, language: shown },
      });
    } catch (failure) {
      if (!(failure instanceof ApiError) || failure.status !== 400) throw failure;
      const rename = (field: string) => field.replace(/^templates\.flow/, `${prefix}.message`);
      throw new ApiError(
        failure.status,
        failure.code,
        failure.message,
        failure.field && rename(failure.field),
        failure.fields?.map((each) => ({ ...each, field: rename(each.field) })),
      );
    }
  };
  const builtIn = (customerId: string, shown: Language) =>
    api.get<RenderedMessage>('/v1/emails/preview', {
      customerId,
      trigger: flow.copy ?? 'flow',
      format: 'json',
      language: shown,
      copy: 'builtin',
    });

  return (
    <fieldset class="flow-form">
      <legend>{f.editing(flow.name)}</legend>
      <div class="form-grid">
        <label>
          {f.name}
          <input type="text" value={flow.name} onInput={(e) => edit((x) => (x.name = e.currentTarget.value))} />
        </label>
        <label>
          {f.delay}
          <input
            type="number"
            min={0}
            value={String(flow.delayDays)}
            onInput={(e) => edit((x) => (x.delayDays = number(e.currentTarget.value)))}
          />
          <span class="hint">{f.delayHint}</span>
        </label>
        <label>
          {f.reward}
          <select
            value={flow.rewardId ?? ''}
            onChange={(e) => {
              const rewardId = e.currentTarget.value;
              edit((x) => {
                if (rewardId) x.rewardId = rewardId;
                else delete x.rewardId;
              });
            }}
          >
            <option value="">{f.noReward}</option>
            {rewards.map((reward) => (
              <option key={reward.id} value={reward.id}>
                {reward.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {f.once}
          <select
            value={flow.once.every}
            onChange={(e) =>
              edit((x) => {
                const every = e.currentTarget.value as (typeof PERIODS)[number];
                x.once = every === 'days' ? { every, days: x.once.days ?? 30 } : { every };
              })
            }
          >
            {PERIODS.map((every) => (
              <option key={every} value={every}>
                {every === 'days' ? f.everyNDays : f.periods[every]}
              </option>
            ))}
          </select>
        </label>
        {flow.once.every === 'days' && (
          <label>
            {f.onceDays}
            <input
              type="number"
              min={1}
              value={String(flow.once.days ?? '')}
              onInput={(e) => edit((x) => (x.once = { every: 'days', days: number(e.currentTarget.value) }))}
            />
          </label>
        )}
      </div>
      <fieldset class="segment-picker">
        <legend>{f.segmentsPick}</legend>
        {kinds.map(([kind, title]) => (
          <div key={kind} class="chip-group">
            <span class="chip-label">{title}</span>
            {segments
              .filter((segment) => segment.kind === kind)
              .map((segment) => {
                const on = flow.segments.includes(segment.id);
                return (
                  <button
                    key={segment.id}
                    type="button"
                    class={on ? 'chip chip-on' : 'chip'}
                    aria-pressed={on}
                    onClick={() =>
                      edit((x) => {
                        x.segments = on ? x.segments.filter((id) => id !== segment.id) : [...x.segments, segment.id];
                      })
                    }
                  >
                    {segment.name}
                  </button>
                );
              })}
          </div>
        ))}
      </fieldset>
      <label class="checkbox">
        <input
          type="checkbox"
          checked={own}
          onChange={(e) => {
            const checked = e.currentTarget.checked;
            setOwn(checked);
            edit((x) => {
              if (checked) x.message = { format: 'liquid', ...emptyMessage() };
              else delete x.message;
            });
          }}
        />
        {f.ownMessage}
      </label>
      {own ? (
        <MessageEditor
          message={flow.message ?? emptyMessage()}
          onChange={(message) => edit((x) => (x.message = { format: 'liquid', ...messageForApi(message) }))}
          variables={SHOP_MESSAGE_VARIABLES}
          preview={preview}
          fallback={builtIn}
          fieldPrefix={`${prefix}.message`}
          error={error}
        />
      ) : (
        <p class="muted">{flow.copy === 'win_back' ? f.builtInWinBack : f.builtIn}</p>
      )}
    </fieldset>
  );
}
