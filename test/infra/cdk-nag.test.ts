import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type App, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRapportApp } from '#infra/rapport-app.ts';

const outdirs: string[] = [];
const outdir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rapport-nag-'));
  outdirs.push(dir);
  return dir;
};
// Nag reads the construct tree; bundling the functions again would only cost time.
const noBundling = { 'aws:cdk:bundling-stacks': [] as string[] };

interface Acknowledgement {
  path: string;
  id: string;
  reason: unknown;
}

function acknowledgements(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

const findings = (app: App) =>
  new AwsSolutionsChecks()
    .validateScope(app)
    .violations.flatMap((v) => v.violatingResources.map((r) => ({ id: v.ruleName, severity: v.severity, path: r.constructPath ?? '?' })));

describe('cdk-nag AwsSolutions', () => {
  let app: App;
  let synthError: unknown;

  beforeAll(() => {
    ({ app } = createRapportApp({ outdir: outdir() }));
    try {
      app.synth();
    } catch (error) {
      synthError = error;
    }
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  afterAll(() => {
    for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
  });

  it('synthesizes the real app (bundling and the AwsSolutions validation plugin included)', () => {
    expect(synthError).toBeUndefined();
  });

  it('leaves no unacknowledged finding, error or warning', () => {
    expect(findings(app)).toEqual([]);
  });

  it('acknowledges only full finding ids, each with a specific reason', () => {
    const acks = acknowledgements(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id, ack.path).toMatch(/^AwsSolutions-[A-Z]+\d*(\[.+\])?$/);
      expect(typeof ack.reason, `${ack.path} ${ack.id}`).toBe('string');
      expect((ack.reason as string).trim().length, `${ack.path} ${ack.id}`).toBeGreaterThanOrEqual(40);
    }
  });

  it('has no stale acknowledgement: each one silences a finding that would otherwise be reported', () => {
    const acks = acknowledgements(app);
    vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => {});
    const { app: bare } = createRapportApp({ outdir: outdir(), context: noBundling });
    const raw = findings(bare);
    for (const ack of acks) {
      const silenced = raw.filter((f) => f.id === ack.id && (f.path === ack.path || f.path.startsWith(`${ack.path}/`)));
      expect(silenced.length, `${ack.path} ${ack.id}`).toBeGreaterThan(0);
    }
  });

  it('fails synthesis when a resource breaks a rule, so the checks really run on the app', () => {
    const { app: broken, stack } = createRapportApp({ outdir: outdir(), context: noBundling });
    new Queue(stack, 'UnencryptedQueueWithoutDeadLetterQueue', { enforceSSL: false });
    expect(() => broken.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});
