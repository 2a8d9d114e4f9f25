import { describe, expect, it } from 'vitest';
import { CampaignIdSchema, canMove, LocalDateTimeSchema, newCampaignId, zonedTimeToInstant } from '#shared/domain/campaign.ts';

describe("a campaign's local time", () => {
  it('is the instant the wall clock of the time zone shows', () => {
    expect(zonedTimeToInstant('2027-02-05T09:00', 'Asia/Ho_Chi_Minh').toISOString()).toBe('2027-02-05T02:00:00.000Z');
    expect(zonedTimeToInstant('2027-02-05T00:30', 'Asia/Ho_Chi_Minh').toISOString()).toBe('2027-02-04T17:30:00.000Z');
    expect(zonedTimeToInstant('2027-07-01T09:00:30', 'America/New_York').toISOString()).toBe('2027-07-01T13:00:30.000Z');
    expect(zonedTimeToInstant('2027-01-15T09:00', 'America/New_York').toISOString()).toBe('2027-01-15T14:00:00.000Z');
    expect(zonedTimeToInstant('2027-03-01T09:00', 'UTC').toISOString()).toBe('2027-03-01T09:00:00.000Z');
  });

  it('lands just after a clock change that skips it, and on the first of an hour that happens twice', () => {
    // New York, 14 March 2027: 02:00 → 03:00. 02:30 does not exist on the wall clock.
    expect(zonedTimeToInstant('2027-03-14T02:30', 'America/New_York').toISOString()).toBe('2027-03-14T07:30:00.000Z');
    // 7 November 2027: 01:30 happens twice (EDT, then EST): the first.
    expect(zonedTimeToInstant('2027-11-07T01:30', 'America/New_York').toISOString()).toBe('2027-11-07T05:30:00.000Z');
  });

  it('is refused when it is not a real date, or carries an offset', () => {
    expect(LocalDateTimeSchema.safeParse('2027-02-05T09:00').success).toBe(true);
    for (const bad of [
      '2027-02-30T09:00',
      '2027-13-01T09:00',
      '2027-02-05T24:00',
      '2027-02-05T09:00Z',
      '2027-02-05T09:00+07:00',
      '2027-02-05',
    ])
      expect(LocalDateTimeSchema.safeParse(bad).success, bad).toBe(false);
  });
});

describe("a campaign's statuses", () => {
  it('move only as the diagram says', () => {
    expect(canMove('schedule', 'draft')).toBe(true);
    expect(canMove('schedule', 'scheduled')).toBe(false);
    expect(canMove('start', 'scheduled')).toBe(true);
    expect(canMove('finish', 'sending')).toBe(true);
    expect(['draft', 'scheduled', 'sending'].map((s) => canMove('cancel', s as never))).toEqual([true, true, true]);
    expect(['sent', 'cancelled'].map((s) => canMove('cancel', s as never))).toEqual([false, false]);
  });

  it('have ids that sort by creation time', () => {
    const a = newCampaignId(new Date('2026-12-04T10:00:00Z'), 'ffffffff');
    const b = newCampaignId(new Date('2026-12-04T10:00:01Z'), '00000000');
    expect(CampaignIdSchema.parse(a)).toBe(a);
    expect(a < b).toBe(true);
  });
});
