import { enqueueEvents } from '#shared/aws/event-queue.ts';
import { masterKey } from '#shared/aws/secrets.ts';
import { db, loadShop, now } from '#shared/deps.ts';
import { htmlPage } from '#shared/http/html-page.ts';
import { httpHandler, rawBody } from '#shared/http/http-handler.ts';
import { logger } from '#shared/observability.ts';
import {
  FEEDBACK_PAGE_CONTENT_SECURITY_POLICY,
  feedbackPage,
  readFeedbackForm,
  submitFeedback,
} from '#shared/use-cases/submit-feedback.ts';

const html = (body: string) => htmlPage(body, FEEDBACK_PAGE_CONTENT_SECURITY_POLICY);

/** GET /feedback?token=[&score=]: the question, recording nothing. POST /feedback?token=: the answer, onto the interactions queue. */
export const handler = httpHandler(async (event) => {
  const deps = { db: db(), masterKey, loadShop, enqueue: enqueueEvents, now };
  const query = event.queryStringParameters ?? {};
  if (event.requestContext.http.method !== 'POST') {
    const page = await feedbackPage(query.token, query.score, deps);
    logger.appendKeys({ shopId: page.shopId, customerId: page.customerId });
    return html(page.html);
  }
  const form = readFeedbackForm(rawBody(event), event.headers['content-type']);
  const result = await submitFeedback(query.token ?? form.token, form.answer, deps);
  logger.appendKeys({ shopId: result.shopId, customerId: result.customerId });
  // The score and the ids only: a comment is free text and may hold anything personal.
  logger.info('feedback submitted', { eventId: result.event.eventId, nps: result.event.interaction?.nps });
  return html(result.html);
});
