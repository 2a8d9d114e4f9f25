import { describe, expect, it } from 'vitest';
import { loyaltyPage, loyaltyPagePolicy } from '#shared/http/loyalty-page.ts';

const settings = { publicUrl: 'https://api.example.vn/prod/', widgetUrl: 'https://cdn.example.vn/w/rapport-loyalty.js?v=3' };

describe('the hosted loyalty page', () => {
  it('lets the one widget script run and call the storefront API only', () => {
    const policy = loyaltyPagePolicy(settings);
    expect(policy.split('; ')).toEqual([
      "default-src 'none'",
      // CSP matches no query: the path is named exactly, the query left out.
      'script-src https://cdn.example.vn/w/rapport-loyalty.js',
      "style-src 'unsafe-inline'",
      'connect-src https://api.example.vn/prod/v1/storefront/',
      'img-src https: data:',
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'none'",
    ]);
  });

  it('puts the widget in page mode with the link, the API and the language, escaped', () => {
    const page = loyaltyPage({ shopId: 'tra-sen', shopName: 'Trà "Sen" <b>', language: 'en', link: 'v1.abc.def' }, settings);
    expect(page.statusCode).toBe(200);
    expect(page.headers).toMatchObject({
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'content-type': 'text/html; charset=utf-8',
    });
    expect(page.body).toContain(
      '<rapport-loyalty mode="page" shop="tra-sen" link="v1.abc.def" api="https://api.example.vn/prod" lang="en"></rapport-loyalty>',
    );
    expect(page.body).toContain('<script src="https://cdn.example.vn/w/rapport-loyalty.js?v=3" defer></script>');
    expect(page.body).toContain('<h1>Trà &quot;Sen&quot; &lt;b&gt; rewards</h1>');
    expect(page.body).not.toContain('class="notice"');
  });

  it('says why a link was not used, in the page’s language, and gives the widget no link', () => {
    const expired = loyaltyPage({ shopId: 'tra-sen', shopName: 'Trà Sen', language: 'vi', notice: 'expired' }, settings);
    expect(expired.body).toContain('<html lang="vi">');
    expect(expired.body).toContain('<p class="notice" role="status">Liên kết này đã hết hạn.');
    expect(expired.body).not.toContain('link=');
  });
});
