/**
 * The one trigger table: which function serves which route, queue or schedule, and what it may
 * touch. Read by the CDK stack (infra/rapport-stack.ts) and by the local runtime (infra/local), so
 * the laptop and AWS can never disagree about wiring or permissions.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRoute {
  method: HttpMethod;
  /** API Gateway path syntax: `/v1/customers/{customerId}`. */
  path: string;
}

export type QueueName = 'interactions' | 'runs' | 'email' | 'codes' | 'campaigns';

/** SNS topics a function subscribes to. */
export type TopicName = 'sesFeedback';

export interface QueueSpec {
  /** maxReceiveCount before a message moves to the queue's dead-letter queue. */
  maxReceiveCount: number;
  /** Lambda event source mapping settings; the local poller honours the same numbers. */
  batchSize: number;
  maxBatchingWindowSeconds: number;
  /**
   * Locally, how long a received message stays hidden (the runtime's default otherwise): a consumer
   * that works for minutes must not see its message come back meanwhile. On AWS: 6 × the timeout.
   */
  localVisibilityTimeoutSeconds?: number;
  /** At most this many concurrent consumers (Lambda's event source maximum concurrency; locally the pollers). */
  maxConcurrency?: number;
}

export const queues: Record<QueueName, QueueSpec> = {
  interactions: { maxReceiveCount: 5, batchSize: 10, maxBatchingWindowSeconds: 1 },
  /** Steps of re-segmentation runs (shared/use-cases/resegment.ts): one long step per invocation. */
  runs: { maxReceiveCount: 3, batchSize: 1, maxBatchingWindowSeconds: 0, localVisibilityTimeoutSeconds: 900 },
  /**
   * Trigger records for the email function. Pacing: 2 concurrent consumers × batches of 10 sent one
   * by one (~50–100 ms per SES call) stays under a 14 emails/s SES account; raise both with the
   * account's sending rate. SES throttling re-queues the message with a delay (never a failed receive).
   */
  email: { maxReceiveCount: 5, batchSize: 10, maxBatchingWindowSeconds: 1, maxConcurrency: 2 },
  /**
   * Reward codes to create on the shops' platforms (shared/use-cases/create-reward-code.ts). A
   * platform's throttling or 5xx re-queues the code with a delay (a new message, never a failed
   * receive); failed receives are this consumer's own errors. 2 consumers keep the calls per shop
   * well under Shopify's and WooCommerce's rate limits.
   */
  codes: { maxReceiveCount: 5, batchSize: 5, maxBatchingWindowSeconds: 1, maxConcurrency: 2 },
  /**
   * Campaign steps (shared/use-cases/send-campaign.ts): a campaign's start, queued with a delay until
   * its time, then one fan-out step per part of its audience, each a page at a time and paced to
   * RAPPORT_CAMPAIGN_RATE; a step short of time queues its continuation.
   */
  campaigns: { maxReceiveCount: 5, batchSize: 1, maxBatchingWindowSeconds: 0, localVisibilityTimeoutSeconds: 300 },
};

/** DynamoDB actions a function may call on the single table (exact IAM actions, no wildcards). */
export type TableAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem';

export type DeploymentSecret = 'master' | 'admin';

export interface FunctionSpec {
  /** Logical name, used for the construct id, the bundle name and log lines. */
  name: string;
  /** Source file relative to the repository root; it exports `handler`. */
  entry: string;
  memoryMb: number;
  timeoutSeconds: number;
  routes?: HttpRoute[];
  /** Consumes this queue with partial batch failure reporting. */
  consumes?: QueueName;
  /** Sends to these queues (SendMessage / SendMessageBatch). */
  sendsTo?: QueueName[];
  tableActions: TableAction[];
  /** Whether the function needs the GSI (Query on the index ARN). */
  usesIndex?: boolean;
  /** Deployment secrets it reads: the master key sealing webhook secrets, the admin key. */
  secrets?: DeploymentSecret[];
  /** Creates shops' daily run schedules (EventBridge Scheduler, targeting the runs queue). */
  createsRunSchedules?: boolean;
  /** Sends email through SES (ses:SendRawEmail from the shops' verified identities). */
  sendsEmail?: boolean;
  /** Invoked by this SNS topic. */
  subscribes?: TopicName;
  /** Needs the public API URL (links in emails). */
  needsPublicUrl?: boolean;
  /**
   * Files copied beside the bundle as they are (paths from the repository root → in the bundle's
   * folder), for what esbuild should not inline: the API reference page's Swagger UI files.
   */
  bundleFiles?: Array<{ from: string; to: string }>;
}

export const functions: FunctionSpec[] = [
  {
    name: 'webhook',
    entry: 'functions/webhook.ts',
    memoryMb: 512,
    timeoutSeconds: 10,
    routes: [
      { method: 'POST', path: '/webhooks/generic/{shopId}' },
      { method: 'POST', path: '/webhooks/shopify/{shopId}' },
      { method: 'POST', path: '/webhooks/woocommerce/{shopId}' },
    ],
    sendsTo: ['interactions'],
    // GetItem: the shop and Shopify delivery markers; PutItem: a new delivery marker.
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
    secrets: ['master'],
  },
  {
    name: 'processor',
    entry: 'functions/processor.ts',
    memoryMb: 1024,
    timeoutSeconds: 30,
    consumes: 'interactions',
    // codes: a referred friend's reward when it is a catalog reward made on the shop's platform.
    sendsTo: ['email', 'codes'],
    // DeleteItem, Query and BatchWriteItem serve the privacy topics (erasure of a customer or a shop).
    tableActions: [
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:Query',
      'dynamodb:BatchWriteItem',
    ],
    usesIndex: true,
    // The master key derives the shop's key that a referred friend's given code is made under.
    secrets: ['master'],
  },
  {
    name: 'createShop',
    entry: 'functions/create-shop.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ method: 'POST', path: '/admin/shops' }],
    tableActions: ['dynamodb:PutItem', 'dynamodb:GetItem'],
    secrets: ['master', 'admin'],
    createsRunSchedules: true,
  },
  {
    name: 'getCustomer',
    entry: 'functions/get-customer.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ method: 'GET', path: '/v1/customers/{customerId}' }],
    tableActions: ['dynamodb:GetItem'],
  },
  {
    name: 'findCustomers',
    entry: 'functions/find-customers.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ method: 'GET', path: '/v1/customers' }],
    // GetItem: the shop, identities, a profile (a lookup); Query: a list or search page; BatchGetItem: its profiles.
    tableActions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'],
  },
  {
    name: 'getTimeline',
    entry: 'functions/get-timeline.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [
      { method: 'GET', path: '/v1/customers/{customerId}/timeline' },
      { method: 'GET', path: '/v1/customers/{customerId}/ledger' },
    ],
    tableActions: ['dynamodb:GetItem', 'dynamodb:Query'],
  },
  {
    name: 'logInteraction',
    entry: 'functions/log-interaction.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ method: 'POST', path: '/v1/interactions' }],
    sendsTo: ['interactions'],
    tableActions: ['dynamodb:GetItem'],
  },
  {
    name: 'exportCustomer',
    entry: 'functions/export-customer.ts',
    memoryMb: 512,
    timeoutSeconds: 30,
    routes: [{ method: 'GET', path: '/v1/customers/{customerId}/export' }],
    tableActions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'],
  },
  {
    name: 'eraseCustomer',
    entry: 'functions/erase-customer.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ method: 'DELETE', path: '/v1/customers/{customerId}' }],
    sendsTo: ['interactions'],
    tableActions: ['dynamodb:GetItem'],
  },
  {
    name: 'getProgram',
    entry: 'functions/get-program.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [
      { method: 'GET', path: '/v1/program' },
      { method: 'GET', path: '/v1/program/versions' },
      { method: 'GET', path: '/v1/program/versions/{version}' },
    ],
    // GetItem: the program, a version; Query: the history's page.
    tableActions: ['dynamodb:GetItem', 'dynamodb:Query'],
  },
  {
    name: 'putProgram',
    entry: 'functions/put-program.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ method: 'PUT', path: '/v1/program' }],
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
  },
  {
    name: 'redeemPoints',
    entry: 'functions/redeem-points.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ method: 'POST', path: '/v1/customers/{customerId}/redemptions' }],
    sendsTo: ['email'],
    tableActions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:Query'],
  },
  {
    name: 'redeemReward',
    entry: 'functions/redeem-reward.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ method: 'POST', path: '/v1/customers/{customerId}/rewards/{rewardId}/redeem' }],
    // A platform's code goes to the codes queue; Rapport's own is emailed at once.
    sendsTo: ['codes', 'email'],
    // GetItem: shop, program, profile, the key's record, its ledger entry and code (a repeat);
    // UpdateItem: the profile (the one conditional update); PutItem: ledger, code, pointer, due lists, key record, timeline.
    tableActions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
  },
  {
    name: 'createRewardCode',
    entry: 'functions/create-reward-code.ts',
    memoryMb: 256,
    // Two platform calls at most per code (a create and, after a timeout, the lookup), 10 s each, × 5 codes.
    timeoutSeconds: 120,
    consumes: 'codes',
    // Retries go back on the codes queue; the reward-issued and reward-failed emails to the email queue.
    sendsTo: ['codes', 'email'],
    // GetItem: code, shop, erasure marker, profile, return record; UpdateItem: code status, the profile
    // (points returned); PutItem: ledger, return record, timeline; DeleteItem: due-list entries.
    tableActions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
    // The master key opens the shop's sealed platform credentials.
    secrets: ['master'],
  },
  {
    name: 'adjustPoints',
    entry: 'functions/adjust-points.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ method: 'POST', path: '/v1/customers/{customerId}/points' }],
    // GetItem: shop, program, profile, the key's record, its ledger and timeline entries (a repeat);
    // UpdateItem: the profile (the one conditional update); PutItem: ledger, key record, activity, timeline.
    tableActions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
  },
  {
    name: 'awardActivity',
    entry: 'functions/award-activity.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ method: 'POST', path: '/v1/customers/{customerId}/activities' }],
    // GetItem: shop, program, profile, the key's record, its ledger and timeline entries (a repeat);
    // UpdateItem: the profile (the one conditional update, with the activity's limit counter); PutItem: ledger, key record, timeline.
    tableActions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
  },
  {
    name: 'getLiability',
    entry: 'functions/get-liability.ts',
    memoryMb: 512,
    timeoutSeconds: 30,
    routes: [{ method: 'GET', path: '/v1/loyalty/liability' }],
    tableActions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'],
    usesIndex: true,
  },
  {
    name: 'setTierOverride',
    entry: 'functions/set-tier-override.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ method: 'PUT', path: '/v1/customers/{customerId}/tier' }],
    tableActions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
  },
  {
    name: 'startRun',
    entry: 'functions/start-run.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ method: 'POST', path: '/v1/runs' }],
    sendsTo: ['runs'],
    // Query: the shop's runs still going (one at a time).
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
  },
  {
    name: 'getRun',
    entry: 'functions/get-run.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ method: 'GET', path: '/v1/runs/{runId}' }],
    tableActions: ['dynamodb:GetItem'],
  },
  {
    name: 'startBacktest',
    entry: 'functions/start-backtest.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ method: 'POST', path: '/v1/program/backtests' }],
    // The job runs on the runs queue: one long step, like a run's.
    sendsTo: ['runs'],
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
  },
  {
    name: 'getBacktest',
    entry: 'functions/get-backtest.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ method: 'GET', path: '/v1/program/backtests/{backtestId}' }],
    tableActions: ['dynamodb:GetItem'],
  },
  {
    name: 'resegment',
    entry: 'functions/resegment.ts',
    // The fit holds compact columns for every customer of the shop: ~60 MB per million, plus the
    // profiles of the page being read. 3 GB also buys the CPU (Lambda scales CPU with memory).
    memoryMb: 3008,
    timeoutSeconds: 900,
    consumes: 'runs',
    // codes: given codes (win-back offers, tier perks) to create on the platform, and pending ones whose message was lost.
    sendsTo: ['runs', 'email', 'codes'],
    // Query: GSI1 shards, ledgers (expiry), the codes' due lists; BatchGetItem: profiles, orders (product titles);
    // BatchWriteItem: segment memberships; UpdateItem: runs, profiles, codes; PutItem: timeline, ledger, runs, codes;
    // DeleteItem: due-list entries of codes returned.
    tableActions: [
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
    ],
    usesIndex: true,
    // The master key derives the shop's key that given codes are made under.
    secrets: ['master'],
  },
  {
    name: 'segments',
    entry: 'functions/segments.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [
      { method: 'GET', path: '/v1/segments' },
      { method: 'GET', path: '/v1/segments/{segmentId}/customers' },
    ],
    // Query: segment members; BatchGetItem: their profiles (the CSV's rows).
    tableActions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'],
  },
  {
    name: 'email',
    entry: 'functions/email.ts',
    memoryMb: 512,
    timeoutSeconds: 60,
    consumes: 'email',
    // Throttled messages go back on the queue with a delay; a campaign's reward code made on the shop's platform to the codes queue.
    sendsTo: ['email', 'codes'],
    // GetItem: shop, program, profile, send records, suppression, statistics, the shop's copy of the
    // trigger's email, a campaign; PutItem: send records, the SES message map, timeline, the per-customer
    // lease, a campaign's reward code; UpdateItem: the profile's recent sends, a campaign's counters;
    // DeleteItem: releasing the lease.
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    secrets: ['master'],
    sendsEmail: true,
    needsPublicUrl: true,
  },
  {
    name: 'campaigns',
    entry: 'functions/campaigns.ts',
    memoryMb: 512,
    timeoutSeconds: 10,
    routes: [
      { method: 'GET', path: '/v1/campaigns' },
      { method: 'POST', path: '/v1/campaigns' },
      { method: 'GET', path: '/v1/campaigns/{campaignId}' },
      { method: 'PATCH', path: '/v1/campaigns/{campaignId}' },
      { method: 'POST', path: '/v1/campaigns/{campaignId}/preview' },
      { method: 'POST', path: '/v1/campaigns/{campaignId}/test' },
      { method: 'POST', path: '/v1/campaigns/{campaignId}/schedule' },
      { method: 'POST', path: '/v1/campaigns/{campaignId}/cancel' },
    ],
    // A scheduled campaign's start, queued with its delay.
    sendsTo: ['campaigns'],
    // GetItem: the shop, its erasure marker, the program, a campaign, a customer (preview); Query: the
    // campaigns' page; PutItem: a new draft; UpdateItem: a draft's change, a status move.
    tableActions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    // The master key signs the preview's and the test email's links; the test email goes through SES.
    secrets: ['master'],
    sendsEmail: true,
    needsPublicUrl: true,
  },
  {
    name: 'sendCampaign',
    entry: 'functions/send-campaign.ts',
    memoryMb: 512,
    timeoutSeconds: 120,
    consumes: 'campaigns',
    // Its own continuations; the campaign's customers to the email queue.
    sendsTo: ['campaigns', 'email'],
    // GetItem: the campaign; Query: segment members, GSI1 shards; UpdateItem: status moves, checkpoints.
    tableActions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    usesIndex: true,
  },
  {
    name: 'sesFeedback',
    entry: 'functions/ses-feedback.ts',
    memoryMb: 256,
    timeoutSeconds: 30,
    subscribes: 'sesFeedback',
    // UpdateItem: the profile's consent, the send log entry, a campaign's bounce and complaint counters.
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  },
  {
    name: 'unsubscribe',
    entry: 'functions/unsubscribe.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [
      { method: 'GET', path: '/unsubscribe' },
      { method: 'POST', path: '/unsubscribe' },
    ],
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    secrets: ['master'],
  },
  {
    name: 'feedback',
    entry: 'functions/feedback.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [
      { method: 'GET', path: '/feedback' },
      { method: 'POST', path: '/feedback' },
    ],
    sendsTo: ['interactions'],
    tableActions: ['dynamodb:GetItem'],
    secrets: ['master'],
  },
  {
    name: 'storefront',
    entry: 'functions/storefront.ts',
    memoryMb: 512,
    timeoutSeconds: 10,
    // Public: the customer is signed by the shop (X-Rapport-Customer) or by an email's link (X-Rapport-Link).
    routes: [
      { method: 'GET', path: '/v1/storefront/me' },
      { method: 'POST', path: '/v1/storefront/me/rewards/{rewardId}/redeem' },
      { method: 'GET', path: '/l/{shopId}' },
    ],
    // As the shop API's redemption: a platform's code goes to the codes queue; Rapport's own is emailed at once.
    sendsTo: ['codes', 'email'],
    // GetItem: shop, erasure marker, program, profile, codes, a redemption's records (a repeat);
    // BatchGetItem: the identities a signed customer may be under; Query: the customer's codes and
    // ledger; UpdateItem: the profile (the redemption's one conditional update); PutItem: ledger,
    // code, its pointer and due entry, redemption record, timeline.
    tableActions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
    // The master key opens the storefront secret and derives the loyalty links' key; the public URL is the page's API.
    secrets: ['master'],
    needsPublicUrl: true,
  },
  {
    name: 'verifyCoupon',
    entry: 'functions/verify-coupon.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ method: 'GET', path: '/v1/coupons/{code}' }],
    tableActions: ['dynamodb:GetItem'],
    secrets: ['master'],
  },
  {
    name: 'listReferrals',
    entry: 'functions/list-referrals.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ method: 'GET', path: '/v1/referrals' }],
    // GetItem: the shop and its erasure marker; Query: the shop's or a referrer's list; BatchGetItem: the referrals and both customers' profiles.
    tableActions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'],
  },
  {
    name: 'referralLink',
    entry: 'functions/referral-link.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    // Public: a customer's referral link, given to friends.
    routes: [{ method: 'GET', path: '/r/{code}' }],
    // GetItem: the code, the shop and its erasure marker.
    tableActions: ['dynamodb:GetItem'],
  },
  {
    name: 'emailLog',
    entry: 'functions/email-log.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ method: 'GET', path: '/v1/emails' }],
    // GetItem: the shop and its erasure marker; Query: the send log's month partitions.
    tableActions: ['dynamodb:GetItem', 'dynamodb:Query'],
  },
  {
    name: 'previewEmail',
    entry: 'functions/preview-email.ts',
    memoryMb: 512,
    timeoutSeconds: 10,
    routes: [
      { method: 'GET', path: '/v1/emails/preview' },
      { method: 'POST', path: '/v1/emails/preview' },
    ],
    // GetItem: the shop, its erasure marker, the program, the profile, the statistics, the shop's copy of the email.
    tableActions: ['dynamodb:GetItem'],
    secrets: ['master'],
    needsPublicUrl: true,
  },
  {
    name: 'emailTemplates',
    entry: 'functions/email-templates.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [
      { method: 'GET', path: '/v1/emails/templates' },
      { method: 'PUT', path: '/v1/emails/templates/{trigger}' },
      { method: 'DELETE', path: '/v1/emails/templates/{trigger}' },
    ],
    // GetItem: the shop and its erasure marker; Query: the shop's copies (at most one per trigger);
    // UpdateItem: save one (a revision more); DeleteItem: remove one.
    tableActions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  },
  {
    name: 'shop',
    entry: 'functions/shop.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [
      { method: 'GET', path: '/v1/shop' },
      { method: 'PATCH', path: '/v1/shop' },
      { method: 'GET', path: '/v1/shop/activity' },
    ],
    // GetItem: the shop (afresh, and again after a lost race) and its erasure marker; UpdateItem: the
    // shop, conditional on its revision; PutItem: activity entries, the directory entry (time zone);
    // Query: the activity.
    tableActions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:Query'],
    // The master key seals the webhook secrets a PATCH sets; the public URL builds the webhook URLs.
    secrets: ['master'],
    needsPublicUrl: true,
  },
  {
    name: 'rotateApiKey',
    entry: 'functions/rotate-api-key.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ method: 'POST', path: '/v1/shop/api-keys' }],
    // GetItem: the shop afresh and its erasure marker; UpdateItem: the key hashes, conditional on the
    // shop's revision; PutItem: the activity entry.
    tableActions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
  },
  {
    name: 'listShops',
    entry: 'functions/list-shops.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [{ method: 'GET', path: '/admin/shops' }],
    // Query: the shop directory; BatchGetItem: the page's shop records and erasure markers.
    tableActions: ['dynamodb:Query', 'dynamodb:BatchGetItem'],
    secrets: ['admin'],
  },
  {
    name: 'apiDocs',
    entry: 'functions/api-docs.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    routes: [
      { method: 'GET', path: '/openapi.json' },
      { method: 'GET', path: '/docs' },
      { method: 'GET', path: '/docs/{asset}' },
    ],
    // The API's description and its reference page (shared/http/openapi.ts): no table, queue or secret.
    tableActions: [],
    // shared/http/api-docs/reference-page.ts reads them from swagger-ui-dist/ beside the bundle.
    bundleFiles: ['swagger-ui-bundle.js', 'swagger-ui.css'].map((file) => ({
      from: `node_modules/swagger-ui-dist/${file}`,
      to: `swagger-ui-dist/${file}`,
    })),
  },
];

/** Environment variable names every function reads (set by CDK on AWS and by the local runtime). */
export const env = {
  tableName: 'TABLE_NAME',
  queueUrl: (queue: QueueName) => `${queue.toUpperCase()}_QUEUE_URL`,
  secretArn: { master: 'RAPPORT_SECRET_ARN', admin: 'RAPPORT_ADMIN_SECRET_ARN' } satisfies Record<DeploymentSecret, string>,
  publicUrl: 'PUBLIC_API_URL',
  sesConfigurationSet: 'SES_CONFIGURATION_SET',
} as const;
