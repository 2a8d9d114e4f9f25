import * as z from 'zod';
import type { Db } from '#shared/data/db.ts';
import { deleteEmailTemplate, listEmailTemplates, putEmailTemplate, type StoredEmailTemplate } from '#shared/data/email-template-repo.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { NotFoundError, ValidationError } from '#shared/domain/errors.ts';
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
 * refused whole with 400, its field named from the top of the templates: `templates.win_back.body.vi:
 * unknown variable {{ customer.password }}`.
 */

/** A flow's message is written on the flow (PUT /v1/program), not here. */
export const TriggerParamSchema = z.enum(TEMPLATE_TRIGGERS);

export interface EmailTemplateDeps {
  db: Db;
  now: () => Date;
}

const triggerOf = (value: string | undefined) => parseOrThrow(TriggerParamSchema, value, 'trigger');

/**
 * Throws the problems of a message as one 400: `field` names the first, `fields` each of them, and
 * the message lists them all (`templates.win_back.body.vi: …; templates.win_back.subject.en: …`).
 * `prefix`: where the message sits in the request, for the field names (the brand's are its own).
 */
export function refuseProblems(problems: readonly MessageProblem[], prefix: string): void {
  const named = problems.map((p) => ({ field: p.field.startsWith('brand.') ? p.field : `${prefix}.${p.field}`, message: p.message }));
  const first = named[0];
  if (!first) return;
  throw new ValidationError(first.field, named.map((p) => `${p.field}: ${p.message}`).join('; '), named);
}

/** The message parsed and checked against its variables and the shop's brand; throws ValidationError naming every field. */
export function checkedMessage(body: unknown, variables: VariableSet, brand: ShopRecord['brand'], prefix: string): ShopMessage {
  const parsed = ShopMessageSchema.safeParse(body);
  if (!parsed.success) {
    // The brand's problem too: a shop fixing its copy learns at once that it needs an address.
    const shaped = validationErrorOf(parsed.error.issues, prefix);
    const brandFields = brandProblems(brand, variables);
    const fields = [...shaped.fields, ...brandFields];
    throw new ValidationError(shaped.field, fields.map((p) => `${p.field}: ${p.message}`).join('; '), fields);
  }
  refuseProblems([...validateShopMessage(parsed.data, variables), ...brandProblems(brand, variables)], prefix);
  return parsed.data;
}

const templateView = (trigger: EmailTrigger, stored: StoredEmailTemplate | undefined) => {
  const variables = triggerVariables(trigger);
  return {
    trigger,
    marketing: variables.marketing,
    variables: [...variables.names],
    template: stored ? { ...stored.message, revision: stored.revision, updatedAt: stored.updatedAt } : null,
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

/** PUT /v1/emails/templates/{trigger}: the shop's copy, checked, saved in place of the one before. */
export async function saveEmailTemplate(shop: ShopRecord, triggerParam: string | undefined, body: unknown, deps: EmailTemplateDeps) {
  const trigger = triggerOf(triggerParam);
  const message = checkedMessage(body, triggerVariables(trigger), shop.brand, `templates.${trigger}`);
  return templateView(trigger, await putEmailTemplate(deps.db, shop.shopId, trigger, message, deps.now().toISOString()));
}

/** DELETE /v1/emails/templates/{trigger}: back to the built-in copy; 404 when there was no copy. */
export async function removeEmailTemplate(shop: ShopRecord, triggerParam: string | undefined, deps: Pick<EmailTemplateDeps, 'db'>) {
  const trigger = triggerOf(triggerParam);
  if (!(await deleteEmailTemplate(deps.db, shop.shopId, trigger))) throw new NotFoundError(`no copy of the ${trigger} email to remove`);
  return templateView(trigger, undefined);
}
