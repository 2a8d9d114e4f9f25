import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EmailContext, renderEmail } from '#shared/email/render.ts';
import { type Flow, type FlowMarks, flowPeriod, flowsOf, planFlows, tierFlowFirings, winBackFlow } from '#shared/loyalty/flows.ts';
import { defaultProgram, diffPrograms, ProgramSchema } from '#shared/loyalty/program.ts';

const flow = (overrides: Partial<Flow> = {}): Flow => ({
  id: 'vip',
  name: 'VIP',
  segments: ['rule:vip'],
  delayDays: 0,
  once: { every: 'month' },
  active: true,
  copy: 'flow',
  ...overrides,
});

const facts = (today: string, memberships: string[], entered: string[] = memberships) => ({ today, memberships, entered });

describe('flowPeriod', () => {
  it('names the period a firing falls in, or none when the flow already fired in it', () => {
    expect(flowPeriod({ every: 'ever' }, undefined, '2026-03-01')).toBe('ever');
    expect(flowPeriod({ every: 'ever' }, '2020-01-01', '2026-03-01')).toBeUndefined();
    expect(flowPeriod({ every: 'month' }, '2026-02-28', '2026-03-01')).toBe('2026-03');
    expect(flowPeriod({ every: 'month' }, '2026-03-01', '2026-03-31')).toBeUndefined();
    expect(flowPeriod({ every: 'year' }, '2025-12-31', '2026-01-01')).toBe('2026');
    expect(flowPeriod({ every: 'year' }, '2026-01-01', '2026-12-31')).toBeUndefined();
    expect(flowPeriod({ every: 'days', days: 10 }, '2026-03-01', '2026-03-10')).toBeUndefined();
    expect(flowPeriod({ every: 'days', days: 10 }, '2026-03-01', '2026-03-11')).toBe('2026-03-11');
  });
});

describe('planFlows', () => {
  it('fires on entering, not on staying in, and keeps the day it fired', () => {
    const first = planFlows([flow()], {}, facts('2026-03-05', ['rule:vip']));
    expect(first.firings.map((f) => [f.key, f.reasons])).toEqual([['flow:vip:2026-03', ['rule:vip']]]);
    expect(first.marks).toEqual({ vip: { last: '2026-03-05' } });
    expect(planFlows([flow()], first.marks, facts('2026-03-06', ['rule:vip'], [])).firings).toEqual([]);
  });

  it('fires once per period however often the customer leaves and re-enters', () => {
    let marks: FlowMarks = {};
    const keys: string[] = [];
    for (const day of ['2026-03-01', '2026-03-09', '2026-03-30', '2026-04-02', '2026-04-20']) {
      const plan = planFlows([flow()], marks, facts(day, ['rule:vip']));
      keys.push(...plan.firings.map((f) => f.key));
      marks = plan.marks;
    }
    expect(keys).toEqual(['flow:vip:2026-03', 'flow:vip:2026-04']);
  });

  it('marks a delayed flow due, sends it on the first run on or after that day if the customer is still in, drops it otherwise', () => {
    const later = flow({ delayDays: 3, once: { every: 'ever' } });
    const entered = planFlows([later], {}, facts('2026-03-01', ['rule:vip']));
    expect(entered.firings).toEqual([]);
    expect(entered.marks).toEqual({ vip: { due: '2026-03-04' } });
    // Entering again before it is due does not push the day back.
    expect(planFlows([later], entered.marks, facts('2026-03-02', ['rule:vip'])).marks).toEqual({ vip: { due: '2026-03-04' } });
    expect(planFlows([later], entered.marks, facts('2026-03-03', ['rule:vip'], [])).firings).toEqual([]);
    const sent = planFlows([later], entered.marks, facts('2026-03-06', ['rule:vip'], []));
    expect(sent.firings.map((f) => f.key)).toEqual(['flow:vip:ever']);
    expect(sent.marks).toEqual({ vip: { last: '2026-03-06' } });
    const left = planFlows([later], entered.marks, facts('2026-03-06', [], []));
    expect(left.firings).toEqual([]);
    expect(left.marks).toEqual({});
    // A once-ever flow that fired is never marked due again.
    expect(planFlows([later], sent.marks, facts('2026-05-01', ['rule:vip'])).marks).toEqual({ vip: { last: '2026-03-06' } });
  });

  it('fires on P(alive) falling below the threshold (the win-back), not while it stays below', () => {
    const winBack = winBackFlow({ rewardId: 'win-back', pAliveBelow: 0.3 });
    const fell = planFlows([winBack], {}, { ...facts('2026-03-01', ['rfm:loyal-customers'], []), pAliveBefore: 0.5, pAlive: 0.2 });
    expect(fell.firings.map((f) => [f.key, f.reasons])).toEqual([['flow:win-back:2026-03', ['pAlive<0.3']]]);
    const stays = planFlows([winBack], {}, { ...facts('2026-04-01', ['rfm:loyal-customers'], []), pAliveBefore: 0.2, pAlive: 0.1 });
    expect(stays.firings).toEqual([]);
    const rfm = planFlows([winBack], {}, facts('2026-04-01', ['rfm:at-risk'], ['rfm:at-risk']));
    expect(rfm.firings.map((f) => f.reasons)).toEqual([['rfm:at-risk']]);
  });

  it('fires nothing for a flow switched off, drops its pending send, and forgets flows the program no longer has', () => {
    const marks: FlowMarks = { vip: { last: '2026-01-01', due: '2026-03-02' }, gone: { last: '2026-01-01' } };
    const off = planFlows([flow({ active: false })], marks, facts('2026-03-05', ['rule:vip']));
    expect(off.firings).toEqual([]);
    expect(off.marks).toEqual({ vip: { last: '2026-01-01' } });
  });

  it('is deterministic and never fires a flow twice in a period over any sequence of runs (property)', () => {
    const days = fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.boolean()), { minLength: 1, maxLength: 40 });
    const flows = [
      flow({ id: 'm', once: { every: 'month' } }),
      flow({ id: 'e', once: { every: 'ever' }, delayDays: 2 }),
      flow({ id: 'd', once: { every: 'days', days: 7 }, delayDays: 1 }),
    ];
    fc.assert(
      fc.property(days, (steps) => {
        let marks: FlowMarks = {};
        let day = Date.parse('2026-01-01');
        let inside = false;
        const fired = new Map<string, string[]>();
        for (const [gap, member] of steps) {
          day += gap * 86_400_000 + 86_400_000;
          const today = new Date(day).toISOString().slice(0, 10);
          const memberships = member ? ['rule:vip'] : [];
          const input = facts(today, memberships, member && !inside ? ['rule:vip'] : []);
          const plan = planFlows(flows, marks, input);
          expect(planFlows(flows, marks, input)).toEqual(plan);
          for (const firing of plan.firings) fired.set(firing.flow.id, [...(fired.get(firing.flow.id) ?? []), today]);
          marks = plan.marks;
          inside = member;
        }
        const months = fired.get('m') ?? [];
        expect(new Set(months.map((d) => d.slice(0, 7))).size).toBe(months.length);
        expect((fired.get('e') ?? []).length).toBeLessThanOrEqual(1);
        const everyWeek = fired.get('d') ?? [];
        everyWeek.forEach((d, i) => {
          if (i > 0) expect(Date.parse(d) - Date.parse(everyWeek[i - 1] as string)).toBeGreaterThanOrEqual(7 * 86_400_000);
        });
      }),
    );
  });
});

describe('tier flows, fired by the processor and the run alike', () => {
  const gold = flow({ id: 'gold', segments: ['tier:gold'], once: { every: 'days', days: 30 } });
  it('fires with the order that reaches the tier, keyed by that day, as the run keys it later', () => {
    const fromOrder = tierFlowFirings([gold], {}, 'gold', '2026-03-31');
    expect(fromOrder.map((f) => f.key)).toEqual(['flow:gold:2026-03-31']);
    const run = planFlows([gold], {}, { ...facts('2026-04-01', ['tier:gold']), enteredOn: { 'tier:gold': '2026-03-31' } });
    expect(run.firings.map((f) => [f.key, f.on])).toEqual([['flow:gold:2026-03-31', '2026-03-31']]);
    expect(run.marks).toEqual({ gold: { last: '2026-03-31' } });
    // The run on the same day dates it from that day too, so it takes the processor's instant.
    const sameDay = planFlows([gold], {}, { ...facts('2026-03-31', ['tier:gold']), enteredOn: { 'tier:gold': '2026-03-31' } });
    expect(sameDay.firings.map((f) => [f.key, f.on])).toEqual([['flow:gold:2026-03-31', '2026-03-31']]);
  });
  it('leaves to the run a flow with a delay or a reward, one switched off, and one the marks say already fired', () => {
    expect(tierFlowFirings([{ ...gold, delayDays: 2 }], {}, 'gold', '2026-03-31')).toEqual([]);
    expect(tierFlowFirings([{ ...gold, rewardId: 'free-shipping' }], {}, 'gold', '2026-03-31')).toEqual([]);
    expect(tierFlowFirings([{ ...gold, active: false }], {}, 'gold', '2026-03-31')).toEqual([]);
    expect(tierFlowFirings([gold], { gold: { last: '2026-03-10' } }, 'gold', '2026-03-31')).toEqual([]);
    expect(tierFlowFirings([gold], {}, 'silver', '2026-03-31')).toEqual([]);
  });
});

describe('flows in the program', () => {
  const program = defaultProgram({ currency: 'VND', name: 'Trà Việt' });

  it('gives a new shop the built-in win-back as its one flow, and a program saved before flows the same from its settings', () => {
    expect(program.flows).toEqual([
      {
        id: 'win-back',
        name: 'Win-back',
        segments: ['rfm:at-risk', 'rfm:can-t-lose-them', 'rfm:about-to-sleep'],
        delayDays: 0,
        rewardId: 'win-back',
        once: { every: 'month' },
        active: true,
        pAliveBelow: 0.3,
        copy: 'win_back',
      },
    ]);
    const { flows: _none, ...older } = program;
    const parsed = ProgramSchema.parse({ ...older, offers: {}, analytics: { winBackPAliveBelow: 0, segments: [] } });
    expect(parsed.flows).toBeUndefined();
    expect(flowsOf(parsed)).toEqual([expect.objectContaining({ id: 'win-back', copy: 'win_back' })]);
    expect(flowsOf(parsed)[0]).not.toHaveProperty('rewardId');
    expect(flowsOf(parsed)[0]).not.toHaveProperty('pAliveBelow');
    expect(flowsOf({ ...parsed, flows: [] })).toEqual([]);
  });

  it('refuses an unknown segment, reward or duplicate id, naming the field', () => {
    const refused = (flows: unknown[]) => {
      const result = ProgramSchema.safeParse({ ...program, flows });
      expect(result.success).toBe(false);
      return result.error?.issues.map((issue) => [issue.path.join('.'), issue.message]);
    };
    expect(refused([flow({ segments: ['rule:nope'] })])).toEqual([['flows.0.segments.0', expect.stringContaining('no segment rule:nope')]]);
    expect(refused([flow({ segments: ['tier:platinum'] })])?.[0]?.[0]).toBe('flows.0.segments.0');
    expect(refused([flow({ segments: ['rfm:champions'], rewardId: 'nope' })])).toEqual([['flows.0.rewardId', 'no reward nope in rewards']]);
    expect(refused([flow({ segments: ['rfm:champions'] }), flow({ segments: ['tier:gold'] })])).toEqual([
      ['flows.1.id', 'flow id vip is used twice'],
    ]);
    expect(refused([{ ...flow({ segments: ['rfm:champions'] }), once: { every: 'week' } }])?.[0]?.[0]).toBe('flows.0.once.every');
    expect(refused([flow({ segments: ['rfm:champions'], delayDays: -1 })])?.[0]?.[0]).toBe('flows.0.delayDays');
    const long = 'x'.repeat(19_000);
    const big = Array.from({ length: 6 }, (_, i) =>
      flow({ id: `f${i}`, segments: ['rfm:champions'], message: { format: 'liquid', subject: { en: 'Hi' }, body: { en: long } } }),
    );
    expect(refused(big)).toEqual([['flows', expect.stringContaining('more than 100000 bytes')]]);
    expect(ProgramSchema.safeParse({ ...program, flows: [flow({ segments: ['rfm:champions', 'tier:gold'] })] }).success).toBe(true);
  });

  it('diffs flows by id', () => {
    const next = { ...program, flows: [...(program.flows ?? []), flow({ segments: ['tier:gold'] })] };
    expect(diffPrograms(program, next)).toEqual([{ path: 'flows[vip]', change: 'added', to: next.flows[1] }]);
  });
});

describe("a flow's built-in email", () => {
  const context = (locale: string, offer?: Record<string, unknown>): EmailContext => ({
    trigger: 'flow',
    locale,
    shop: { name: 'Trà Mộc', currency: 'VND', locale: 'vi-VN', timezone: 'Asia/Ho_Chi_Minh', url: 'https://tramoc.example.vn' },
    customer: { firstName: 'Lan', points: { balance: 1_250, lifetime: 4_800 } },
    data: { flowId: 'gold-welcome', ...(offer ? { offer } : {}) },
    recommendations: [],
    unsubscribeUrl: 'https://tramoc.example.vn/unsubscribe?token=sample',
  });
  const offer = { code: 'FL-3HD8Q-2MZ7W', value: { kind: 'free_shipping' }, currency: 'VND', expiresAt: '2026-12-31T16:59:59.000Z' };

  it('says once what its code gives, in English and Vietnamese, and shows the code', () => {
    const en = renderEmail(context('en', offer));
    expect(en.subject).toBe('A gift from Trà Mộc: free shipping on your order');
    expect(en.text).toContain('Here is free shipping on your order with this code:');
    expect(en.text).toContain('FL-3HD8Q-2MZ7W');
    const vi = renderEmail(context('vi', offer));
    expect(vi.subject).toBe('Quà tặng từ Trà Mộc: miễn phí vận chuyển cho đơn hàng');
    expect(vi.text).toContain('Trà Mộc tặng bạn miễn phí vận chuyển cho đơn hàng với mã dưới đây:');
    expect(vi.text).toContain('FL-3HD8Q-2MZ7W');
  });

  it('is a thank-you without a code when the flow gives no reward', () => {
    const vi = renderEmail(context('vi'));
    expect(vi.subject).toBe('Lời nhắn từ Trà Mộc');
    expect(vi.text).toContain('Trà Mộc rất vui vì có bạn đồng hành.');
    expect(vi.text).not.toContain('với mã dưới đây');
  });
});
