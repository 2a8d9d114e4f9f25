import * as z from 'zod';
import type { RenderedEmail } from '#shared/email/render.ts';
import { type ApiFamily, type Describes, errors, jsonAnswer, requires, route } from '#shared/http/api-docs/parts.ts';
import { QuerySchema as PreviewQuerySchema } from '#shared/use-cases/preview-email.ts';
import { CodeSchema, QuerySchema as CouponQuerySchema, type checkCoupon } from '#shared/use-cases/verify-coupon.ts';

/** What the emails say and the coupons they carry: functions/preview-email.ts, verify-coupon.ts. */

const SHOP_KEY = requires('shopApiKey');

const RenderedEmailSchema = z.object({ subject: z.string(), html: z.string(), text: z.string(), locale: z.string() });
const _rendered: Describes<typeof RenderedEmailSchema, RenderedEmail> = true;

const CouponCheckSchema = z.object({
  code: z.string().meta({ description: 'The code as normalized (spaces and dashes dropped), or as given when it cannot be.' }),
  customerId: z.string(),
  offer: z.string(),
  valid: z.boolean(),
});
const _coupon: Describes<typeof CouponCheckSchema, Awaited<ReturnType<typeof checkCoupon>>> = true;

export const emails: ApiFamily = {
  tag: { name: 'Emails', description: 'Every trigger email, rendered for a customer by the code that sends it; the coupons they carry.' },
  routes: [
    route('GET', '/v1/emails/preview', {
      summary: 'The email a customer would get for a trigger',
      description:
        "Rendered by the email function's own code, in the customer's language, with their name, tier, points and recommendations.",
      security: SHOP_KEY,
      requestParams: { query: PreviewQuerySchema },
      responses: {
        '200': {
          description: 'The email, as `format` asks: HTML (default), plain text, or both with the subject as JSON.',
          content: {
            'text/html': { schema: z.string() },
            'text/plain': { schema: z.string() },
            'application/json': { schema: RenderedEmailSchema },
          },
        },
        ...errors(400, 401, 404),
      },
    }),
    route('GET', '/v1/coupons/{code}', {
      summary: "Whether a coupon is a customer's for an offer",
      description: "Codes are derived, never stored: checking one costs no read. A win-back email's offer is `win_back:YYYY-MM`.",
      security: SHOP_KEY,
      requestParams: { path: z.object({ code: CodeSchema }), query: CouponQuerySchema },
      responses: { '200': jsonAnswer('The check.', CouponCheckSchema), ...errors(400, 401) },
    }),
  ],
};
