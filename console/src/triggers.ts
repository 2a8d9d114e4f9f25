import type { Trigger } from '../../shared/email/rules.ts';

/**
 * Every email the engine sends, in the order of shared/email/rules.ts (TRIGGERS). That module
 * hashes with node:crypto, so only its type comes here: the check below fails the console's
 * type-check when a trigger is added there and not here.
 */
export const TRIGGERS = [
  'welcome',
  'tier_up',
  'tier_down_warning',
  'tier_down',
  'birthday',
  'win_back',
  'points_expiring',
  'points_milestone',
  'feedback_request',
  'redemption_receipt',
  'reward_issued',
  'reward_failed',
  'flow',
] as const satisfies readonly Trigger[];

/** The emails whose copy the shop may write on the Emails page: a flow's message is written on its flow (Program page). */
export const TEMPLATE_TRIGGERS = TRIGGERS.filter((trigger) => trigger !== 'flow');

type Missing = Exclude<Trigger, (typeof TRIGGERS)[number]>;
export const everyTriggerListed: [Missing] extends [never] ? true : Missing = true;
