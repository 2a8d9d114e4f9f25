import * as z from 'zod';
import { type ApiFamily, errors, requires, route } from '#shared/http/api-docs/parts.ts';
import { FeedbackAnswerSchema } from '#shared/use-cases/submit-feedback.ts';

/**
 * The pages behind the links in emails, for the customer's browser: functions/unsubscribe.ts and
 * feedback.ts. Their token is checked by its HMAC (a bad one is a 400 naming `token`); the form
 * readers (unsubscribe.ts readUnsubscribeForm, submit-feedback.ts readFeedbackForm) take no zod
 * schema, so the form fields below describe them; the feedback answer is FeedbackAnswerSchema itself.
 */

const html = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });
const token = z.string().max(2048).optional().meta({ description: 'The signed token of the link.' });
const campaign = z.string().max(64).optional().meta({
  description: "A campaign's email names its campaign, whose results count the unsubscribe (once, when consent changes).",
});

const UnsubscribeFormSchema = z.object({
  token: z.string().optional().meta({ description: 'When the query string has none.' }),
  'List-Unsubscribe': z.literal('One-Click').optional().meta({ description: 'RFC 8058 one-click, as mail clients send it.' }),
});

const FeedbackFormSchema = z.object({ ...FeedbackAnswerSchema.shape, token: z.string().optional() });

export const emailLinks: ApiFamily = {
  tag: { name: 'Email links', description: "Pages for the customer's browser behind the links in emails; self-contained HTML, no script." },
  routes: [
    route('GET', '/unsubscribe', {
      summary: 'The unsubscribe confirmation page',
      security: requires('unsubscribeToken'),
      requestParams: { query: z.object({ token, campaign }) },
      responses: { '200': html('The confirmation page.'), ...errors(400, 404) },
    }),
    route('POST', '/unsubscribe', {
      summary: "Unsubscribe (RFC 8058 one-click, or the page's button)",
      security: requires('unsubscribeToken'),
      requestParams: { query: z.object({ token, campaign }) },
      requestBody: {
        required: false,
        content: {
          'application/x-www-form-urlencoded': { schema: UnsubscribeFormSchema },
          'multipart/form-data': { schema: UnsubscribeFormSchema },
        },
      },
      responses: {
        '200': {
          description: 'Unsubscribed: the page after its button, `unsubscribed` as text after a one-click POST.',
          content: { 'text/html': { schema: z.string() }, 'text/plain': { schema: z.literal('unsubscribed') } },
        },
        ...errors(400, 404, 409, 413),
      },
    }),
    route('GET', '/feedback', {
      summary: 'The NPS question',
      description: 'Records nothing; `score` preselects an answer (the email links one per score).',
      security: requires('feedbackToken'),
      requestParams: { query: z.object({ token, score: z.string().optional().meta({ description: '0–10.' }) }) },
      responses: { '200': html('The question page.'), ...errors(400, 404) },
    }),
    route('POST', '/feedback', {
      summary: 'Answer the NPS question',
      description:
        'The answer goes onto the interactions queue as feedback; its event id comes from the token, so one link makes one answer.',
      security: requires('feedbackToken'),
      requestParams: { query: z.object({ token }) },
      requestBody: {
        required: true,
        content: {
          'application/x-www-form-urlencoded': { schema: FeedbackFormSchema },
          'application/json': { schema: FeedbackFormSchema },
        },
      },
      responses: { '200': html('Thanks, with the answer recorded.'), ...errors(400, 404, 413) },
    }),
  ],
};
