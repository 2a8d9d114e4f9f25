import { masterKey } from '#shared/aws/secrets.ts';
import { db, loadShop, now } from '#shared/deps.ts';
import { htmlPage, PAGE_HEADERS } from '#shared/http/html-page.ts';
import { httpHandler, rawBody } from '#shared/http/http-handler.ts';
import { logger } from '#shared/observability.ts';
import { PAGE_CONTENT_SECURITY_POLICY, readUnsubscribeForm, unsubscribe, unsubscribePage } from '#shared/use-cases/unsubscribe.ts';

const html = (body: string) => htmlPage(body, PAGE_CONTENT_SECURITY_POLICY);

/** GET /unsubscribe?token=: the confirmation page. POST /unsubscribe?token=: unsubscribe (RFC 8058 one-click or the page's button). */
export const handler = httpHandler(async (event) => {
  const deps = { db: db(), masterKey, loadShop, now };
  const post = event.requestContext.http.method === 'POST';
  const form = post ? readUnsubscribeForm(rawBody(event).toString('utf8'), event.headers['content-type']) : { oneClick: false };
  const token = event.queryStringParameters?.token ?? form.token;
  if (!post) return html((await unsubscribePage(token, deps)).html);
  const via = form.oneClick ? 'one-click' : 'page';
  const result = await unsubscribe(token, via, deps, event.queryStringParameters?.campaign);
  logger.appendKeys({ shopId: result.shopId, customerId: result.customerId });
  logger.info('unsubscribed', { via, changed: result.changed });
  if (via === 'page') return html(result.html);
  return { statusCode: 200, headers: { ...PAGE_HEADERS, 'content-type': 'text/plain; charset=utf-8' }, body: 'unsubscribed' };
});
