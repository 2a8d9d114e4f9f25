import * as z from 'zod';
import type { Db } from '#shared/data/db.ts';
import {
  type EmailTemplateState,
  listEmailTemplates,
  putEmailTemplateIfRevision,
  removeEmailTemplateIfRevision,
} from '#shared/data/email-template-repo.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { type FieldProblem, ValidationError } from '#shared/domain/errors.ts';
import type { EmailTrigger } from '#shared/email/render.ts';
import { TEMPLATE_TRIGGERS } from '#shared/email/rules.ts';
import {
  brandProblems,
  LIQUID_FILTERS,
  LIQUID_TAGS,
  type MessageProblem,
  type ShopMessage,
  ShopMessageSchema,
  triggerVariables,
  VARIABLES,
  type VariableSet,
  validateShopMessage,
} from '#shared/email/shop-template.ts';
import { parseOrThrow, validationErrorOf } from '#shared/http/validate.ts';

/**
 * The shop's own copy of the built-in trigger emails: GET /v1/emails/templates (every trigger, its
 * variables, the shop's copy or null), PUT /v1/emails/templates/{trigger} (checked, then saved),
 * DELETE /v1/emails/templates/{trigger} (back to the built-in copy). A message that fails a check is
 * refused whole with 400, every field named from the top of the templates: `templates.win_back.body.vi:
 * unknown variable {{ customer.password }}`.
 *
 * Two people editing one email: each trigger has a `revision` (its saves and removals so far, 0
 * never written), and a PUT or DELETE with `If-Match: "<revision>"` is refused with 409 when the
 * copy has moved on since that revision was read. Without If-Match the write goes through whatever
 * the revision (a script that writes its copies wholesale); the console always sends it.
 */

/** A flow's message is written on the flow (PUT /v1/program), not here. */
export const TriggerParamSchema = z.enum(TEMPLATE_TRIGGERS);

export interface EmailTemplateDeps {
  db: Db;
  now: () => Date;
}

const triggerOf = (value: string | undefined) => parseOrThrow(TriggerParamSchema, value, 'trigger');

/** `If-Match: "3"` (also `3`, `W/"3"`): the revision the editor read; `*` or absent: any. */
export const IfMatchSchema = z
  .string()
  .trim()
  .regex(/^(\*|(W\/)?"?\d{1,9}"?)$/, 'the revision read, as "3" (GET /v1/emails/templates gives each trigger\'s revision)')
  .transform((value) => (value === '*' ? undefined : Number(value.replace(/\D/g, ''))))
  .optional();

const expectedRevision = (ifMatch: string | undefined) => parseOrThrow(IfMatchSchema, ifMatch, 'If-Match');

/** The ETag of a trigger's copy at this revision, as If-Match takes it back. */
export const etagOf = (revision: number) => `"${revision}"`;

/** One 400 for fields named in full: `field` the first, `fields` each, the message all of them. */
const refusalOf = (fields: readonly FieldProblem[], fallback: string) =>
  new ValidationError(fields[0]?.field ?? fallback, fields.map((p) => `${p.field}: ${p.message}`).join('; '), fields);

/**
 * Throws the problems of a message as one 400: `field` names the first, `fields` each of them, and
 * the message lists them all (`templates.win_back.body.vi: …; templates.win_back.subject.en: …`).
 * `prefix`: where the message sits in the request, for the field names (the brand's are its own).
 */
export function refuseProblems(problems: readonly MessageProblem[], prefix: string): void {
  const named = problems.map((p) => ({ field: p.field.startsWith('brand.') ? p.field : `${prefix}.${p.field}`, message: p.message }));
  if (named.length > 0) throw refusalOf(named, prefix);
}

/** The message parsed and checked against its variables and the shop's brand; throws ValidationError naming every field. */
export function checkedMessage(body: unknown, variables: VariableSet, brand: ShopRecord['brand'], prefix: string): ShopMessage {
  const parsed = ShopMessageSchema.safeParse(body);
  // The brand's problem even beside a message that does not parse: a shop fixing its copy learns at once that it needs an address.
  if (!parsed.success)
    throw refusalOf([...validationErrorOf(parsed.error.issues, prefix).fields, ...brandProblems(brand, variables)], prefix);
  refuseProblems([...validateShopMessage(parsed.data, variables), ...brandProblems(brand, variables)], prefix);
  return parsed.data;
}

const templateView = (trigger: EmailTrigger, state: EmailTemplateState | undefined) => {
  const variables = triggerVariables(trigger);
  return {
    trigger,
    marketing: variables.marketing,
    variables: [...variables.names],
    /** Saves and removals of this trigger's copy so far (0: never written): what If-Match sends back. */
    revision: state?.revision ?? 0,
    template: state?.message ? { ...state.message, revision: state.revision, updatedAt: state.updatedAt } : null,
  };
};

export type EmailTemplateView = ReturnType<typeof templateView>;

/** GET /v1/emails/templates: every trigger, with the variables it may use and the shop's copy (null: the built-in one). */
export async function readEmailTemplates(shop: ShopRecord, deps: Pick<EmailTemplateDeps, 'db'>) {
  const stored = new Map((await listEmailTemplates(deps.db, shop.shopId)).map((t) => [t.trigger, t]));
  return {
    templates: TEMPLATE_TRIGGERS.map((trigger) => templateView(trigger, stored.get(trigger))),
    variables: VARIABLES,
    tags: [...LIQUID_TAGS],
    filters: [...LIQUID_FILTERS],
  };
}

/** PUT /v1/emails/templates/{trigger}: the shop's copy, checked, saved in place of the one before (at the revision If-Match names). */
export async function saveEmailTemplate(
  shop: ShopRecord,
  triggerParam: string | undefined,
  body: unknown,
  ifMatch: string | undefined,
  deps: EmailTemplateDeps,
) {
  const trigger = triggerOf(triggerParam);
  const expected = expectedRevision(ifMatch);
  const message = checkedMessage(body, triggerVariables(trigger), shop.brand, `templates.${trigger}`);
  const saved = await putEmailTemplateIfRevision(deps.db, shop.shopId, trigger, message, deps.now().toISOString(), expected);
  return templateView(trigger, saved);
}

/** DELETE /v1/emails/templates/{trigger}: back to the built-in copy; 404 when there was no copy, 409 at another revision than If-Match's. */
export async function removeEmailTemplate(
  shop: ShopRecord,
  triggerParam: string | undefined,
  ifMatch: string | undefined,
  deps: EmailTemplateDeps,
) {
  const trigger = triggerOf(triggerParam);
  const expected = expectedRevision(ifMatch);
  return templateView(trigger, await removeEmailTemplateIfRevision(deps.db, shop.shopId, trigger, deps.now().toISOString(), expected));
}
