import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';
import { useApp } from '../app-context.ts';
import { type Messages, rfmName } from '../i18n/index.ts';
import {
  AGE_BANDS,
  addChild,
  CLOSED_VALUES,
  type ConditionNode,
  EMAIL_CONSENTS,
  FIELD_GROUPS,
  type GroupNode,
  type InputName,
  kindOf,
  LIMITS,
  listOf,
  MONEY_FIELDS,
  newCondition,
  newGroup,
  OPS,
  RFM_SEGMENTS,
  type RuleNode,
  removeNode,
  updateNode,
  withField,
  withOp,
} from './segment-rule.ts';

/**
 * A rule segment's rule as a tree a shop owner can read and edit: groups (all / any) of conditions
 * and further groups, a NOT on every node, each condition a field, an operator that fits the field
 * and the value inputs that fit the operator. Every input has a name saying where it is ("Value:
 * condition 2.1"), and a node's problems are written under it and tied to its inputs.
 */

/** A node's problems: `input` names the input it is about; none, the node as a whole. */
export type NodeErrors = Map<string, Array<{ input?: InputName | undefined; message: string }>>;

export interface TierChoice {
  id: string;
  name: string;
}

interface TreeProps {
  tree: RuleNode;
  onChange: (tree: RuleNode) => void;
  errors: NodeErrors;
  tiers: TierChoice[];
}

interface NodeProps extends TreeProps {
  node: RuleNode;
  /** '' for the rule itself, then 1, 2, 2.1… */
  number: string;
  /** Levels as the API counts them (a NOT is one). */
  depth: number;
}

export function RuleTree(props: TreeProps) {
  return (
    <div class="rule-tree">
      <NodeView {...props} node={props.tree} number="" depth={1} />
    </div>
  );
}

function NodeView(props: NodeProps) {
  const { t } = useApp();
  const { node, number } = props;
  const where =
    number === '' ? t.segmentEditor.theRule : node.kind === 'group' ? t.segmentEditor.group(number) : t.segmentEditor.condition(number);
  return node.kind === 'group' ? (
    <GroupView {...props} node={node} where={where} />
  ) : (
    <ConditionView {...props} node={node} where={where} />
  );
}

/** The props an input takes to be marked invalid and described by its node's problems. */
type InputProps = { 'aria-invalid'?: boolean; 'aria-describedby'?: string };

const VALUE_INPUTS: readonly InputName[] = ['value', 'values', 'min', 'max'];

/**
 * A node's problems under it, and the props that mark its inputs. A problem of a condition as a
 * whole (min above max, a value not among the choices) is one of its values: those inputs are marked.
 */
function useNodeErrors(node: RuleNode, errors: NodeErrors) {
  const errorId = useId();
  const list = errors.get(node.key) ?? [];
  const inputProps = (input: InputName): InputProps =>
    list.some((error) => error.input === input || (error.input === undefined && node.kind === 'condition' && VALUE_INPUTS.includes(input)))
      ? { 'aria-invalid': true, 'aria-describedby': errorId }
      : {};
  const shown =
    list.length > 0 ? (
      <ul class="rule-errors field-error" id={errorId}>
        {list.map((error) => (
          <li key={`${error.input}:${error.message}`}>{error.message}</li>
        ))}
      </ul>
    ) : null;
  return { inputProps, shown, errorId, any: list.length > 0 };
}

function GroupView({ node, where, number, depth, tree, onChange, errors, tiers }: NodeProps & { node: GroupNode; where: string }) {
  const { t } = useApp();
  const { shown, errorId, any } = useNodeErrors(node, errors);
  const root = number === '';
  const inner = depth + (node.not ? 1 : 0);
  const change = (next: RuleNode) => onChange(updateNode(tree, node.key, () => next));
  return (
    <fieldset class={`rule-group${root ? ' rule-root' : ''}${node.not ? ' rule-negated' : ''}`}>
      <legend class="visually-hidden">{where}</legend>
      <div class="rule-row">
        {!root && (
          <span class="rule-number" aria-hidden="true">
            {number}
          </span>
        )}
        <NotToggle node={node} where={where} onChange={change} />
        <label class="rule-control rule-match">
          <span class="rule-label">{root ? t.segmentEditor.rootMatch : t.segmentEditor.groupMatch}</span>
          <select
            aria-label={root ? t.segmentEditor.rootMatch : t.segmentEditor.at(t.segmentEditor.groupMatch, where)}
            value={node.match}
            onChange={(e) => change({ ...node, match: e.currentTarget.value as 'all' | 'any' })}
            {...(any ? { 'aria-describedby': errorId } : {})}
          >
            <option value="all">{t.segmentEditor.matchAll}</option>
            <option value="any">{t.segmentEditor.matchAny}</option>
          </select>
        </label>
        {!root && <RemoveButton where={where} onClick={() => onChange(removeNode(tree, node.key))} />}
      </div>
      {shown}
      <ol class="rule-children">
        {node.children.map((child, i) => (
          <li key={child.key}>
            <NodeView
              node={child}
              number={root ? String(i + 1) : `${number}.${i + 1}`}
              depth={inner + 1}
              tree={tree}
              onChange={onChange}
              errors={errors}
              tiers={tiers}
            />
          </li>
        ))}
      </ol>
      <div class="rule-add">
        <button
          type="button"
          class="button-secondary button-small"
          aria-label={t.segmentEditor.addConditionTo(where)}
          onClick={() => onChange(addChild(tree, node.key, newCondition()))}
        >
          + {t.segmentEditor.addCondition}
        </button>
        <button
          type="button"
          class="button-secondary button-small"
          aria-label={t.segmentEditor.addGroupTo(where)}
          // A group and its condition are two levels more: past the API's limit, the button rests.
          disabled={inner + 2 > LIMITS.depth}
          onClick={() => onChange(addChild(tree, node.key, newGroup('any')))}
        >
          + {t.segmentEditor.addGroup}
        </button>
      </div>
    </fieldset>
  );
}

function ConditionView({ node, where, number, tree, onChange, errors, tiers }: NodeProps & { node: ConditionNode; where: string }) {
  const { t } = useApp();
  const { inputProps, shown } = useNodeErrors(node, errors);
  const change = (next: RuleNode) => onChange(updateNode(tree, node.key, () => next));
  const kind = kindOf(node.field);
  const ops = kind ? OPS[kind] : [];
  const knownField = kind !== undefined;
  return (
    <div class={`rule-condition${node.not ? ' rule-negated' : ''}`}>
      <div class="rule-row">
        {number !== '' && (
          <span class="rule-number" aria-hidden="true">
            {number}
          </span>
        )}
        <NotToggle node={node} where={where} onChange={change} />
        <Control label={t.segmentEditor.field} where={where} size="field">
          {(props) => (
            <select {...props} value={node.field} onChange={(e) => change(withField(node, e.currentTarget.value))} {...inputProps('field')}>
              {!knownField && <option value={node.field}>{node.field}</option>}
              {(Object.keys(FIELD_GROUPS) as Array<keyof typeof FIELD_GROUPS>).map((group) => (
                <optgroup key={group} label={t.segmentEditor.fieldGroups[group]}>
                  {FIELD_GROUPS[group].map((field) => (
                    <option key={field} value={field}>
                      {t.segmentEditor.fields[field] ?? field}
                    </option>
                  ))}
                </optgroup>
              ))}
            </select>
          )}
        </Control>
        <Control label={t.segmentEditor.op} where={where}>
          {(props) => (
            <select {...props} value={node.op} onChange={(e) => change(withOp(node, e.currentTarget.value))} {...inputProps('op')}>
              {!(ops as readonly string[]).includes(node.op) && <option value={node.op}>{node.op}</option>}
              {ops.map((op) => (
                <option key={op} value={op}>
                  {(kind && t.segmentEditor.ops[kind]?.[op]) ?? op}
                </option>
              ))}
            </select>
          )}
        </Control>
        <ValueInputs node={node} where={where} tiers={tiers} onChange={change} inputProps={inputProps} />
        {number !== '' && <RemoveButton where={where} onClick={() => onChange(removeNode(tree, node.key))} />}
      </div>
      {shown}
    </div>
  );
}

/** The value inputs an operator takes: a number, two for between, text, a comma-separated list, or a choice where the values are known. */
function ValueInputs({
  node,
  where,
  tiers,
  onChange,
  inputProps,
}: {
  node: ConditionNode;
  where: string;
  tiers: TierChoice[];
  onChange: (node: ConditionNode) => void;
  inputProps: (input: InputName) => InputProps;
}) {
  const { t, shop, fmt } = useApp();
  const kind = kindOf(node.field);
  const money = MONEY_FIELDS.includes(node.field);
  const unit = (label: string) => (money ? t.segmentEditor.inCurrency(label, shop.currency) : label);
  // 3000000 is hard to read: money is also shown as the shop writes it (3.000.000 ₫).
  const written = (text: string) =>
    money && text.trim() !== '' && Number.isFinite(Number(text)) ? fmt.money(fmt.toMinor(Number(text))) : undefined;
  const numberInput = (bound: 'value' | 'min' | 'max', label: string) => (
    <Control label={unit(label)} where={where} note={written(node[bound])} size="number">
      {(props) => (
        <input
          {...props}
          type="number"
          inputMode="decimal"
          step="any"
          value={node[bound]}
          onInput={(e) => onChange({ ...node, [bound]: e.currentTarget.value })}
          {...inputProps(bound)}
        />
      )}
    </Control>
  );
  if (kind === 'number' && node.op === 'between')
    return (
      <>
        {numberInput('min', t.segmentEditor.min)}
        {numberInput('max', t.segmentEditor.max)}
      </>
    );
  if (kind === 'number') return numberInput('value', t.segmentEditor.value);

  const choices = kind === 'text' ? choicesFor(node.field, tiers, t) : undefined;
  if (node.op === 'in' && choices) {
    const chosen = listOf(node.values);
    const isChosen = (value: string) => chosen.some((c) => c.toLowerCase() === value.toLowerCase());
    const others = chosen.filter((c) => !choices.some((choice) => choice.value.toLowerCase() === c.toLowerCase()));
    const toggle = (value: string, on: boolean) =>
      onChange({
        ...node,
        values: (on ? [...chosen, value] : chosen.filter((c) => c.toLowerCase() !== value.toLowerCase())).join(', '),
      });
    const invalid = inputProps('values');
    return (
      <fieldset
        class="rule-control rule-choices"
        aria-label={t.segmentEditor.at(t.segmentEditor.valuesChoose, where)}
        {...(invalid['aria-describedby'] ? { 'aria-describedby': invalid['aria-describedby'] } : {})}
      >
        <legend class="rule-label">{t.segmentEditor.valuesChoose}</legend>
        <div class="rule-choice-list">
          {[...choices, ...others.map((value) => ({ value, label: value }))].map((choice) => (
            <label key={choice.value} class="rule-choice">
              <input type="checkbox" checked={isChosen(choice.value)} onChange={(e) => toggle(choice.value, e.currentTarget.checked)} />
              {choice.label}
            </label>
          ))}
        </div>
      </fieldset>
    );
  }
  if (node.op === 'in')
    return (
      <Control label={t.segmentEditor.values} where={where} size="wide">
        {(props) => (
          <input
            {...props}
            value={node.values}
            onInput={(e) => onChange({ ...node, values: e.currentTarget.value })}
            {...inputProps('values')}
          />
        )}
      </Control>
    );
  if (choices) {
    const current = choices.find((choice) => choice.value.toLowerCase() === node.value.trim().toLowerCase());
    return (
      <Control label={t.segmentEditor.value} where={where} size="wide">
        {(props) => (
          <select
            {...props}
            value={current?.value ?? node.value}
            onChange={(e) => onChange({ ...node, value: e.currentTarget.value })}
            {...inputProps('value')}
          >
            {node.value === '' && <option value="">{t.segmentEditor.choose}</option>}
            {!current && node.value !== '' && <option value={node.value}>{node.value}</option>}
            {choices.map((choice) => (
              <option key={choice.value} value={choice.value}>
                {choice.label}
              </option>
            ))}
          </select>
        )}
      </Control>
    );
  }
  return (
    <Control label={t.segmentEditor.value} where={where} size="wide">
      {(props) => (
        <input
          {...props}
          value={node.value}
          onInput={(e) => onChange({ ...node, value: e.currentTarget.value })}
          {...inputProps('value')}
        />
      )}
    </Control>
  );
}

/** The values a text field can take, where they are known: the API's closed sets, and the program's tiers. */
function choicesFor(field: string, tiers: TierChoice[], t: Messages): Array<{ value: string; label: string }> | undefined {
  if (field === 'tier')
    return tiers.map((tier) => ({ value: tier.id, label: tier.name === tier.id ? tier.id : `${tier.name} (${tier.id})` }));
  if (!(field in CLOSED_VALUES)) return undefined;
  if (field === 'rfmSegment') return RFM_SEGMENTS.map((name) => ({ value: name, label: rfmName(t, name) }));
  if (field === 'ageBand')
    return AGE_BANDS.map((band) => ({ value: band, label: t.segmentEditor.ageBands[band] ?? band.replace('-', '–') }));
  return EMAIL_CONSENTS.map((consent) => ({ value: consent, label: t.segmentEditor.consents[consent] ?? consent }));
}

/**
 * A small visible label over the control; its accessible name also says where it is ("Value:
 * condition 2.1"), given whole as aria-label (a visually hidden part of a label is read with stray spaces).
 */
function Control({
  label,
  where,
  size,
  note,
  children,
}: {
  label: string;
  where: string;
  /** The field select fits its longest name, a number its digits; text takes the room left. */
  size?: 'field' | 'number' | 'wide';
  note?: string | undefined;
  children: (props: { id: string; 'aria-label': string }) => ComponentChildren;
}) {
  const { t } = useApp();
  const id = useId();
  return (
    <div class={size ? `rule-control rule-control-${size}` : 'rule-control'}>
      <label class="rule-label" for={id}>
        {label}
      </label>
      {children({ id, 'aria-label': t.segmentEditor.at(label, where) })}
      {note && <span class="hint rule-note">{note}</span>}
    </div>
  );
}

function NotToggle({ node, where, onChange }: { node: RuleNode; where: string; onChange: (node: RuleNode) => void }) {
  const { t } = useApp();
  return (
    <label class="rule-not">
      <input
        type="checkbox"
        aria-label={t.segmentEditor.at(t.segmentEditor.not, where)}
        checked={node.not}
        onChange={(e) => onChange({ ...node, not: e.currentTarget.checked })}
      />
      {t.segmentEditor.not}
    </label>
  );
}

function RemoveButton({ where, onClick }: { where: string; onClick: () => void }) {
  const { t } = useApp();
  return (
    <button type="button" class="button-link rule-remove" aria-label={t.segmentEditor.removeNode(where)} onClick={onClick}>
      {t.segmentEditor.remove}
    </button>
  );
}
