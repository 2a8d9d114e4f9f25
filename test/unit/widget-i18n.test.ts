import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { languageOf, MESSAGES, translator } from '#widget/src/i18n.ts';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('the widget’s strings', () => {
  it('has every key in English and Vietnamese, none empty, with the same placeholders', () => {
    const { en, vi } = MESSAGES;
    expect(Object.keys(vi).sort()).toEqual(Object.keys(en).sort());
    for (const key of Object.keys(en) as Array<keyof typeof en>) {
      expect(en[key].trim(), `en.${key}`).not.toBe('');
      expect(vi[key].trim(), `vi.${key}`).not.toBe('');
      expect(placeholders(vi[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it('has no string the widget never shows', () => {
    const dir = new URL('../../widget/src/', import.meta.url);
    const source = readdirSync(dir)
      .filter((file) => file !== 'i18n.ts')
      .map((file) => readFileSync(new URL(file, dir), 'utf8'))
      .join('\n');
    const unused = Object.keys(MESSAGES.en).filter((key) => !source.includes(`'${key}'`));
    expect(unused).toEqual([]);
  });

  it('writes Vietnamese with its diacritics', () => {
    expect(MESSAGES.vi.howToEarn).toBe('Cách tích điểm');
    expect(Object.values(MESSAGES.vi).join(' ')).toMatch(/[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/);
  });

  it('fills placeholders and leaves an unknown one as written', () => {
    const t = translator('vi');
    expect(t('nextTier', { remaining: '500.000 ₫', tier: 'Vàng' })).toBe('Còn 500.000 ₫ nữa để lên hạng Vàng');
    expect(translator('en')('hello', {})).toBe('Hi {name}');
  });

  it('reads a page’s language tag: vi-VN is vi, fr is neither (the shop’s language then)', () => {
    expect(languageOf('vi-VN')).toBe('vi');
    expect(languageOf('EN_gb')).toBe('en');
    expect(languageOf('fr')).toBeUndefined();
    expect(languageOf('')).toBeUndefined();
    expect(languageOf(null)).toBeUndefined();
  });
});
